"""Portworx monitoring: the ServiceMonitor spec, the settings, and the alerts under promtool."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.alerting.portworx import (
    PortworxAlertSettings,
    portworx_alert_groups,
    portworx_service_monitor_spec,
)
from tests.alerts.promtool import alert_names, covered_alerts, promtool_test_rules
from tests.schemas import validate_custom

RULE_TESTS = Path(__file__).with_name("portworx_rules_test.yaml")
PORTWORX_ALERTS = {
    "PortworxVolumeUsageCritical",
    "PortworxVolumeUsage",
    "PortworxVolumeNotInQuorum",
    "PortworxVolumeInResync",
    "PortworxVolumeDegraded",
    "PortworxStorageUsageCritical",
    "PortworxStorageWillFill",
    "PortworxStorageNodeDown",
    "PortworxQuorumUnhealthy",
    "PortworxMemberDown",
}


def test_service_monitor_scrapes_the_portworx_service_in_its_namespace():
    assert portworx_service_monitor_spec("portworx") == {
        "selector": {"matchLabels": {"name": "portworx"}},
        "namespaceSelector": {"matchNames": ["portworx"]},
        "endpoints": [{"port": "px-api", "path": "/metrics"}],
    }


def test_service_monitor_rejects_a_namespace_kubernetes_would_not_accept():
    with pytest.raises(ValueError) as error:
        portworx_service_monitor_spec("Kube_System")
    assert str(error.value) == (
        "portworx_namespace must be a DNS label (lowercase letters, digits and '-', at most 63 "
        "characters), got 'Kube_System'"
    )


def test_monitoring_resources_are_valid_against_the_prometheus_operator_crds(crds_dir: Path):
    for kind, spec in (
        ("ServiceMonitor", portworx_service_monitor_spec("portworx")),
        ("PrometheusRule", {"groups": portworx_alert_groups()}),
    ):
        validate_custom(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": kind,
                "metadata": {"name": "portworx"},
                "spec": spec,
            },
            crds_dir,
        )


def test_the_alerts_are_the_ones_portworx_ships_each_with_severity_and_annotations():
    rules = [rule for group in portworx_alert_groups() for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} == PORTWORX_ALERTS
    assert len(rules) == len(PORTWORX_ALERTS)
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert set(rule["annotations"]) == {"summary", "description", "runbook"}, rule["alert"]
        assert "\n" not in rule["annotations"]["runbook"], rule["alert"]


def test_every_alert_has_a_firing_and_a_silent_promtool_case():
    firing, silent = covered_alerts(RULE_TESTS)
    emitted = alert_names(portworx_alert_groups())
    assert firing == emitted
    assert silent == emitted


def test_alerts_fire_and_stay_silent_as_the_promtool_cases_expect(tmp_path: Path):
    promtool_test_rules(portworx_alert_groups(), RULE_TESTS, tmp_path)


def test_thresholds_come_from_the_settings():
    settings = PortworxAlertSettings(
        volume_usage_warning_percent=60,
        volume_usage_critical_percent=90,
        storage_usage_critical_percent=85,
        storage_fill_percent=50,
        storage_fill_days=7,
    )
    rules = {
        rule["alert"]: rule for group in portworx_alert_groups(settings) for rule in group["rules"]
    }
    volume_usage = (
        "100 * max by (cluster, volume, volumename) (px_volume_usage_bytes)"
        " / max by (cluster, volume, volumename) (px_volume_capacity_bytes)"
    )
    storage_usage = (
        "100 * max by (cluster, node) (px_cluster_disk_utilized_bytes)"
        " / max by (cluster, node) (px_cluster_disk_total_bytes)"
    )
    assert rules["PortworxVolumeUsageCritical"]["expr"] == f"{volume_usage} > 90"
    assert rules["PortworxVolumeUsage"]["expr"] == f"{volume_usage} > 60"
    assert rules["PortworxStorageUsageCritical"]["expr"] == f"{storage_usage} > 85"
    assert rules["PortworxStorageWillFill"]["expr"] == (
        f"{storage_usage} > 50 and max by (cluster, node) "
        "(predict_linear(px_cluster_disk_available_bytes[1h], 7 * 86400)) < 0"
    )
    assert rules["PortworxStorageWillFill"]["annotations"]["summary"] == (
        "Portworx storage on node {{ $labels.node }} will fill within 7 days"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"volume_usage_critical_percent": 100},
            "volume_usage_critical_percent must be above 0 and below 100, got 100",
        ),
        (
            {"storage_fill_percent": 0},
            "storage_fill_percent must be above 0 and below 100, got 0",
        ),
        (
            {"volume_usage_warning_percent": 80.0},
            "volume_usage_warning_percent (80) must be below volume_usage_critical_percent (80)",
        ),
        ({"storage_fill_days": 0}, "storage_fill_days must be positive, got 0"),
    ],
)
def test_settings_reject_thresholds_that_cannot_work(changes: dict, message: str):
    with pytest.raises(ValueError) as error:
        PortworxAlertSettings(**changes)
    assert str(error.value) == message
