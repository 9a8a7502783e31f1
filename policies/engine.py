"""The policy model shared by the Pulumi pack and the standalone evaluator.

Each policy is a plain function over resources, so that exactly the same code judges a
``pulumi preview`` (through ``pulumi_policy``, see :func:`to_pulumi_policy`), the offline check and
``python -m policies.evaluate`` (through :func:`evaluate`). ``pulumi_policy`` starts a gRPC server
when a pack is built, so it is imported only where the pack is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Level = Literal["advisory", "mandatory", "remediate", "disabled"]
LEVELS: tuple[Level, ...] = ("advisory", "mandatory", "remediate", "disabled")
# Levels that stop a deployment (this pack has no remediations, so remediate blocks too).
BLOCKING: frozenset[str] = frozenset({"mandatory", "remediate"})


class PolicyConfigError(Exception):
    """A policy configuration file that the Pulumi engine would reject too."""


@dataclass(frozen=True)
class Resource:
    """A resource as a policy sees it: its type token, logical name and wire-format inputs."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""


ReportResource = Callable[[str], None]
ReportStack = Callable[[str, Resource], None]


@dataclass(frozen=True)
class ResourcePolicy:
    """A rule over one resource at a time, of the listed types."""

    name: str
    description: str
    resource_types: frozenset[str]
    check: Callable[[Resource, Mapping[str, Any], ReportResource], None]
    level: Level = "mandatory"
    config: Mapping[str, Any] = field(default_factory=dict)
    """JSON-schema properties of the policy's settings; each carries its ``default``."""


@dataclass(frozen=True)
class StackPolicy:
    """A rule over all resources of a stack together."""

    name: str
    description: str
    check: Callable[[Sequence[Resource], Mapping[str, Any], ReportStack], None]
    level: Level = "mandatory"
    config: Mapping[str, Any] = field(default_factory=dict)


Policy = ResourcePolicy | StackPolicy


@dataclass(frozen=True)
class Violation:
    policy: str
    level: Level
    resource: str
    message: str

    @property
    def blocking(self) -> bool:
        return self.level in BLOCKING


def settings(policy: Policy, given: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's settings: its schema defaults overlaid with the configured values."""
    defaults = {key: schema["default"] for key, schema in policy.config.items()}
    return {**defaults, **given}


def settings_schema(policy: Policy) -> dict[str, Any]:
    """The JSON schema of a policy's settings, as Pulumi checks a pack config against it."""
    return {"type": "object", "properties": dict(policy.config), "additionalProperties": False}


def read_json(path: Path, error: type[Exception]) -> Any:
    """The JSON document in ``path``; ``error`` with the reason when it cannot be had."""
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None


def load_pack_config(path: Path | None) -> dict[str, Any]:
    """Read a ``--policy-pack-config`` file: ``{"all": level, "<policy>": level | {...}}``."""
    if path is None:
        return {}
    document = read_json(path, PolicyConfigError)
    if not isinstance(document, dict):
        raise PolicyConfigError(f"{path}: expected a JSON object")
    return document


@dataclass(frozen=True)
class ResolvedPolicy:
    policy: Policy
    level: Level
    settings: dict[str, Any]


def resolve(policies: Sequence[Policy], pack_config: Mapping[str, Any]) -> list[ResolvedPolicy]:
    """Each policy with the level and settings the pack config gives it, checked as Pulumi does."""
    import jsonschema

    names = {policy.name for policy in policies}
    unknown = sorted(set(pack_config) - names - {"all"})
    if unknown:
        raise PolicyConfigError(f"unknown policies in config: {', '.join(unknown)}")
    default_level = _level("all", pack_config.get("all"))
    resolved = []
    for policy in policies:
        entry = pack_config.get(policy.name)
        given: dict[str, Any] = {}
        level = default_level or policy.level
        if isinstance(entry, dict):
            given = {k: v for k, v in entry.items() if k != "enforcementLevel"}
            level = _level(policy.name, entry.get("enforcementLevel")) or level
        elif entry is not None:
            level = _level(policy.name, entry) or level
        # The schemas are fixed (and checked against the metaschema by the tests), so they are
        # not re-checked here as jsonschema.validate would on every call.
        validator = jsonschema.Draft7Validator(settings_schema(policy))
        try:
            validator.validate(given)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path)
            raise PolicyConfigError(
                f"{policy.name}{'.' + where if where else ''}: {exc.message}"
            ) from None
        resolved.append(ResolvedPolicy(policy, level, settings(policy, given)))
    return resolved


def _level(where: str, value: Any) -> Level | None:
    if value is None:
        return None
    if value not in LEVELS:
        raise PolicyConfigError(
            f"{where}: enforcement level {value!r} is not one of {', '.join(LEVELS)}"
        )
    return value


def evaluate(
    resolved: Sequence[ResolvedPolicy],
    resources: Sequence[Resource],
    unknown_errors: tuple[type[Exception], ...] = (),
) -> list[Violation]:
    """Run every enabled policy over ``resources``, each resource through each policy once.

    A check that raises one of ``unknown_errors`` (reading a value a preview cannot know yet) is
    skipped for that resource, as ``pulumi preview`` does.
    """
    violations: list[Violation] = []
    for item in resolved:
        if item.level == "disabled":
            continue
        policy = item.policy
        record = _recorder(violations, policy.name, item.level)
        if isinstance(policy, ResourcePolicy):
            for resource in resources:
                if resource.type in policy.resource_types:
                    with suppress(*unknown_errors):
                        policy.check(
                            resource, item.settings, lambda msg, r=resource, rec=record: rec(msg, r)
                        )
        else:
            with suppress(*unknown_errors):
                policy.check(resources, item.settings, record)
    return violations


def _recorder(violations: list[Violation], policy: str, level: Level) -> ReportStack:
    def record(message: str, resource: Resource) -> None:
        violations.append(Violation(policy, level, resource.name, message))

    return record


def to_pulumi_policy(policy: Policy) -> Any:
    """The ``pulumi_policy`` object that runs ``policy`` inside ``pulumi preview``/``up``."""
    import pulumi_policy

    common = {
        "name": policy.name,
        "description": policy.description,
        "enforcement_level": pulumi_policy.EnforcementLevel(policy.level),
        "config_schema": (
            pulumi_policy.PolicyConfigSchema(properties=dict(policy.config))
            if policy.config
            else None
        ),
    }
    if isinstance(policy, ResourcePolicy):

        def validate_resource(args: Any, report_violation: Callable[..., None]) -> None:
            if args.resource_type in policy.resource_types:
                resource = Resource(args.resource_type, args.name, args.props, args.urn)
                policy.check(resource, settings(policy, args.get_config()), report_violation)

        return pulumi_policy.ResourceValidationPolicy(validate=validate_resource, **common)

    def validate_stack(args: Any, report_violation: Callable[..., None]) -> None:
        resources = [Resource(r.resource_type, r.name, r.props, r.urn) for r in args.resources]
        policy.check(
            resources,
            settings(policy, args.get_config()),
            lambda message, resource: report_violation(message, resource.urn or None),
        )

    return pulumi_policy.StackValidationPolicy(validate=validate_stack, **common)
