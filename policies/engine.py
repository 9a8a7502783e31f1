"""The policy model shared by the Pulumi pack and the standalone evaluator.

Each policy is a plain function over resources, so that exactly the same code judges a
``pulumi preview`` (through ``pulumi_policy``, see :func:`to_pulumi_policy`), the offline check and
``python -m policies.evaluate`` (through :func:`evaluate`). ``pulumi_policy`` starts a gRPC server
when a pack is built, so it is imported only where the pack is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from policies.record import InputError, Kind, PropError, Resource, UnknownValue, kind_of

Level = Literal["advisory", "mandatory", "remediate", "disabled"]
LEVELS: tuple[Level, ...] = ("advisory", "mandatory", "remediate", "disabled")
# Levels that stop a deployment (this pack has no remediations, so remediate blocks too).
BLOCKING: frozenset[str] = frozenset({"mandatory", "remediate"})


class PolicyConfigError(Exception):
    """A policy configuration file that the Pulumi engine would reject too."""


ReportResource = Callable[[str], None]
ReportStack = Callable[[str, Resource], None]
Check = Callable[[Resource, Mapping[str, Any], ReportResource], None]


@dataclass(frozen=True)
class Stack:
    """All resources of a stack, as a stack policy sees them."""

    resources: Sequence[Resource]
    complete: bool = True
    """False when the input leaves out resources the update keeps as they are (a preview
    without ``--show-sames``): a policy that needs them must not judge without them."""


@dataclass(frozen=True)
class ResourcePolicy:
    """A rule over one resource at a time, with one check per kind it applies to.

    Kinds are matched by API group and kind, never by version, so that a ``v1beta2`` object is
    judged like its ``v1`` twin; looking the kind up in ``checks`` is all the matching there is.
    """

    name: str
    description: str
    checks: Mapping[Kind, Check]
    level: Level = "mandatory"
    config: Mapping[str, Any] = field(default_factory=dict)
    """JSON-schema properties of the policy's settings; each carries its ``default``."""


@dataclass(frozen=True)
class StackPolicy:
    """A rule over all resources of a stack together."""

    name: str
    description: str
    check: Callable[[Stack, Mapping[str, Any], ReportStack], None]
    level: Level = "mandatory"
    config: Mapping[str, Any] = field(default_factory=dict)


Policy = ResourcePolicy | StackPolicy


@dataclass(frozen=True)
class Violation:
    policy: str
    level: Level
    resource: Resource
    message: str

    @property
    def blocking(self) -> bool:
        return self.level in BLOCKING


@dataclass(frozen=True)
class Skip:
    """A check that did not run because a value it reads is hidden from the input."""

    policy: str
    reason: str
    urn: str | None


@dataclass(frozen=True)
class Evaluation:
    violations: list[Violation]
    skipped: list[Skip]


def settings(policy: Policy, given: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's settings: its schema defaults overlaid with the configured values."""
    defaults = {key: schema["default"] for key, schema in policy.config.items()}
    return {**defaults, **given}


def list_setting(items: dict[str, Any], default: list[str], description: str) -> dict[str, Any]:
    """The JSON-schema property of a setting that takes a list of ``items``."""
    return {"type": "array", "items": items, "default": default, "description": description}


def settings_schema(policy: Policy) -> dict[str, Any]:
    """The JSON schema of a policy's settings, as Pulumi checks a pack config against it."""
    return {"type": "object", "properties": dict(policy.config), "additionalProperties": False}


# Deeper than any resource's inputs or config file: deeper input is refused before the
# recursive readers see it, whatever the depth of the stack they are called from.
MAX_JSON_DEPTH = 200


def read_json(path: Path, error: type[Exception]) -> Any:
    """The JSON document in ``path``; ``error`` with the reason when it cannot be had."""
    too_deep = error(f"{path}: nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise too_deep from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise too_deep
    return document


def _depth(document: Any) -> int:
    """How deeply lists and objects nest in ``document`` (without recursing)."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
    return deepest


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
    resolved: Sequence[ResolvedPolicy], resources: Sequence[Resource], complete: bool = True
) -> Evaluation:
    """Run every enabled policy over ``resources``, each resource through each policy once.

    A check that reads a value the input hides (:class:`UnknownValue`) is skipped, as
    ``pulumi preview`` does: a resource policy for that resource, a stack policy as a whole.
    Fields of the wrong shape (:class:`PropError`) are gathered over all resources and raised
    together as one :class:`InputError`, so that a user sees every one at once.
    """
    outcome = _Outcome()
    stack = Stack(resources, complete)
    for item in resolved:
        if item.level == "disabled":
            continue
        policy, level = item.policy, item.level
        if isinstance(policy, ResourcePolicy):
            for resource in resources:
                check = policy.checks.get(resource.kind)
                if check is not None:
                    report = outcome.reporter(policy.name, level, resource)
                    with outcome.judging(policy.name):
                        check(resource, item.settings, report)
        else:
            with outcome.judging(policy.name):
                policy.check(stack, item.settings, outcome.stack_reporter(policy.name, level))
    if outcome.errors:
        raise InputError("\n".join(outcome.errors))
    return Evaluation(outcome.violations, outcome.skipped)


class _Outcome:
    """What an evaluation found so far: violations, skipped checks and input errors."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.skipped: list[Skip] = []
        self.errors: dict[str, None] = {}  # in order found; several policies read one field

    def reporter(self, policy: str, level: Level, resource: Resource) -> ReportResource:
        return lambda message: self.violations.append(Violation(policy, level, resource, message))

    def stack_reporter(self, policy: str, level: Level) -> ReportStack:
        return lambda message, resource: self.violations.append(
            Violation(policy, level, resource, message)
        )

    @contextmanager
    def judging(self, policy: str) -> Iterator[None]:
        try:
            yield
        except UnknownValue as hidden:
            self.skipped.append(Skip(policy, str(hidden), hidden.urn))
        except PropError as error:
            self.errors[str(error)] = None


def to_pulumi_policy(policy: Policy) -> Any:
    """The ``pulumi_policy`` object that runs ``policy`` inside ``pulumi preview``/``up``.

    There, ``pulumi_policy`` itself skips a check that reads an unknown value, and a field of
    the wrong shape (which the provider rejects before policies run) fails the analysis.
    """
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
            check = policy.checks.get(kind_of(args.resource_type))
            if check is not None:
                resource = Resource(args.resource_type, args.name, args.props, args.urn)
                check(resource, settings(policy, args.get_config()), report_violation)

        return pulumi_policy.ResourceValidationPolicy(validate=validate_resource, **common)

    def validate_stack(args: Any, report_violation: Callable[..., None]) -> None:
        # Inside Pulumi a stack policy sees every resource of the stack, changed or not.
        stack = Stack(
            [
                Resource(
                    r.resource_type,
                    r.name,
                    r.props,
                    r.urn,
                    dependencies=tuple(d.urn for d in r.dependencies),
                )
                for r in args.resources
            ]
        )
        policy.check(
            stack,
            settings(policy, args.get_config()),
            lambda message, resource: report_violation(message, resource.urn),
        )

    return pulumi_policy.StackValidationPolicy(validate=validate_stack, **common)
