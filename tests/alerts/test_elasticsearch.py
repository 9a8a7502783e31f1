"""Elasticsearch monitoring: the exporter Deployment, PodMonitor, alerts under promtool."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from components.alerting.elasticsearch import (
    ElasticsearchAlertSettings,
    elasticsearch_alert_groups,
    elasticsearch_pod_monitor_spec,
)
from components.eck import EXPORTER_IMAGE, exporter_deployment_spec
from tests.alerts.promtool import alert_names, covered_alerts, promtool_test_rules
from tests.schemas import validate_builtin, validate_custom

RULE_TESTS = Path(__file__).with_name("elasticsearch_rules_test.yaml")
# The parameters elasticsearch_rules_test.yaml was written for.
NAMESPACE = "clicks"
CLUSTER = "search"
SETTINGS = ElasticsearchAlertSettings()
ALERTS = {
    "ElasticsearchClusterRed",
    "ElasticsearchClusterYellow",
    "ElasticsearchDiskAboveHighWatermark",
    "ElasticsearchHeapPressure",
    "ElasticsearchMetricsAbsent",
}


def _rules(groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def _deployment(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "search-elasticsearch-exporter", "namespace": NAMESPACE},
        "spec": spec,
    }


def test_the_exporter_reads_the_cluster_over_https_as_its_own_user():
    spec = exporter_deployment_spec(
        CLUSTER,
        "https://search-es-http:9200",
        "search-es-http-certs-public",
        "search-metrics-exporter-es-user",
        {"data-pipeline.io/pipeline": "clicks"},
    )
    assert validate_builtin(_deployment(spec))
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == EXPORTER_IMAGE
    assert container["args"] == [
        "--es.uri=https://search-es-http:9200",
        "--es.ca=/etc/elasticsearch-ca/ca.crt",
        "--es.all",
        "--es.timeout=20s",
        "--web.listen-address=:9114",
    ]
    assert container["env"] == [
        {
            "name": "ES_USERNAME",
            "valueFrom": {
                "secretKeyRef": {"name": "search-metrics-exporter-es-user", "key": "username"}
            },
        },
        {
            "name": "ES_PASSWORD",
            "valueFrom": {
                "secretKeyRef": {"name": "search-metrics-exporter-es-user", "key": "password"}
            },
        },
    ]
    assert pod["volumes"] == [
        {
            "name": "ca",
            "secret": {
                "secretName": "search-es-http-certs-public",
                "items": [{"key": "ca.crt", "path": "ca.crt"}],
            },
        }
    ]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        "runAsUser": 65534,
        "readOnlyRootFilesystem": True,
    }
    assert pod["automountServiceAccountToken"] is False
    assert spec["template"]["metadata"]["labels"] == {
        "data-pipeline.io/pipeline": "clicks",
        "app.kubernetes.io/name": "elasticsearch-exporter",
        "app.kubernetes.io/instance": "search",
    }


def test_without_tls_the_exporter_mounts_no_ca():
    spec = exporter_deployment_spec(CLUSTER, "http://search-es-http:9200", None, "u", {})
    assert validate_builtin(_deployment(spec))
    pod = spec["template"]["spec"]
    assert "volumes" not in pod
    assert not any(arg.startswith("--es.ca") for arg in pod["containers"][0]["args"])


def test_pod_monitor_and_rules_are_valid_against_the_operator_crds(crds_dir: Path):
    for kind, spec in (
        ("PodMonitor", elasticsearch_pod_monitor_spec(CLUSTER)),
        ("PrometheusRule", {"groups": elasticsearch_alert_groups(NAMESPACE, CLUSTER, SETTINGS)}),
    ):
        validate_custom(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": kind,
                "metadata": {"name": CLUSTER, "namespace": NAMESPACE},
                "spec": spec,
            },
            crds_dir,
        )


def test_pod_monitor_selects_the_exporter_and_keeps_the_namespace():
    spec = elasticsearch_pod_monitor_spec(CLUSTER)
    assert spec["selector"] == {
        "matchLabels": {
            "app.kubernetes.io/name": "elasticsearch-exporter",
            "app.kubernetes.io/instance": "search",
        }
    }
    (endpoint,) = spec["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")
    assert {r["targetLabel"] for r in endpoint["relabelings"]} == {"namespace", "pod"}


def test_every_alert_selects_its_cluster_and_namespace():
    rules = _rules(elasticsearch_alert_groups(NAMESPACE, CLUSTER, SETTINGS))
    assert set(rules) == ALERTS
    for name, rule in rules.items():
        assert rule["labels"] == {
            "namespace": NAMESPACE,
            "cluster": CLUSTER,
            "severity": rule["labels"]["severity"],
        }, name
        selectors = re.findall(r"\{([^}]*)\}", rule["expr"])
        assert selectors, name
        for matchers in selectors:
            assert 'namespace="clicks", cluster="search"' in matchers, name
    assert rules["ElasticsearchClusterRed"]["labels"]["severity"] == "critical"
    assert rules["ElasticsearchClusterYellow"]["labels"]["severity"] == "warning"
    assert rules["ElasticsearchClusterYellow"]["for"] == "30m"


def test_thresholds_come_from_the_settings():
    rules = _rules(
        elasticsearch_alert_groups(
            NAMESPACE,
            CLUSTER,
            ElasticsearchAlertSettings(disk_watermark_percent=87.5, heap_usage_percent=75),
        )
    )
    assert rules["ElasticsearchDiskAboveHighWatermark"]["expr"].endswith(" > 87.5")
    assert rules["ElasticsearchHeapPressure"]["expr"].endswith(" > 75")


def test_every_alert_has_a_firing_and_a_silent_promtool_case():
    firing, silent = covered_alerts(RULE_TESTS)
    emitted = alert_names(elasticsearch_alert_groups(NAMESPACE, CLUSTER, SETTINGS))
    assert firing == emitted
    assert silent == emitted


def test_alerts_fire_and_stay_silent_as_the_promtool_cases_expect(tmp_path: Path):
    promtool_test_rules(
        elasticsearch_alert_groups(NAMESPACE, CLUSTER, SETTINGS), RULE_TESTS, tmp_path
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"disk_watermark_percent": 100},
            "disk_watermark_percent must be above 0 and below 100, got 100",
        ),
        ({"heap_usage_percent": 0}, "heap_usage_percent must be above 0 and below 100, got 0"),
    ],
)
def test_settings_reject_thresholds_that_cannot_work(changes: dict, message: str):
    with pytest.raises(ValueError) as error:
        ElasticsearchAlertSettings(**changes)
    assert str(error.value) == message


def test_alerts_refuse_a_cluster_name_kubernetes_would_not_accept():
    with pytest.raises(ValueError) as error:
        elasticsearch_alert_groups(NAMESPACE, "Search", SETTINGS)
    assert str(error.value) == (
        "cluster must be a DNS label (lowercase letters, digits and '-', at most 63 "
        "characters), got 'Search'"
    )
