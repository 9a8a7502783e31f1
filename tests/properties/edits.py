"""Edits of a valid stack that make it invalid, each with the key path its error must name.

Drawn from the walk of the stack against the models (tests/properties/walk.py): every key of every
section gets the edits its shape allows (wrong types, numbers out of their range, unknown keys,
empty maps and lists, duplicate names, references to names nothing declares).
"""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

import yaml

from pipeline import check
from pipeline.config import elasticsearch, loader, tensorflow
from pipeline.config.base import NAMESPACE, _path
from tests.properties.walk import (
    STACK_SHAPE,
    Node,
    Path,
    declared_names,
    field_shapes,
    shape_of,
    walk,
)

UNKNOWN_KEY = "notAKey"
BAD_NAME = "Not A Name!"
UNDECLARED = "undeclared-name"
BAD_TEXT = "Not Valid!"
# Elasticsearch indices are declared nowhere in a stack (a connector creates its index on its
# first write): a name that matches a topic's is a coincidence, not a reference.
INDEX_NAMES = {
    tuple(typing.get_args(kind)[1:])
    for kind in (elasticsearch.IndexPattern, loader.IndexName, tensorflow.IndexPattern)
}


@dataclass(frozen=True)
class Edit:
    what: str
    path: Path
    """Where the edit puts ``value``."""
    value: Any
    names: Path
    """The key path the error must name (it or a key below it)."""


def _set(config: dict[str, Any], path: Path, value: Any) -> None:
    parent: Any = config
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value


def applied(config: dict[str, Any], edits: list[Edit]) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    for edit in edits:
        _set(changed, edit.path, copy.deepcopy(edit.value))
    return changed


def _wrong_types(node: Node) -> Iterator[Edit]:
    kind, value = node.shape.kind, node.value
    if kind in ("model", "map"):
        yield Edit("text for an object", node.path, "text", node.path)
        yield Edit("a list for an object", node.path, ["x"], node.path)
    elif kind == "list":
        yield Edit("an object for a list", node.path, {"x": 1}, node.path)
    elif kind == "scalar" and node.shape.type is int:
        yield Edit("text for a number", node.path, "text", node.path)
    elif kind == "scalar" and node.shape.type is bool:
        yield Edit("text for a flag", node.path, "maybe", node.path)
    if kind in ("scalar", "choice", "union") and not isinstance(value, dict | list):
        yield Edit("a list for a scalar", node.path, [["x"]], node.path)
        yield Edit("an object for a scalar", node.path, {"x": [1]}, node.path)


def _out_of_range(node: Node) -> Iterator[Edit]:
    bounds = node.shape.bounds() if node.shape.type is int else None
    if node.shape.kind == "scalar" and bounds:
        low, high = bounds
        yield Edit("a number below its range", node.path, low - 1, node.path)
        yield Edit("a number above its range", node.path, high + 1, node.path)


def _unknown_keys(node: Node) -> Iterator[Edit]:
    value = node.value
    if node.shape.kind == "model" and isinstance(value, dict):
        key = UNKNOWN_KEY
        yield Edit("an unknown key", (*node.path, key), 1, (*node.path, key))
    is_map = node.shape.kind == "map" and isinstance(value, dict) and value
    if is_map and shape_of(node.shape.key).rejects(BAD_NAME):
        where = (*node.path, BAD_NAME)
        yield Edit("a key that is no name", where, next(iter(value.values())), where)


def _empty(node: Node) -> Iterator[Edit]:
    shape, value = node.shape, node.value
    if shape.kind == "model" and isinstance(value, dict):
        required = [
            key
            for key, field in shape.type.model_fields.items()
            if field.is_required() and (field.alias or key) in field_shapes(shape.type)
        ]
        if required:
            yield Edit("an empty object", node.path, {}, node.path)
    if shape.kind == "map" and (shape.min_length() or shape.rejects({})):
        yield Edit("an empty map", node.path, {}, node.path)
    if shape.kind == "list" and (shape.min_length() or shape.rejects(())):
        yield Edit("an empty list", node.path, [], node.path)


def _duplicates(node: Node) -> Iterator[Edit]:
    value = node.value
    if node.shape.kind == "list" and isinstance(value, list) and value:
        yield Edit("a name listed twice", node.path, [*value, value[0]], node.path)


def _bad_text(node: Node, names: set[str]) -> Iterator[Edit]:
    shape, value = node.shape, node.value
    if shape.kind == "choice":
        yield Edit("a value outside the choices", node.path, "not-a-choice", node.path)
    if shape.kind != "scalar" or shape.type is not str:
        return
    if shape.rejects(BAD_TEXT):
        yield Edit("text of the wrong form", node.path, BAD_TEXT, node.path)
    is_index = shape.metadata in INDEX_NAMES
    if isinstance(value, str) and value in names and not is_index and not shape.rejects(UNDECLARED):
        yield Edit("a reference to nothing declared", node.path, UNDECLARED, node.path)


def invalid_edits(config: dict[str, Any]) -> list[Edit]:
    """Every invalid edit the walk of ``config`` finds, in walk order."""
    names = declared_names(config)
    assert UNDECLARED not in names
    found = [Edit("an unknown section", (UNKNOWN_KEY,), {"x": 1}, (UNKNOWN_KEY,))]
    for node in walk(config, STACK_SHAPE):
        if not node.path:
            continue
        for edits in (
            _wrong_types(node),
            _out_of_range(node),
            _unknown_keys(node),
            _empty(node),
            _duplicates(node),
            _bad_text(node, names),
        ):
            found.extend(edits)
    return found


def run_check(stack: str, config: dict[str, Any]) -> tuple[int, str, str]:
    """``python -m pipeline.check --stack STACK --stack-file <config>``, in this process."""
    document = {"config": {f"{NAMESPACE}:{key}": value for key, value in config.items()}}
    with tempfile.TemporaryDirectory() as folder:
        stack_file = FilePath(folder) / f"Pulumi.{stack}.yaml"
        stack_file.write_text(yaml.safe_dump(document))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = check.main(["--stack", stack, "--stack-file", str(stack_file)])
    return code, out.getvalue(), err.getvalue()


def names_path(line: str, path: Path) -> bool:
    """Whether an error line is about ``path`` or a key below it."""
    text = _path(path)
    message = line.removeprefix("error: ")
    return any(message.startswith(text + follow) for follow in (": ", ".", "[", " "))
