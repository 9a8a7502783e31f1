"""Baseline of the speed target: register the resources a check recorded, with nothing but the
SDK's own classes (pulumi_kubernetes kinds, pulumi.CustomResource for custom resources,
pulumi.ComponentResource for components), under the same mocks.

    python benchmarks/sdk_baseline.py RESOURCES_JSON

RESOURCES_JSON is the resources.json of ``python -m pipeline.check --out``.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

import pulumi

from pipeline.offline import run_program


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _sdk_class(type_token: str):
    """pulumi_kubernetes's class for a built-in kind, else None (custom resources)."""
    _, group_version, kind = type_token.split(":")
    group, _, version = group_version.rpartition("/")
    module_name = group.split(".")[0] if group != "core" else "core"
    try:
        module = importlib.import_module(f"pulumi_kubernetes.{module_name}.{version}")
    except ImportError:
        return None
    return getattr(module, kind, None)


def register(entries: list[dict]) -> None:
    components: dict[str, pulumi.ComponentResource] = {}
    for entry in entries:  # components first, so children can name their parent
        if entry["type"].startswith("data-pipeline:"):
            components[entry["name"]] = pulumi.ComponentResource(entry["type"], entry["name"])
    provider = None
    for entry in entries:
        if entry["type"].startswith("pulumi:providers:kubernetes"):
            import pulumi_kubernetes

            provider = pulumi_kubernetes.Provider(entry["name"], **entry["props"])
    for entry in entries:
        token, props = entry["type"], dict(entry["props"])
        if token.startswith(("data-pipeline:", "pulumi:providers:")):
            continue
        opts = pulumi.ResourceOptions(parent=components.get(entry["component"]), provider=provider)
        sdk_class = _sdk_class(token)
        if sdk_class is None:
            pulumi.CustomResource(token, entry["name"], props, opts)
        else:
            props.pop("apiVersion", None)
            props.pop("kind", None)
            sdk_class(entry["name"], opts=opts, **{_snake(k): v for k, v in props.items()})
    for component in components.values():
        component.register_outputs({})


def main() -> None:
    entries = json.loads(Path(sys.argv[1]).read_text())
    run = run_program(lambda: register(entries), project="data-pipeline", stack="bench", config={})
    assert len(run.resources) == len(entries), (len(run.resources), len(entries))


if __name__ == "__main__":
    main()
