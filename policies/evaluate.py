"""Run the policy pack on resources another tool produced, with the offline check's report.

    python -m policies.evaluate FILE [--config FILE] [--json] [--stack NAME]

FILE is either the ``resources.json`` the offline check writes with ``--out`` (a list of
``{"type", "name", "component", "urn", "props", "dependencies"}``, where ``dependencies`` lists
the resources whose outputs the props use, and may be left out) or the output of
``pulumi preview --json``, whose steps carry each resource's new inputs and dependencies.
Exit 0: clean; 1: a mandatory policy failed; 2: unreadable or malformed input or policy config,
or input the pack cannot judge.

A preview shows secret values as ``"[secret]"`` and values it cannot know yet as sentinels:
checks that read them are skipped, as inside ``pulumi preview``. Without ``--show-sames`` a
preview leaves out the resources it does not change, so the stack's own StorageClasses may be
missing; the catalog policy then refuses to judge (exit 2) instead of failing every claim.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policies.engine import PolicyConfigError, evaluate, load_pack_config, read_json, resolve
from policies.pack import POLICIES
from policies.record import Field, InputError, Resource, UnknownValue
from policies.report import print_report

USAGE_ERROR = 2
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
# Steps of `pulumi preview --json` that leave a resource in the stack.
_LIVE_OPS = frozenset({"create", "update", "same", "replace", "create-replacement", "import"})


@dataclass(frozen=True)
class Loaded:
    resources: list[Resource]
    stack: str | None
    """The stack's name when the file tells it."""
    complete: bool
    """False when the file leaves out resources the update keeps (a preview without sames)."""


def load_resources(path: Path) -> Loaded:
    """The resources of a resources.json or of a ``pulumi preview --json`` document."""
    document = read_json(path, InputError)
    try:
        if isinstance(document, list):
            return Loaded(_from_resources_json(path, document), None, complete=True)
        if isinstance(document, dict) and "steps" in document:
            return _from_preview(path, document)
    except UnknownValue as hidden:
        # Only values inside a resource's inputs may be hidden; the file's frame must not be.
        raise InputError(f"{hidden}, so the file cannot be read") from None
    raise InputError(
        f"{path}: expected a resources.json list or the output of `pulumi preview --json`"
    )


def _from_resources_json(path: Path, entries: list[Any]) -> list[Resource]:
    resources = []
    for index, value in enumerate(entries):
        entry = Field(f"{path}: entry {index}", "", value)
        resources.append(
            Resource(
                type=entry.at("type").required_text(),
                name=entry.at("name").required_text(),
                props=entry.at("props").required().object(),
                urn=entry.at("urn").text(),
                component=entry.at("component").text(),
                dependencies=_urns(entry.at("dependencies")),
            )
        )
    return resources


def _urns(field: Field) -> tuple[str, ...]:
    """A list of URNs (absent: none)."""
    return tuple(item.required_text() for item in field.items())


def _from_preview(path: Path, document: dict[str, Any]) -> Loaded:
    preview = Field(str(path), "", document)
    resources: dict[str, Resource] = {}
    stack = None
    shown_sames = 0
    for step in preview.at("steps").required().items():
        op = step.at("op").required_text()
        shown_sames += op == "same"
        if op not in _LIVE_OPS:
            continue
        urn = _Urn.read(step.at("urn").required())
        state = Field(f"{step.owner}: {step.path} ({urn.text})", "", step.value).at("newState")
        resource_type = state.required().at("type").required_text()
        if resource_type == ROOT_STACK_TYPE:
            stack = urn.stack
            continue
        parent_field = state.at("parent")
        parent = _Urn.read(parent_field) if parent_field.text() else None
        # A replacement can show as two steps of one URN: the resource is judged once.
        resources[urn.text] = Resource(
            type=resource_type,
            name=urn.name,
            props=state.at("inputs").object() or {},
            urn=urn.text,
            component=parent.name if parent and parent.type != ROOT_STACK_TYPE else None,
            custom=state.at("custom").flag() is not False,
            dependencies=_urns(state.at("dependencies")),
        )
    # Pulumi counts unchanged resources in changeSummary but lists them only with --show-sames.
    counted_sames = preview.at("changeSummary", "same").number()
    complete = counted_sames is None or counted_sames <= shown_sames
    return Loaded(list(resources.values()), stack, complete)


@dataclass(frozen=True)
class _Urn:
    """``urn:pulumi:<stack>::<project>::<parent types$><type>::<name>``; names may hold "::"."""

    text: str
    stack: str
    type: str
    name: str

    @classmethod
    def read(cls, field: Field) -> _Urn:
        text = field.required_text()
        parts = text.split("::", 3)
        if len(parts) != 4 or not parts[0].startswith("urn:pulumi:"):
            raise field.reject("a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)")
        qualified_stack, _project, types, name = parts
        return cls(text, qualified_stack.removeprefix("urn:pulumi:"), types.rsplit("$")[-1], name)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m policies.evaluate",
        description="Evaluate the data-pipeline policy pack on a resources.json or on the "
        "output of `pulumi preview --json --show-sames`.",
    )
    parser.add_argument("file", type=Path, help="resources.json or `pulumi preview --json` output")
    parser.add_argument("--config", type=Path, help="policy pack config (--policy-pack-config)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--stack", help="stack name for the report (default: from the file)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        policies = resolve(POLICIES, load_pack_config(args.config))
        loaded = load_resources(args.file)
        evaluation = evaluate(policies, loaded.resources, loaded.complete)
    except (InputError, PolicyConfigError) as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return USAGE_ERROR
    stack_name = args.stack or loaded.stack or args.file.name
    return print_report(stack_name, loaded.resources, evaluation, policies, args.json)


if __name__ == "__main__":
    sys.exit(main())
