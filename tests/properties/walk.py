"""Walk a stack's raw config alongside the config models: every key path with what it must hold.

The property tests draw their edits from this walk, so a section or key added to the models and to
the committed stacks is edited and checked without a change here.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import annotated_types
import yaml
from pydantic import AfterValidator, BaseModel, SecretStr
from pydantic_core import PydanticCustomError

from pipeline.config import StackConfig
from pipeline.config.base import NAMESPACE
from tests.conftest import PROJECT_DIR

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Shape:
    """What a key must hold: a ``kind`` (model, map, list, choice, scalar, union) and its parts."""

    kind: str
    type: Any = None
    """The model class (model), the item type (list), the value type (map), the Python type
    (scalar), the choices (choice)."""
    key: Any = None
    """The key type of a map."""
    metadata: tuple[Any, ...] = ()
    """Validators and constraints (AfterValidator, MinLen, Ge, ...) on the value."""

    def rejects(self, value: Any) -> bool:
        """Whether the value's own validators or bounds refuse ``value`` (of the right type)."""
        return any(_refuses(item, value) for item in self.metadata)

    def bounds(self) -> tuple[int, int] | None:
        """The documented range of an integer: ``between(low, high)`` or ``ge``/``le``."""
        low = high = None
        for item in self.metadata:
            if isinstance(item, AfterValidator):
                found = inspect.getclosurevars(item.func).nonlocals
                low, high = found.get("low", low), found.get("high", high)
            elif isinstance(item, annotated_types.Ge):
                low = item.ge
            elif isinstance(item, annotated_types.Le):
                high = item.le
            elif isinstance(item, annotated_types.Interval):
                low, high = item.ge, item.le
        return None if low is None or high is None else (low, high)

    def min_length(self) -> int:
        return max(
            (item.min_length for item in self.metadata if isinstance(item, annotated_types.MinLen)),
            default=0,
        )


def _refuses(item: Any, value: Any) -> bool:
    if isinstance(item, AfterValidator):
        try:
            item.func(value)
        except (PydanticCustomError, ValueError):
            return True
        return False
    if isinstance(item, annotated_types.BaseMetadata) and hasattr(item, "__dict__"):
        checks = {
            "ge": lambda bound: value >= bound,
            "le": lambda bound: value <= bound,
            "gt": lambda bound: value > bound,
            "lt": lambda bound: value < bound,
        }
        for name, check in checks.items():
            bound = getattr(item, name, None)
            if bound is not None and isinstance(value, int | float) and not check(bound):
                return True
    return False


def shape_of(annotation: Any, metadata: tuple[Any, ...] = ()) -> Shape:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner, *more = typing.get_args(annotation)
        return shape_of(inner, (*metadata, *more))
    if origin in (Union, types.UnionType):
        members = [item for item in typing.get_args(annotation) if item is not type(None)]
        if len(members) == 1:
            return shape_of(members[0], metadata)
        return Shape("union", tuple(members), metadata=metadata)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return Shape("model", annotation, metadata=metadata)
    if origin is dict:
        key, value = typing.get_args(annotation)
        return Shape("map", value, key=key, metadata=metadata)
    if origin in (tuple, list):
        return Shape("list", typing.get_args(annotation)[0], metadata=metadata)
    if origin is Literal:
        return Shape("choice", typing.get_args(annotation), metadata=metadata)
    return Shape("scalar", annotation, metadata=metadata)


def field_shapes(model: type[BaseModel]) -> dict[str, Shape]:
    """Each key of ``model`` as the stack file spells it, with its shape."""
    return {
        field.alias or name: shape_of(field.annotation, tuple(field.metadata))
        for name, field in model.model_fields.items()
    }


@dataclass(frozen=True)
class Node:
    path: Path
    """Key path below the ``data-pipeline:`` namespace."""
    value: Any
    shape: Shape


def walk(value: Any, shape: Shape, path: Path = ()) -> Iterator[Node]:
    """Every key path of ``value`` (``path`` and below) with the shape the models give it."""
    yield Node(path, value, shape)
    if shape.kind == "model" and isinstance(value, dict):
        fields = field_shapes(shape.type)
        for key, item in value.items():
            if key in fields:
                yield from walk(item, fields[key], (*path, key))
    elif shape.kind == "map" and isinstance(value, dict):
        inner = shape_of(shape.type)
        for key, item in value.items():
            yield from walk(item, inner, (*path, key))
    elif shape.kind == "list" and isinstance(value, list):
        inner = shape_of(shape.type)
        for index, item in enumerate(value):
            yield from walk(item, inner, (*path, index))


STACK_SHAPE = Shape("model", StackConfig)


def stack_config(stack: str) -> dict[str, Any]:
    """The ``data-pipeline:`` keys of a committed stack file, without the namespace."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    prefix = f"{NAMESPACE}:"
    return {
        key.removeprefix(prefix): value
        for key, value in document["config"].items()
        if key.startswith(prefix)
    }


def is_secret(shape: Shape) -> bool:
    return shape.kind == "union" and SecretStr in shape.type


def declared_names(config: dict[str, Any]) -> set[str]:
    """Every key of a map of the stack (roles, keys, topics, clients, ...): what references
    name."""
    return {
        str(key)
        for node in walk(config, STACK_SHAPE)
        if node.shape.kind == "map" and isinstance(node.value, dict)
        for key in node.value
    }
