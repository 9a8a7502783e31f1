"""The one record of a resource, from the offline run through the policy engine to the report,
and typed reading of its inputs.

Standard library only, so that the policy pack (and ``python -m policies.evaluate``) can load it
without the Pulumi SDK. Not named ``resource``: Pulumi runs the pack with this folder first on
``sys.path``, where a ``resource.py`` would shadow the standard library's module of that name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

# How Pulumi writes a value that a preview cannot know yet: one sentinel per type of value
# (the same strings as pulumi_policy.proxy and the engine's `pulumi preview --json`).
UNKNOWN_VALUES = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
# How `pulumi preview --json` and the offline check write a secret value, whatever its type.
SECRET_PLACEHOLDER = "[secret]"


class Kind(NamedTuple):
    """A Kubernetes kind by API group and kind: the same object in every version of the group."""

    group: str
    """The API group as Pulumi spells it in type tokens: ``core`` for the core group;
    ``aws:<module>`` for AWS resources."""
    kind: str


@functools.cache
def kind_of(type_token: str) -> Kind | None:
    """The kind of a pulumi-kubernetes type token, ``kubernetes:<group>/<version>:<Kind>``, or
    of a pulumi-aws one, ``aws:<module>/<name>:<Kind>`` (group ``aws:<module>``); None for every
    other token (other providers, components, ``kubernetes:yaml:ConfigFile``)."""
    package, _, rest = type_token.partition(":")
    group_version, _, kind = rest.partition(":")
    group, slash, _version = group_version.rpartition("/")
    if not slash or not kind:
        return None
    if package == "aws":
        return Kind(f"aws:{group}", kind)
    if package != "kubernetes":
        return None
    return Kind(group, kind)


class InputError(Exception):
    """Input that cannot be judged as it stands: the evaluator and the check exit 2."""


class PropError(InputError):
    """A field of a resource that is not shaped as Kubernetes defines it, or is missing."""

    def __init__(self, owner: str, path: str, problem: str) -> None:
        super().__init__(f"{owner}: {path} {problem}" if path else f"{owner} {problem}")


class UnknownValue(Exception):
    """A field whose value the input does not show (not known until the update runs, or a
    secret): the check that reads it is skipped, as ``pulumi preview`` does."""

    def __init__(self, owner: str, path: str, secret: bool, urn: str | None) -> None:
        hidden = "is secret" if secret else "is not known until the update runs"
        super().__init__(f"{owner}: {path} {hidden}" if path else f"{owner} {hidden}")
        self.urn = urn


@dataclass(frozen=True)
class Resource:
    """A resource as the offline run records it, the policies judge it and the report lists it."""

    type: str
    """Pulumi type token, e.g. ``kubernetes:storage.k8s.io/v1:StorageClass``."""
    name: str
    """Logical name (the last part of the URN)."""
    props: Mapping[str, Any]
    """The resource's inputs in wire format (camelCase)."""
    urn: str | None = None
    """None where the input does not tell it (a resources.json written before URNs were)."""
    component: str | None = None
    """Logical name of the nearest enclosing component; None for children of the stack."""
    custom: bool = True
    """False for component resources."""
    retain_on_delete: bool = False
    """Whether ``pulumi destroy`` leaves the object in place."""
    protect: bool = False
    """Whether Pulumi refuses to delete or replace the resource."""
    dependencies: tuple[str, ...] = ()
    """URNs the resource depends on, explicitly or through its inputs."""
    input_sources: tuple[str, ...] = ()
    """URNs of the resources whose outputs its inputs use (known to the offline check only): a
    subset of ``dependencies`` that, unlike them, never varies between runs."""
    provider: str = ""
    """Reference of the resource's explicit provider; empty when it would use a default one."""
    aliases: tuple[str, ...] = ()
    """Former URNs of the resource (its parent's included), so a move is not a replace."""
    ignore_changes: tuple[str, ...] = ()
    """Inputs Pulumi never updates in place."""

    @property
    def kind(self) -> Kind | None:
        return kind_of(self.type)

    @property
    def label(self) -> str:
        """How messages name the resource: type token and logical name."""
        return f'{self.type} "{self.name}"'

    def at(self, *keys: str) -> Field:
        """The input at ``keys`` below the top of the inputs."""
        return Field(self.label, "", self.props, self.urn).at(*keys)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Field:
    """A value at a path of some input, read as the type Kubernetes gives it.

    Every policy reads its inputs through these readers, so that a value of the wrong shape is
    one error naming the resource and the field (:class:`PropError`, exit 2) wherever it occurs,
    and a value the input hides is one :class:`UnknownValue` that skips the check.
    """

    __slots__ = ("owner", "path", "urn", "value")

    def __init__(self, owner: str, path: str, value: Any, urn: str | None = None) -> None:
        self.owner = owner
        """Who holds the value, for messages: a resource's label or a place in a file."""
        self.path = path
        self.value = value
        self.urn = urn

    def at(self, *keys: str) -> Field:
        """The field below this object at ``keys``; an absent object has absent fields."""
        field = self
        for key in keys:
            mapping = field.object()
            value = None if mapping is None else mapping.get(key)
            field = Field(self.owner, _child_path(field.path, key), value, self.urn)
        return field

    def object(self) -> Mapping[str, Any] | None:
        return self._typed(Mapping, "an object")

    def items(self) -> list[Field]:
        """The elements of a list; none when the list is absent."""
        values = self._typed(Sequence, "a list", exclude=(str, Mapping))
        return [
            Field(self.owner, f"{self.path}[{index}]", value, self.urn)
            for index, value in enumerate(values or ())
        ]

    def text(self) -> str | None:
        return self._typed(str, "a string")

    def required_text(self) -> str:
        """A string that Kubernetes requires."""
        return self.required()._typed(str, "a string")

    def flag(self) -> bool | None:
        return self._typed(bool, "true or false")

    def number(self) -> int | float | None:
        return self._typed((int, float), "a number", exclude=(bool,))

    def whole_number(self, minimum: int | None = None) -> int | None:
        """A count: Pulumi's wire format holds only doubles, so a whole float is one too."""
        number = self.number()
        if number is None:
            return None
        if not float(number).is_integer() or (minimum is not None and number < minimum):
            raise self.reject(
                "a whole number" + ("" if minimum is None else f", {minimum} or more")
            )
        return int(number)

    def required(self) -> Field:
        """This field, which Kubernetes requires: its absence is an input error."""
        self._check_known()
        if self.value is None:
            raise PropError(self.owner, self.path, "is missing")
        return self

    def reject(self, expected: str) -> PropError:
        """The error for this field's value, which should be ``expected``."""
        return PropError(self.owner, self.path, f"should be {expected}, not {_shown(self.value)}")

    def _typed(self, kind: type | tuple[type, ...], expected: str, exclude: tuple = ()) -> Any:
        self._check_known()
        if self.value is None:
            return None
        if not isinstance(self.value, kind) or isinstance(self.value, exclude):
            raise self.reject(expected)
        return self.value

    def _check_known(self) -> None:
        if isinstance(self.value, str) and (
            self.value == SECRET_PLACEHOLDER or self.value in UNKNOWN_VALUES
        ):
            secret = self.value == SECRET_PLACEHOLDER
            raise UnknownValue(self.owner, self.path, secret, self.urn)


def _child_path(parent: str, key: str) -> str:
    # Keys such as label names hold dots and slashes: bracket them so the path stays readable.
    if _PLAIN_KEY.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    return f'{parent}["{key}"]'


def _shown(value: Any) -> str:
    """A value as an error message shows it: its JSON type, and scalars themselves."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shortened = value if len(value) <= 40 else value[:40] + "..."
        return f"the string {shortened!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, Mapping):
        return "an object"
    return "a list" if isinstance(value, Sequence) else f"a {type(value).__name__}"
