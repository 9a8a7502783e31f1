"""Whatever JSON stands where a resource's props belong, ``python -m policies.evaluate`` answers
with exit 0, 1 or 2 and a message, never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import evaluate
from policies.engine import MAX_JSON_DEPTH
from policies.record import SECRET_PLACEHOLDER, UNKNOWN_VALUES
from tests.conftest import PROJECT_DIR
from tests.policies.helpers import json_paths, run_evaluate

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from([SECRET_PLACEHOLDER, *sorted(UNKNOWN_VALUES), "px-prod-db", "ReadWriteMany"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def prod_resources(stack_outputs: dict[str, Path]) -> list[dict[str, Any]]:
    return json.loads((stack_outputs["prod"] / "resources.json").read_text())


def _evaluate(entries: list[dict[str, Any]]) -> tuple[int, str, str]:
    config = PROJECT_DIR / "policies" / "config" / "prod.json"
    return run_evaluate(entries, "resources.json", "--config", str(config))


def _answers(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2)
    if code == 2:
        assert err and all(line.startswith("error: ") for line in err.splitlines()), err
    else:
        assert err == ""
        assert out.splitlines()[-1].startswith("Result: ")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), value=JSON)
def test_any_json_anywhere_in_a_resources_props_gets_an_answer(prod_resources, data, value):
    entries = [dict(entry) for entry in prod_resources]
    index = data.draw(st.integers(0, len(entries) - 1), label="resource")
    props = entries[index]["props"]
    where = data.draw(st.sampled_from(json_paths(props)), label="path")
    if not where:
        changed: Any = value
    else:
        changed = json.loads(json.dumps(props))
        parent = changed
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = value
    entries[index] = {**entries[index], "props": changed}
    _answers(*_evaluate(entries))


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH - 5, MAX_JSON_DEPTH + 1, 5000])
def test_deep_nesting_gets_an_answer(prod_resources, depth, tmp_path):
    entry = prod_resources[0]
    text = json.dumps([{**entry, "props": {}}])
    # json.dumps cannot write what is nested this deeply: splice the text in.
    opened = "".join("[" if level % 2 else '{"spec": ' for level in range(depth))
    closed = "".join("]" if level % 2 else "}" for level in reversed(range(depth)))
    path = tmp_path / "resources.json"
    path.write_text(text.replace('"props": {}', f'"props": {{"spec": {opened}1{closed}}}'))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = evaluate.main([str(path)])
    _answers(code, out.getvalue(), err.getvalue())
    if depth > MAX_JSON_DEPTH:
        assert err.getvalue() == f"error: {path}: nested more than {MAX_JSON_DEPTH} levels deep\n"


def test_a_file_that_is_not_text_exits_2(tmp_path, capsys):
    path = tmp_path / "resources.json"
    path.write_bytes(b"\xff\xfe[]")
    assert evaluate.main([str(path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {path}: not UTF-8 text (invalid start byte at byte 0)\n"
    )
