"""Schema validation of emitted objects: Kubernetes OpenAPI (strict) and operator CRDs."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

# The oldest Kubernetes release the program supports: objects must be valid there.
OLDEST_KUBERNETES = "1.30.0"


class NoSchema(Exception):
    """Neither Kubernetes nor a CRD in the folder defines this kind."""


def validate_builtin(manifest: dict[str, Any]) -> bool:
    """Raise unless ``manifest`` is valid, with no undeclared field, in OLDEST_KUBERNETES.

    Returns False, having checked nothing, for a kind Kubernetes does not define (a custom
    resource).
    """
    try:
        kubernetes_validate.validate(manifest, OLDEST_KUBERNETES, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return False
    return True


@functools.cache
def _crd_validators(crd_file: Path) -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    """Validators of one CRD file, per served (apiVersion, kind)."""
    validators = {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # some CRDs are near a megabyte
    for crd in yaml.load_all(crd_file.read_text(), Loader=loader):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        for version in spec["versions"]:
            if version.get("served"):
                schema = _strict(version["schema"]["openAPIV3Schema"])
                api_version = f"{spec['group']}/{version['name']}"
                validators[(api_version, spec["names"]["kind"])] = jsonschema.Draft7Validator(
                    schema
                )
    return validators


# Keywords whose subschemas constrain an object without declaring all of its properties.
_JUNCTORS = frozenset({"oneOf", "anyOf", "allOf", "not"})


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The API server prunes undeclared fields silently; a test must treat them as errors."""
    schema = copy.deepcopy(schema)

    def walk(node: Any, branch: bool = False) -> None:
        if isinstance(node, dict):
            if node.get("pattern") == "^(?i)(abort|warn)?$":  # Go syntax; Python wants it first
                node["pattern"] = "(?i)^(abort|warn)?$"
            # A oneOf/anyOf/allOf branch lists only the properties it constrains (Strimzi's
            # "certificate or pattern", "secret or configMap"); the object around it declares
            # them all, so only that object may refuse undeclared ones.
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
                and not branch
            ):
                node["additionalProperties"] = False
            for key, value in node.items():
                walk(value, key in _JUNCTORS)
        elif isinstance(node, list):
            for value in node:
                walk(value, branch)

    walk(schema)
    # Every object has these; the API server validates them itself, whatever the CRD declares.
    schema.setdefault("properties", {}).update(
        apiVersion={"type": "string"}, kind={"type": "string"}, metadata={"type": "object"}
    )
    return schema


def validate_custom(manifest: dict[str, Any], crds_dir: Path) -> None:
    """Raise unless ``manifest`` is valid against the served version of its CRD."""
    key = (manifest["apiVersion"], manifest["kind"])
    group = key[0].split("/")[0]
    # Files are named <group>_<plural>.yaml, some in a folder per project (stork/, autopilot/):
    # read only the candidates of this group.
    validator = next(
        (
            validators[key]
            for crd_file in sorted(crds_dir.rglob(f"{group}_*.yaml"))
            if key in (validators := _crd_validators(crd_file))
        ),
        None,
    )
    if validator is None:
        raise NoSchema(f"no served CRD for {key[1]} {key[0]} in {crds_dir}")
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
        raise jsonschema.ValidationError(f"{key[1]} {manifest['metadata']['name']}: {details}")
