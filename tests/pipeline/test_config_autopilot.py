"""The autopilot section: safe defaults and the exact message for each bad value."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.config import parse_config
from pipeline.config.autopilot import AutopilotConfig
from pipeline.config.base import ConfigError, ConfigModel, validate
from tests.conftest import minimal_config
from tests.pipeline.test_config_loader import ES_NODES


class _Stack(ConfigModel):
    """The section where the stack holds it, so that messages carry the full key path."""

    autopilot: AutopilotConfig | None = None


def parse(raw: dict[str, Any]) -> AutopilotConfig | None:
    return validate(_Stack, {"autopilot": raw}).autopilot


def error_of(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(raw)
    return str(caught.value)


def test_absent_means_no_rules():
    assert validate(_Stack, {}).autopilot is None


def test_defaults_require_approval_and_cap_growth():
    config = parse({"pools": {}, "claims": {}})
    assert config.approval_required is True
    assert (config.for_seconds, config.cool_down_seconds) == (300, 3600)
    assert config.pools is not None and config.claims is not None
    assert (config.pools.usage_percent, config.pools.scale_percent) == (70, 50)
    assert (config.pools.max_size, config.pools.scale_type) == ("4Ti", None)
    assert (config.claims.usage_percent, config.claims.scale_percent) == (75, 50)
    assert config.claims.max_size == "1Ti"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {},
            "data-pipeline:autopilot: set pools, claims or both: otherwise there is nothing to "
            "grow",
        ),
        (
            {"claims": {"usagePercent": 100}},
            "data-pipeline:autopilot.claims.usagePercent: 100 is not allowed (1..99)",
        ),
        (
            {"pools": {"scalePercent": 0}},
            "data-pipeline:autopilot.pools.scalePercent: 0 is not allowed (1..100)",
        ),
        (
            {"pools": {"maxSize": "4TB"}},
            'data-pipeline:autopilot.pools.maxSize: "4TB" is not allowed (a Kubernetes quantity '
            "such as 100Gi)",
        ),
        (
            {"pools": {"scaleType": "add-disk"}},
            'data-pipeline:autopilot.pools.scaleType: "add-disk" is not allowed (one of '
            "'auto', 'add-drive' or 'resize-drive')",
        ),
        (
            {"claims": {}, "coolDownSeconds": -1},
            "data-pipeline:autopilot.coolDownSeconds: -1 is not allowed (0..86400)",
        ),
        (
            {"claims": {}, "enforcement": "approvalRequired"},
            "data-pipeline:autopilot.enforcement: unknown key (allowed here: approvalRequired, "
            "claims, coolDownSeconds, forSeconds, pools)",
        ),
    ],
)
def test_bad_values_are_named_exactly(raw, message):
    assert error_of(raw) == message


def _stack_with_elasticsearch(max_size: str, quota: str) -> dict[str, Any]:
    return minimal_config(
        storage={"classes": {"db": {"repl": 2}, "replicated": {"repl": 2}}},
        pipelines={
            "clicks": {
                "storage": {"replicated": quota},
                "kafka": {"nodePools": "combined", "topics": {"clicks": {}}},
                "elasticsearch": {"nodeSets": "combined", "data": ES_NODES},
            }
        },
        autopilot={"claims": {"maxSize": max_size}},
    )


def test_grown_elasticsearch_claims_must_fit_the_quota_beside_the_others():
    # Kafka: 3 brokers x 100Gi (its default); Elasticsearch: 3 data claims grown to maxSize.
    assert parse_config(_stack_with_elasticsearch("100Gi", "600Gi")).autopilot is not None
    with pytest.raises(ConfigError) as caught:
        parse_config(_stack_with_elasticsearch("200Gi", "600Gi"))
    assert str(caught.value) == (
        'data-pipeline:autopilot.claims.maxSize: "200Gi" is not allowed (at most what '
        "pipelines.clicks.storage.replicated (600Gi) holds: Autopilot may grow the clicks "
        "Elasticsearch data claims to it, 900Gi on replicated with the pipeline's other claims)"
    )
