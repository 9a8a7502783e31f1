"""Floors of the speed target: register the resources a check recorded with nothing but the SDK,
under the same mocks, and nothing else (no config, no policies, no files).

    python benchmarks/sdk_baseline.py {typed,bare} RESOURCES_JSON

RESOURCES_JSON is the resources.json of ``python -m pipeline.check --out``.

- ``typed``: each resource through its provider SDK's own class, found from its type token
  (``kubernetes:apps/v1:Deployment`` is ``pulumi_kubernetes.apps.v1.Deployment``,
  ``aws:s3/bucket:Bucket`` is ``pulumi_aws.s3.Bucket``, ``random:index/x:X`` is
  ``pulumi_random.X``); custom resources, which have none, through ``pulumi.CustomResource``.
- ``bare``: every resource as a ``pulumi.CustomResource`` of its type token.

The program's own components are ``pulumi.ComponentResource``s in both, so that parents match.
Exits non-zero unless exactly the recorded type tokens were registered.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi

from pipeline.offline import run_program

PROJECT_PREFIX = "data-pipeline:"
PROVIDER_PREFIX = "pulumi:providers:"
_KUBERNETES_ENVELOPE = ("apiVersion", "kind")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _class_at(module_name: str, class_name: str) -> type | None:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    found = getattr(module, class_name, None)
    return found if isinstance(found, type) else None


def sdk_class(token: str) -> type | None:
    """The provider SDK's own class of a type token, or None when the SDK has none."""
    package, module_path, class_name = token.split(":")
    if package == "kubernetes":
        group, _, version = module_path.rpartition("/")
        # Built-in groups are modules named after the group's first label (apps,
        # rbac.authorization.k8s.io -> rbac); custom groups have none.
        module = "core" if group == "core" else group.split(".")[0]
        return _class_at(f"pulumi_kubernetes.{module}.{version}", class_name)
    module = module_path.split("/")[0]
    sdk = f"pulumi_{package.replace('-', '_')}"
    return _class_at(sdk if module == "index" else f"{sdk}.{module}", class_name)


def _typed(token: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
    cls = sdk_class(token)
    if cls is None:
        pulumi.CustomResource(token, name, props, opts)
        return
    if token.startswith("kubernetes:"):
        props = {key: value for key, value in props.items() if key not in _KUBERNETES_ENVELOPE}
    cls(name, opts=opts, **{_snake(key): value for key, value in props.items()})


def _typed_provider(
    package: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions
) -> pulumi.ProviderResource:
    cls = _class_at(f"pulumi_{package.replace('-', '_')}", "Provider")
    if cls is None:
        return pulumi.ProviderResource(package, name, props, opts)
    return cls(name, opts=opts, **{_snake(key): value for key, value in props.items()})


def _bare(token: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
    pulumi.CustomResource(token, name, props, opts)


def _bare_provider(
    package: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions
) -> pulumi.ProviderResource:
    return pulumi.ProviderResource(package, name, props, opts)


# Per floor: how a resource is registered, how a provider is.
FLOORS: dict[str, tuple[Callable[..., None], Callable[..., pulumi.ProviderResource]]] = {
    "typed": (_typed, _typed_provider),
    "bare": (_bare, _bare_provider),
}


def register(entries: list[dict[str, Any]], floor: str) -> None:
    create, create_provider = FLOORS[floor]
    components: dict[str, pulumi.ComponentResource] = {}
    for entry in entries:  # components first, so children can name their parent
        if entry["type"].startswith(PROJECT_PREFIX):
            components[entry["name"]] = pulumi.ComponentResource(entry["type"], entry["name"])
    providers: dict[str, pulumi.ProviderResource] = {}
    for entry in entries:
        if entry["type"].startswith(PROVIDER_PREFIX):
            package = entry["type"].removeprefix(PROVIDER_PREFIX)
            opts = pulumi.ResourceOptions(parent=components.get(entry["component"]))
            providers[package] = create_provider(package, entry["name"], entry["props"], opts)
    for entry in entries:
        token = entry["type"]
        if token.startswith((PROJECT_PREFIX, PROVIDER_PREFIX)):
            continue
        opts = pulumi.ResourceOptions(
            parent=components.get(entry["component"]), provider=providers.get(token.split(":")[0])
        )
        create(token, entry["name"], dict(entry["props"]), opts)
    for component in components.values():
        component.register_outputs({})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("floor", choices=sorted(FLOORS))
    parser.add_argument("resources", type=Path)
    args = parser.parse_args()
    entries = json.loads(args.resources.read_text())
    run = run_program(
        lambda: register(entries, args.floor), project="data-pipeline", stack="bench", config={}
    )
    registered = collections.Counter(r.type for r in run.resources)
    recorded = collections.Counter(entry["type"] for entry in entries)
    if registered != recorded:
        raise SystemExit(f"registered {registered - recorded}, missed {recorded - registered}")


if __name__ == "__main__":
    main()
