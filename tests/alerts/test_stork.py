"""Stork protection alerts: the rules, their arguments, and the alerts under promtool."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.alerting.stork import stork_alert_groups
from tests.alerts.promtool import alert_names, covered_alerts, promtool_test_rules
from tests.schemas import validate_custom

RULE_TESTS = Path(__file__).with_name("stork_rules_test.yaml")
CLAIMS = (
    "data-0-clicks-brokers-0",
    "data-0-clicks-brokers-1",
    "elasticsearch-data-clicks-es-data-0",
)
STORK_ALERTS = {
    "StorkCloudSnapshotFailed",
    "StorkCloudSnapshotLate",
    "StorkApplicationBackupFailed",
    "StorkMigrationFailed",
}


def groups() -> list[dict]:
    return stork_alert_groups("dp-clicks", {120: CLAIMS})


def test_the_rule_is_valid_against_the_prometheus_operator_crd(crds_dir: Path):
    validate_custom(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "clicks-protection"},
            "spec": {"groups": groups()},
        },
        crds_dir,
    )


def test_every_alert_has_severity_and_annotations():
    rules = [rule for group in groups() for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} == STORK_ALERTS
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert set(rule["annotations"]) == {"summary", "description", "runbook"}, rule["alert"]


def test_every_alert_has_a_firing_and_a_silent_promtool_case():
    firing, silent = covered_alerts(RULE_TESTS)
    emitted = alert_names(groups())
    assert firing == emitted
    assert silent == emitted


def test_alerts_fire_and_stay_silent_as_the_promtool_cases_expect(tmp_path: Path):
    promtool_test_rules(groups(), RULE_TESTS, tmp_path)


def test_each_window_has_its_own_late_rule_over_its_own_claims_only():
    rules = [
        rule
        for group in stork_alert_groups("dp-clicks", {120: ("a-0",), 2880: ("b-0", "b.1")})
        for rule in group["rules"]
        if rule["alert"] == "StorkCloudSnapshotLate"
    ]
    assert [rule["labels"]["window"] for rule in rules] == ["120m", "2880m"]
    assert 'persistentvolumeclaim=~"a-0"' in rules[0]["expr"]
    assert "[120m:1m]" in rules[0]["expr"] and "offset 120m" in rules[0]["expr"]
    # Claim names are quoted as RE2 literals: a dot matches only a dot.
    assert 'persistentvolumeclaim=~"b-0|b\\\\.1"' in rules[1]["expr"]


def test_the_failures_select_the_namespace_and_stork_values():
    rules = {rule["alert"]: rule for group in groups() for rule in group["rules"]}
    backup = 'max by (namespace, name, schedule) (application_backup_status{namespace="dp-clicks"})'
    assert rules["StorkApplicationBackupFailed"]["expr"] == f"{backup} == 3 or {backup} == 4"
    migration = 'max by (namespace, name, schedule) (migration_status{namespace="dp-clicks"})'
    assert rules["StorkMigrationFailed"]["expr"] == f"{migration} == 3 or {migration} == 4"


@pytest.mark.parametrize(
    ("namespace", "late_after", "message"),
    [
        (
            "Clicks",
            {120: ("a",)},
            "namespace must be a DNS label (lowercase letters, digits and '-', at most 63 "
            "characters), got 'Clicks'",
        ),
        ("clicks", {120: ()}, "late_after: a window of 120 minutes needs claims, and > 0"),
        ("clicks", {0: ("a",)}, "late_after: a window of 0 minutes needs claims, and > 0"),
    ],
)
def test_arguments_that_cannot_make_a_rule_are_refused(namespace, late_after, message):
    with pytest.raises(ValueError) as error:
        stork_alert_groups(namespace, late_after)
    assert str(error.value) == message
