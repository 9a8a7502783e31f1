"""The offline check: run the real program on a stack file under Pulumi's mocks, no cluster needed.

    python -m pipeline.check --stack STACK [--out DIR] [--json] [--policy-config FILE]
                             [--stack-file FILE]

It validates ``Pulumi.<STACK>.yaml``, runs ``pipeline/`` exactly as the Pulumi CLI does, evaluates
the policy pack on what the program registered (with ``policies/config/<STACK>.json`` unless told
otherwise) and prints a summary. Exit 0: clean; 1: a mandatory policy failed; 2: invalid
configuration or usage, or a registered resource the pack cannot read. Encrypted values of the
stack file cannot be decrypted here: they become placeholders and are never printed, and checks
that would read them are listed as skipped. Resources are listed in URN order, so that two runs
write identical files.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import re
import runpy
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from pipeline.config import ConfigError
from pipeline.offline import ProgramRun, run_program
from policies.capacity import plan
from policies.engine import PolicyConfigError, evaluate, load_pack_config, resolve
from policies.pack import POLICIES, VOLUME_READERS
from policies.record import SECRET_PLACEHOLDER, InputError, Resource
from policies.report import print_report

PROJECT_DIR = Path(__file__).resolve().parent.parent
# libyaml when PyYAML was built with it: the same output, several times faster.
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
USAGE_ERROR = 2


class StackFileError(Exception):
    """A stack file that is missing or not a Pulumi stack file."""


def read_stack_file(path: Path, project: str) -> tuple[dict[str, str], list[str]]:
    """The stack's config as the Pulumi CLI hands it to a program, and which keys are secret.

    Scalars become strings and objects JSON text, as with the real engine; ``secure:`` values,
    which only the stack's secrets provider can decrypt, become a placeholder.
    """
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except FileNotFoundError:
        raise StackFileError(f"no stack file {path.name} in {path.parent}") from None
    except UnicodeDecodeError as exc:
        raise StackFileError(f"{path.name} is not UTF-8 text ({exc.reason})") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path.name} is not valid YAML: {exc}") from None
    entries = (document or {}).get("config") or {}
    if not isinstance(entries, dict):
        raise StackFileError(f"{path.name}: 'config' must be a mapping of keys to values")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in entries.items():
        full_key = key if ":" in key else f"{project}:{key}"
        plain, is_secret = _without_secrets(value)
        config[full_key] = _as_config_text(plain)
        if is_secret:
            secret_keys.append(full_key)
    return config, secret_keys


def _without_secrets(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        items = {key: _without_secrets(item) for key, item in value.items()}
        return {key: plain for key, (plain, _) in items.items()}, any(
            secret for _, secret in items.values()
        )
    if isinstance(value, list):
        items = [_without_secrets(item) for item in value]
        return [plain for plain, _ in items], any(secret for _, secret in items)
    return value, False


def _as_config_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@functools.cache
def _project_name() -> str:
    document = yaml.load((PROJECT_DIR / "Pulumi.yaml").read_text(), Loader=_YAML_LOADER)
    return document["name"]


def _run_stack(stack: str, config: dict[str, str], secret_keys: list[str]) -> ProgramRun:
    program_dir = str(PROJECT_DIR / "pipeline")
    return run_program(
        # Exactly what the Pulumi language host does with `main: pipeline/`.
        lambda: runpy.run_path(program_dir, run_name="__main__"),
        project=_project_name(),
        stack=stack,
        config=config,
        secret_keys=secret_keys,
    )


def write_outputs(out: Path, run: ProgramRun) -> None:
    """``k8s/`` one YAML file per Kubernetes object, ``cloud/`` one JSON file per cloud resource,
    and ``resources.json`` with every resource's props as the policy pack sees them."""
    for folder in ("k8s", "cloud"):
        shutil.rmtree(out / folder, ignore_errors=True)
        (out / folder).mkdir(parents=True)
    for resource in run.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        filename = _file_stem(resource)
        if resource.type.startswith("kubernetes:"):
            (out / "k8s" / f"{filename}.yaml").write_text(
                yaml.dump(_manifest(resource.props), Dumper=_YAML_DUMPER, sort_keys=False)
            )
        else:
            (out / "cloud" / f"{filename}.json").write_text(
                json.dumps(
                    {"type": resource.type, "name": resource.name, "inputs": resource.props},
                    indent=2,
                )
            )
    (out / "resources.json").write_text(
        _json_lines(
            {
                "type": r.type,
                "name": r.name,
                "component": r.component,
                "urn": r.urn,
                "props": r.props,
                # The resources whose outputs its inputs use (stack policies pair a bucket with
                # the resources that configure it so); the whole dependency list would change
                # from run to run.
                "dependencies": list(r.input_sources),
            }
            for r in run.resources
        )
    )


def _json_lines(entries: Iterable[dict[str, Any]]) -> str:
    """A JSON list with one entry per line: as easy to diff as an indented one, and encoded by
    json's C encoder, which ``indent`` turns off (the pure-Python one took a third of --out)."""
    return "[\n" + ",\n".join(json.dumps(entry) for entry in entries) + "\n]\n"


def _file_stem(resource: Resource) -> str:
    kind = resource.type.rsplit(":", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{kind}-{resource.name}")


def _manifest(props: dict[str, Any]) -> dict[str, Any]:
    # apiVersion, kind and metadata first, as people write manifests.
    head = ("apiVersion", "kind", "metadata")
    return {
        **{key: props[key] for key in head if key in props},
        **{key: value for key, value in props.items() if key not in head},
    }


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.check",
        description="Run the program on a stack file under Pulumi's mocks and apply the policy "
        "pack, without a cluster or a cloud account.",
    )
    parser.add_argument("--stack", default="dev", help="stack to check (default: dev)")
    parser.add_argument(
        "--stack-file",
        type=Path,
        help="check this file as the stack's config (default: Pulumi.<STACK>.yaml)",
    )
    parser.add_argument("--out", type=Path, help="write manifests and resources.json to DIR")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--policy-config",
        type=Path,
        help="policy pack config (default: policies/config/<STACK>.json)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    stack_file = args.stack_file or PROJECT_DIR / f"Pulumi.{args.stack}.yaml"
    policy_config = args.policy_config
    if policy_config is None:
        stack_policy_config = PROJECT_DIR / "policies" / "config" / f"{args.stack}.json"
        # A stack without a policy config of its own is judged by the pack's defaults.
        policy_config = stack_policy_config if stack_policy_config.exists() else None
    try:
        config, secret_keys = read_stack_file(stack_file, _project_name())
        policies = resolve(POLICIES, load_pack_config(policy_config))
        run = _run_stack(args.stack, config, secret_keys)
        evaluation = evaluate(policies, run.resources)
    except (ConfigError, StackFileError, PolicyConfigError, InputError) as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return USAGE_ERROR

    if args.out:
        write_outputs(args.out, run)
    listed = sorted(run.resources, key=lambda r: (r.component or "", r.type, r.name))
    capacity = plan(run.resources, VOLUME_READERS, run.outputs.get("zones") or ())
    return print_report(args.stack, listed, evaluation, policies, args.json, run.outputs, capacity)


if __name__ == "__main__":
    # One run that exits as soon as it is done: the cyclic collector's passes over the SDK's many
    # long-lived objects cost a fifth of a check and free next to nothing (README, Performance).
    gc.disable()
    sys.exit(main())
