"""Run the policy pack on resources another tool produced, with the offline check's report.

    python -m policies.evaluate FILE [--config FILE] [--json] [--stack NAME]

FILE is either the ``resources.json`` the offline check writes with ``--out`` (a list of
``{"type", "name", "component", "props"}``) or the output of ``pulumi preview --json``, whose
steps carry each resource's new inputs. Exit 0: clean; 1: a mandatory policy failed;
2: unreadable input or policy config.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from policies.engine import (
    PolicyConfigError,
    Resource,
    evaluate,
    load_pack_config,
    read_json,
    resolve,
)
from policies.pack import POLICIES
from policies.report import ResourceRow, print_report

USAGE_ERROR = 2
# Steps of `pulumi preview --json` that leave a resource in the stack.
_LIVE_OPS = frozenset({"create", "update", "same", "replace", "create-replacement", "import"})


class InputError(Exception):
    """A file that is neither a resources.json nor a ``pulumi preview --json`` document."""


def load_resources(path: Path) -> tuple[list[Resource], list[ResourceRow], str | None]:
    """Resources to judge, rows to report, and the stack name when the file tells it."""
    document = read_json(path, InputError)
    if isinstance(document, list):
        return _from_resources_json(path, document)
    if isinstance(document, dict) and isinstance(document.get("steps"), list):
        return _from_preview(document["steps"])
    raise InputError(
        f"{path}: expected a resources.json list or the output of `pulumi preview --json`"
    )


def _from_resources_json(
    path: Path, entries: list[Any]
) -> tuple[list[Resource], list[ResourceRow], None]:
    resources, rows = [], []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not {"type", "name", "props"} <= entry.keys():
            raise InputError(f"{path}: entry {index} lacks type, name or props")
        resources.append(Resource(entry["type"], entry["name"], entry["props"]))
        rows.append(ResourceRow(entry["type"], entry["name"], entry.get("component")))
    return resources, rows, None


def _from_preview(steps: list[Any]) -> tuple[list[Resource], list[ResourceRow], str | None]:
    from pulumi_policy.proxy import unknown_checking_proxy

    # Values a preview cannot know yet arrive as sentinels; this proxy makes reading one raise
    # UnknownValueError, exactly as inside `pulumi preview`, and evaluation skips that check.
    states = [
        (step["urn"], step["newState"])
        for step in steps
        if step.get("op") in _LIVE_OPS and isinstance(step.get("newState"), dict)
    ]
    # Components by URN; children of the stack itself have no component.
    names = {urn: _urn_name(urn) for urn, state in states if state["type"] != "pulumi:pulumi:Stack"}
    resources, rows = [], []
    stack = None
    for urn, state in states:
        if state["type"] == "pulumi:pulumi:Stack":
            stack = urn.split("::", 1)[0].removeprefix("urn:pulumi:")
            continue
        props = unknown_checking_proxy(state.get("inputs") or {})
        resources.append(Resource(state["type"], names[urn], props, urn))
        rows.append(ResourceRow(state["type"], names[urn], names.get(state.get("parent", ""))))
    return resources, rows, stack


def _unknown_value_errors(resources: Sequence[Resource]) -> tuple[type[Exception], ...]:
    if not any(resource.urn for resource in resources):
        return ()  # a resources.json has concrete values only
    from pulumi_policy.proxy import UnknownValueError

    return (UnknownValueError,)


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m policies.evaluate",
        description="Evaluate the data-pipeline policy pack on a resources.json or on the "
        "output of `pulumi preview --json`.",
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
        resources, rows, stack = load_resources(args.file)
    except (InputError, PolicyConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    violations = evaluate(policies, resources, unknown_errors=_unknown_value_errors(resources))
    stack_name = args.stack or stack or args.file.name
    return print_report(stack_name, rows, violations, policies, args.json)


if __name__ == "__main__":
    sys.exit(main())
