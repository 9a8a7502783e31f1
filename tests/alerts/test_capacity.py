"""The Kafka claim alert that stands in for Autopilot on Strimzi's claims, under promtool."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.alerting.capacity import kafka_claim_alert_groups
from tests.alerts.promtool import alert_names, covered_alerts, promtool_test_rules
from tests.schemas import validate_custom

RULE_TESTS = Path(__file__).with_name("capacity_rules_test.yaml")
POOLS = {"brokers-0a1b2c3d": 100 * 2**30, "controllers-0a1b2c3d": 10 * 2**30}


def groups() -> list[dict]:
    return kafka_claim_alert_groups("dp-clicks", "clicks", POOLS)


def test_every_alert_has_a_firing_and_a_silent_promtool_case():
    firing, silent = covered_alerts(RULE_TESTS)
    assert firing == silent == alert_names(groups()) == {"KafkaClaimLargerThanNodePool"}


def test_alerts_fire_and_stay_silent_as_the_promtool_cases_expect(tmp_path: Path):
    promtool_test_rules(groups(), RULE_TESTS, tmp_path)


def test_the_rule_is_valid_against_the_prometheus_operator_crd(crds_dir: Path):
    manifest = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "clicks-kafka-claims", "namespace": "dp-clicks"},
        "spec": {"groups": groups()},
    }
    validate_custom(manifest, crds_dir)


@pytest.mark.parametrize(
    ("namespace", "cluster", "pools", "message"),
    [
        ("dp-clicks", "clicks", {}, "Kafka cluster clicks: no node pools to watch the claims of"),
        ("dp-clicks", "clicks", {"Brokers": 1}, "pool must be a DNS label"),
        ("dp_clicks", "clicks", POOLS, "namespace must be a DNS label"),
    ],
)
def test_names_that_would_never_match_a_claim_are_refused(namespace, cluster, pools, message):
    with pytest.raises(ValueError, match=message):
        kafka_claim_alert_groups(namespace, cluster, pools)
