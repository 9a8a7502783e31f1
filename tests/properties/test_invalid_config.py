"""Whatever invalid edits a valid stack file gets, the check exits 2 naming each offending key,
through the same entry point as ``python -m pipeline.check``, and never with a traceback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import STACKS
from tests.properties.edits import Edit, applied, invalid_edits, names_path, run_check
from tests.properties.walk import stack_config

CONFIGS = {stack: stack_config(stack) for stack in STACKS}
EDITS = {stack: invalid_edits(config) for stack, config in CONFIGS.items()}


def _apart(edits: list[Edit]) -> bool:
    """No edit inside another's key path: each can be named on its own."""
    paths = [edit.path for edit in edits]
    return not any(a != b and b[: len(a)] == a for a in paths for b in paths)


def test_the_walk_reaches_every_section_with_every_kind_of_edit():
    # The edits come from walking the committed stacks against the models: an empty walk would
    # make the properties below vacuous.
    for stack, config in CONFIGS.items():
        sections = {edit.path[0] for edit in EDITS[stack]}
        assert set(config) <= sections, stack
    kinds = {edit.what for edits in EDITS.values() for edit in edits}
    assert {
        "an unknown key",
        "an unknown section",
        "text for an object",
        "a list for a scalar",
        "text for a number",
        "a number below its range",
        "a number above its range",
        "an empty map",
        "an empty object",
        "a name listed twice",
        "a reference to nothing declared",
        "a value outside the choices",
        "text of the wrong form",
        "a key that is no name",
    } <= kinds


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_an_invalid_edit_exits_2_naming_its_key(data):
    stack = data.draw(st.sampled_from(STACKS), label="stack")
    edit = data.draw(st.sampled_from(EDITS[stack]), label="edit")
    code, out, err = run_check(stack, applied(CONFIGS[stack], [edit]))
    lines = err.splitlines()
    assert code == 2, (edit, out, err)
    assert lines, edit
    assert all(line.startswith("error: ") for line in lines), err
    # Each line is about the edited key or a key below it: nothing else is blamed.
    assert all(names_path(line, edit.names) for line in lines), (edit, err)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_several_invalid_edits_exit_2_naming_only_edited_keys(data):
    stack = data.draw(st.sampled_from(STACKS), label="stack")
    edits = data.draw(
        st.lists(
            st.sampled_from(EDITS[stack]), min_size=2, max_size=4, unique_by=lambda e: e.path
        ).filter(_apart),
        label="edits",
    )
    code, _, err = run_check(stack, applied(CONFIGS[stack], edits))
    lines = err.splitlines()
    assert code == 2, (edits, err)
    assert all(line.startswith("error: ") for line in lines), err
    # Rules between sections are checked once every section is valid on its own: a reference
    # edit may wait for the others to be fixed, but every line is about an edited key.
    for line in lines:
        assert any(names_path(line, edit.names) for edit in edits), (edits, line)
