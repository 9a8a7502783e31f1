"""Whatever valid config a stack is given within the documented ranges, the check passes: no
schema failure, no violation of the stack's mandatory policies.

Drawn from each committed stack: its pipelines cloned under arbitrary names, and every number
whose range the models document set anywhere from the stack's own value (the policy config's
minimums are met there) to the top of its range. Numbers that other keys constrain (an odd
quorum, replicas within the brokers) are found by probing and left as they are; storage quotas
grow with the numbers that multiply the claims.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.quantities import parse_quantity
from pipeline.config import ConfigError
from pipeline.config.stack import parse_config
from tests.conftest import STACKS
from tests.properties.edits import Edit, applied, run_check
from tests.properties.walk import STACK_SHAPE, Path, stack_config, walk

CONFIGS = {stack: stack_config(stack) for stack in STACKS}
PIPELINES = "pipelines"
QUOTAS = "storage"
# Pipeline names as ShortName allows them, but starting with a letter: the Kafka cluster and the
# Services named after a pipeline must be DNS-1035 labels (the config refuses others; below).
PIPELINE_NAMES = st.from_regex(r"[a-z]([-a-z0-9]{0,28}[a-z0-9])?", fullmatch=True)


def _valid(config: dict[str, Any], path: Path, value: int) -> bool:
    try:
        parse_config(applied(config, [Edit("", path, value, path)]))
    except ConfigError:
        return False
    return True


def free_numbers(config: dict[str, Any]) -> dict[Path, tuple[int, int]]:
    """Each number with a documented range whose values from the stack's own up to the top of
    the range are valid whatever the rest holds, found by probing both ends and their
    neighbours."""
    found = {}
    for node in walk(config, STACK_SHAPE):
        bounds = node.shape.bounds() if node.shape.type is int else None
        if node.shape.kind != "scalar" or not bounds or isinstance(node.value, bool):
            continue
        low, high = node.value, bounds[1]
        probes = {low, min(low + 1, high), max(high - 1, low), high}
        if all(_valid(config, node.path, value) for value in probes):
            found[node.path] = (low, high)
    return found


FREE = {stack: free_numbers(config) for stack, config in CONFIGS.items()}


def _scaled_quotas(pipeline: dict[str, Any], growth: int) -> dict[str, Any]:
    """The pipeline's storage quotas times ``growth``, in whole bytes."""
    quotas = {role: str(parse_quantity(size) * growth) for role, size in pipeline[QUOTAS].items()}
    return {**pipeline, QUOTAS: quotas}


@st.composite
def valid_configs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    stack = draw(st.sampled_from(STACKS))
    base = CONFIGS[stack]
    free = FREE[stack]
    changed = draw(st.sets(st.sampled_from(sorted(free)), max_size=len(free)), label="numbers")
    edits = []
    growth = dict.fromkeys(base[PIPELINES], 1)
    for path in sorted(changed):
        low, high = free[path]
        value = draw(st.integers(low, high), label=".".join(map(str, path)))
        edits.append(Edit("", path, value, path))
        if path[0] == PIPELINES:
            # Claims grow at most by the product of what their counts grew by.
            growth[path[1]] *= -(-value // max(low, 1))
    config = applied(base, edits)
    sources = sorted(config[PIPELINES])
    names = draw(st.lists(PIPELINE_NAMES, min_size=1, max_size=3, unique=True), label="pipelines")
    config[PIPELINES] = {
        name: _scaled_quotas(
            copy.deepcopy(config[PIPELINES][sources[index % len(sources)]]),
            growth[sources[index % len(sources)]],
        )
        for index, name in enumerate(names)
    }
    return stack, config


def test_every_stack_has_numbers_to_draw():
    for stack in STACKS:
        assert any(path[0] == PIPELINES for path in FREE[stack]), stack
        assert any(path[0] != PIPELINES for path in FREE[stack]), stack


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs())
def test_a_valid_config_passes_the_check_and_the_stacks_mandatory_policies(drawn):
    stack, config = drawn
    code, out, err = run_check(stack, config)
    assert err == ""
    assert code == 0, out
    assert out.splitlines()[-1] == "Result: passed"


def test_a_pipeline_name_starting_with_a_digit_is_a_config_error():
    config = copy.deepcopy(CONFIGS["dev"])
    config[PIPELINES] = {"1st": next(iter(config[PIPELINES].values()))}
    code, _, err = run_check("dev", config)
    assert code == 2
    assert err == (
        'error: data-pipeline:pipelines.1st: "1st" is not allowed (a DNS-1035 label of at most 30 '
        "characters: lowercase letters, digits and '-', starting with a letter)\n"
    )
