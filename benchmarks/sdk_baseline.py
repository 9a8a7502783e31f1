"""Baseline of the speed target: register the resources a check recorded, with nothing but the
SDK's own classes (pulumi_kubernetes kinds and pulumi_aws resources, pulumi.CustomResource for
custom resources, pulumi.ProviderResource for providers other than Kubernetes,
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
    """The SDK's class of a resource: pulumi_kubernetes's for a built-in kind, pulumi_aws's for
    an AWS resource; None for custom resources."""
    package, group_version, kind = type_token.split(":")
    group, _, version = group_version.rpartition("/")
    if package == "aws":
        return getattr(importlib.import_module(f"pulumi_aws.{group}"), kind)
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
    providers: dict[str, pulumi.ProviderResource] = {}  # by package
    for entry in entries:
        package = entry["type"].removeprefix("pulumi:providers:")
        if package == "kubernetes":
            import pulumi_kubernetes

            providers[package] = pulumi_kubernetes.Provider(entry["name"], **entry["props"])
        elif package != entry["type"]:
            providers[package] = pulumi.ProviderResource(package, entry["name"], entry["props"])
    for entry in entries:
        token, props = entry["type"], dict(entry["props"])
        if token.startswith(("data-pipeline:", "pulumi:providers:")):
            continue
        opts = pulumi.ResourceOptions(
            parent=components.get(entry["component"]), provider=providers.get(token.split(":")[0])
        )
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
