"""The validation machinery every config section shares.

A base model (camelCase keys as in the stack file, unknown keys rejected with the allowed ones
listed), reusable field types, and the one error format: each problem is one line naming the full
key path, the bad value and what is allowed, e.g.
``data-pipeline:storage.classes.db.repl: 5 is not allowed (1..3)``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

NAMESPACE = "data-pipeline"

# Fields whose values are never echoed in an error message.
_SECRET_FIELDS = frozenset({"passphrase", "kubeconfig", "token"})


class ConfigError(pulumi.RunError):
    """An invalid stack configuration.

    A ``RunError`` so that the Pulumi language host reports it as a clean message, not a traceback.
    """


def not_allowed(allowed: str) -> PydanticCustomError:
    """The error of a value outside what is allowed; ``allowed`` says what is."""
    return PydanticCustomError("not_allowed", "{allowed}", {"allowed": allowed})


def config_rule(message: str) -> PydanticCustomError:
    """The error of a rule between several keys, reported at the object that holds them."""
    return PydanticCustomError("config_rule", message)


@dataclass(frozen=True)
class Problem:
    """A problem a model validator found between keys (e.g. an undeclared reference).

    ``loc`` is the key path inside the model that found it; ``allowed`` says what is allowed
    instead of ``value``; or ``rule`` states a rule between keys (then ``value`` is not shown).
    """

    loc: tuple[str | int, ...]
    value: Any = None
    allowed: str = ""
    rule: str = ""


def raise_problems(problems: Iterable[Problem]) -> None:
    """Raise the problems a model validator found, all at once (one line each), or nothing."""
    found = list(problems)
    if found:
        raise PydanticCustomError("problems", "problems between keys", {"problems": found})


def at_least_one(values: tuple) -> tuple:
    """A non-empty list. (A length constraint on the tuple type would also report a list whose
    items are bad, twice.)"""
    if not values:
        raise not_allowed("at least one entry")
    return values


def no_duplicates(values: tuple) -> tuple:
    """A list that names each thing once: a repeat is a typo or a merge gone wrong, never a
    setting."""
    repeated = [f"{value} {count} times" for value, count in Counter(values).items() if count > 1]
    if repeated:
        raise config_rule("lists " + ", ".join(repeated))
    return values


def matching(pattern: str, allowed: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise not_allowed(allowed)
        return value

    return check


def between(low: int, high: int) -> Callable[[int], int]:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise not_allowed(f"{low}..{high}")
        return value

    return check


_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"

DnsLabel = Annotated[
    str,
    AfterValidator(
        matching(
            rf"(?=.{{1,63}}$){_DNS_LABEL}",
            "a DNS label: lowercase letters, digits and '-', at most 63 characters",
        )
    ),
]
# Short enough that "<namespace>-<pipeline>" and "<prefix>-<role>-<digest>" stay valid names.
ShortName = Annotated[
    str,
    AfterValidator(
        matching(
            rf"(?=.{{1,30}}$){_DNS_LABEL}",
            "a DNS label of at most 30 characters: lowercase letters, digits and '-'",
        )
    ),
]
# A pipeline's name also names its Kafka cluster and Services, which must start with a letter.
PipelineName = Annotated[
    str,
    AfterValidator(
        matching(
            r"(?=.{1,30}$)[a-z]([-a-z0-9]*[a-z0-9])?",
            "a DNS-1035 label of at most 30 characters: lowercase letters, digits and '-', "
            "starting with a letter",
        )
    ),
]
LabelKey = Annotated[
    str,
    AfterValidator(
        matching(
            r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?",
            "a Kubernetes label key such as topology.kubernetes.io/zone",
        )
    ),
]
Quantity = Annotated[
    str,
    AfterValidator(
        matching(
            r"(0|[1-9][0-9]*)(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?",
            "a Kubernetes quantity such as 100Gi",
        )
    ),
]
Cidr = Annotated[
    str,
    AfterValidator(
        matching(
            r"(([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}|[0-9a-fA-F:]+/[0-9]{1,3})",
            "a CIDR block such as 10.0.0.0/16",
        )
    ),
]


class ConfigModel(BaseModel):
    """Base of every config model: camelCase keys as in the stack file, unknown keys rejected."""

    model_config = ConfigDict(alias_generator=to_camel, frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        # Done here rather than with pydantic's own extra="forbid" error so that the message
        # can list the keys that are allowed at this level.
        if isinstance(data, Mapping):
            allowed = sorted(field.alias or name for name, field in cls.model_fields.items())
            unknown = sorted(str(key) for key in data if key not in allowed)
            if unknown:
                raise PydanticCustomError(
                    "unknown_key", "unknown key", {"keys": unknown, "allowed": ", ".join(allowed)}
                )
        return data


def validate(model: type[BaseModel], raw: Mapping[str, Any]) -> Any:
    """``raw`` validated as ``model``; a ``ConfigError`` listing every problem otherwise."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc)) from None


def format_errors(exc: ValidationError) -> str:
    """One line per problem: ``<full key path>: <bad value> is not allowed (<what is>)``."""
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        if error["type"] == "problems":
            # A problem's path is relative to the model whose validator found it.
            where = tuple(error["loc"])
            lines.extend(_format_problem(where, problem) for problem in error["ctx"]["problems"])
        else:
            lines.append(_format_error(error))
    return "\n".join(lines)


def _format_problem(where: tuple[str | int, ...], problem: Problem) -> str:
    path = _path((*where, *problem.loc))
    if problem.rule:
        return f"{path}: {problem.rule}"
    return f"{path}: {_show(problem.value)} is not allowed ({problem.allowed})"


def _format_error(error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "unknown_key":
        keys = ctx["keys"]
        if len(keys) == 1:
            return f"{_path((*loc, keys[0]))}: unknown key (allowed here: {ctx['allowed']})"
        listed = ", ".join(keys)
        return f"{_path(loc)}: unknown keys {listed} (allowed here: {ctx['allowed']})"
    if kind == "missing":
        return f"{_path(loc)}: required but not set"
    if kind == "config_rule":
        return f"{_path(loc)}: {error['msg']}"
    if kind == "not_allowed":
        allowed = ctx["allowed"]
    elif kind == "literal_error":
        allowed = f"one of {ctx['expected']}"
    elif kind == "too_short":
        allowed = "at least one entry"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        allowed = "expected an object of keys and values"
    elif kind in ("list_type", "tuple_type"):
        allowed = "expected a list"
    else:
        allowed = error["msg"].replace("Input should be", "expected")
    value = "[secret]" if _SECRET_FIELDS.intersection(map(str, loc)) else _show(error["input"])
    return f"{_path(loc)}: {value} is not allowed ({allowed})"


def _path(loc: tuple[Any, ...]) -> str:
    # Dict keys validated as keys show up as "<key>.[key]": the key itself is the bad value.
    parts = [part for part in loc if part != "[key]"]
    text = NAMESPACE + ":"
    for index, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if index else "") + str(part)
    return text


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object" if value else "an empty object"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def read_namespace_values() -> dict[str, Any]:
    """Every ``data-pipeline:`` key the Pulumi runtime holds, objects JSON-decoded."""
    # pulumi.Config can only look keys up, not list them; listing them is what lets a misspelt
    # top-level key (data-pipeline:storge) be an error instead of a silently ignored setting.
    from pulumi.runtime import config as runtime_config

    known = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    config = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    for full_key in known:
        if full_key.startswith(prefix):
            key = full_key.removeprefix(prefix)
            values[key] = _decode(config.get(key))
    return values


def _decode(value: str | None) -> Any:
    """Structured values reach the program as JSON text, scalars as plain strings."""
    if value is not None and value.lstrip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
