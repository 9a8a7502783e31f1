"""Loader (Kafka Connect) monitoring: JMX exporter config, PodMonitor, alerts under promtool."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.alerting.connect import (
    CONNECT_METRICS_CONFIG_KEY,
    CONNECTOR_STATUS,
    DEAD_LETTER_REQUESTS,
    FAILED_TASKS,
    ConnectAlertSettings,
    connect_alert_groups,
    connect_metrics_config,
    connect_metrics_config_ref,
    connect_pod_monitor_spec,
    sink_group,
)
from tests.alerts.promtool import alert_names, covered_alerts, promtool_test_rules
from tests.schemas import validate_custom

RULE_TESTS = Path(__file__).with_name("connect_rules_test.yaml")
# The parameters connect_rules_test.yaml was written for.
NAMESPACE = "clicks"
CONNECT = "clicks-loader"
SETTINGS = ConnectAlertSettings(
    kafka_cluster="clicks", connectors=("events", "sessions"), max_consumer_lag=1000
)
LOADER_ALERTS = {
    "LoaderConnectorFailed",
    "LoaderTaskFailed",
    "LoaderDeadLetterRecords",
    "LoaderConsumerLagHigh",
}


def _rules(groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def _jmx_export(config: dict[str, Any], line: str) -> tuple[str, dict[str, str], str] | None:
    """What the JMX exporter makes of ``domain<props><>attribute: value``: name, labels, value.

    As JmxCollector does: the first rule whose pattern (wrapped in ``^.*(?:...).*$``) matches
    wins; names are made safe and lowercased; ``$n`` refers to a group; a rule's ``value``
    replaces the attribute's (how a string status becomes 1); other strings are dropped.
    """

    def safe(name: str) -> str:
        return re.sub("__+", "_", re.sub("[^a-zA-Z0-9:_]", "_", name))

    for rule in config["rules"]:
        match = re.fullmatch(f"^.*(?:{rule['pattern']}).*$", line)
        if match is None:
            continue

        def expand(template: str, match: re.Match[str] = match) -> str:
            return match.expand(re.sub(r"\$(\d+)", r"\\g<\1>", template))

        value = rule.get("value", line.rsplit(": ", 1)[1])
        if not re.fullmatch(r"-?[0-9.]+", value):
            return None
        labels = {safe(key).lower(): expand(val) for key, val in rule.get("labels", {}).items()}
        return safe(expand(rule["name"])).lower(), labels, value
    return None


@pytest.mark.parametrize(
    ("line", "exported"),
    [
        (
            "kafka.connect<type=connector-metrics, connector=events><>status: failed",
            (CONNECTOR_STATUS, {"connector": "events", "status": "failed"}, "1"),
        ),
        (
            "kafka.connect<type=connector-task-metrics, connector=events, task=2><>status: running",
            (
                "kafka_connect_task_status",
                {"connector": "events", "task": "2", "status": "running"},
                "1",
            ),
        ),
        (
            "kafka.connect<type=connect-worker-metrics, connector=events><>"
            "connector-failed-task-count: 3",
            (FAILED_TASKS, {"connector": "events"}, "3"),
        ),
        (
            "kafka.connect<type=connect-worker-metrics><>task-count: 4",
            ("kafka_connect_worker_tasks", {}, "4"),
        ),
        (
            "kafka.connect<type=connect-worker-metrics><>connector-startup-failure-total: 1",
            ("kafka_connect_worker_connector_startup_failures_total", {}, "1"),
        ),
        (
            "kafka.connect<type=task-error-metrics, connector=events, task=0><>"
            "deadletterqueue-produce-requests: 12",
            (DEAD_LETTER_REQUESTS, {"connector": "events", "task": "0"}, "12"),
        ),
        (
            "kafka.connect<type=task-error-metrics, connector=events, task=0><>"
            "total-records-skipped: 5",
            (
                "kafka_connect_task_error_total_records_skipped_total",
                {"connector": "events", "task": "0"},
                "5",
            ),
        ),
        (
            "kafka.connect<type=sink-task-metrics, connector=events, task=1><>"
            "sink-record-send-total: 900",
            (
                "kafka_connect_sink_task_records_send_total",
                {"connector": "events", "task": "1"},
                "900",
            ),
        ),
        (
            "kafka.connect<type=sink-task-metrics, connector=events, task=1><>"
            "put-batch-max-time-ms: 40",
            (
                "kafka_connect_sink_task_put_batch_max_time_ms",
                {"connector": "events", "task": "1"},
                "40",
            ),
        ),
        # A string nobody maps to a number, and an attribute the config leaves out.
        ("kafka.connect<type=connector-metrics, connector=events><>connector-class: X", None),
        ("kafka.connect<type=connect-worker-metrics><>connector-destroyed-task-count: 0", None),
    ],
)
def test_the_jmx_exporter_config_names_what_the_alerts_read(line, exported):
    assert _jmx_export(connect_metrics_config(), line) == exported


def test_the_jmx_exporter_config_survives_the_configmap_round_trip():
    config = connect_metrics_config()
    assert yaml.safe_load(yaml.safe_dump(config)) == config
    for rule in config["rules"]:
        assert rule["type"] in ("GAUGE", "COUNTER"), rule
        assert rule["name"].endswith("_total") == (rule["type"] == "COUNTER"), rule


def test_the_kafka_connect_reads_the_config_from_the_expected_key():
    assert connect_metrics_config_ref("clicks-loader-connect-metrics") == {
        "type": "jmxPrometheusExporter",
        "valueFrom": {
            "configMapKeyRef": {
                "name": "clicks-loader-connect-metrics",
                "key": CONNECT_METRICS_CONFIG_KEY,
            }
        },
    }
    assert CONNECT_METRICS_CONFIG_KEY == "metrics-config.yml"


def test_pod_monitor_selects_only_the_connect_pods_and_keeps_the_alert_labels():
    assert connect_pod_monitor_spec(CONNECT) == {
        "selector": {
            "matchLabels": {"strimzi.io/cluster": CONNECT, "strimzi.io/kind": "KafkaConnect"}
        },
        "podMetricsEndpoints": [
            {
                "port": "tcp-prometheus",
                "path": "/metrics",
                "relabelings": [
                    {"action": "replace", "sourceLabels": [source], "targetLabel": target}
                    for source, target in [
                        ("__meta_kubernetes_namespace", "namespace"),
                        ("__meta_kubernetes_pod_name", "pod"),
                        ("__meta_kubernetes_pod_node_name", "node"),
                        ("__meta_kubernetes_pod_label_strimzi_io_cluster", "strimzi_io_cluster"),
                    ]
                ],
            }
        ],
    }


def test_a_sink_connector_consumes_as_connect_and_its_name():
    assert sink_group("events") == "connect-events"


def test_every_alert_has_severity_annotations_and_the_loader_labels():
    rules = _rules(connect_alert_groups(NAMESPACE, CONNECT, SETTINGS))
    assert set(rules) == LOADER_ALERTS
    severities = {name: rule["labels"].pop("severity") for name, rule in rules.items()}
    assert severities == {
        "LoaderConnectorFailed": "critical",
        "LoaderTaskFailed": "warning",
        "LoaderDeadLetterRecords": "warning",
        "LoaderConsumerLagHigh": "warning",
    }
    for name, rule in rules.items():
        assert rule["labels"] == {"namespace": NAMESPACE, "strimzi_io_cluster": CONNECT}, name
        assert set(rule["annotations"]) == {"summary", "description", "runbook"}, name


def test_the_lag_alert_reads_the_kafka_exporter_of_the_pipelines_kafka_for_the_sink_groups():
    rules = _rules(connect_alert_groups("views", "views-loader", SETTINGS))
    assert rules["LoaderConsumerLagHigh"]["expr"] == (
        "sum by (namespace, consumergroup, topic) (kafka_consumergroup_lag{"
        'namespace="views", strimzi_io_cluster="clicks", '
        'consumergroup=~"connect-events|connect-sessions"}) > 1000'
    )
    assert rules["LoaderDeadLetterRecords"]["expr"] == (
        "sum by (namespace, strimzi_io_cluster, connector) (increase("
        'kafka_connect_task_error_deadletterqueue_produce_requests_total{namespace="views", '
        'strimzi_io_cluster="views-loader"}[10m])) > 0'
    )


def test_every_alert_has_a_firing_and_a_silent_promtool_case():
    firing, silent = covered_alerts(RULE_TESTS)
    emitted = alert_names(connect_alert_groups(NAMESPACE, CONNECT, SETTINGS))
    assert firing == emitted
    assert silent == emitted


def test_alerts_fire_and_stay_silent_as_the_promtool_cases_expect(tmp_path: Path):
    promtool_test_rules(connect_alert_groups(NAMESPACE, CONNECT, SETTINGS), RULE_TESTS, tmp_path)


def test_the_group_is_named_after_namespace_and_connect_cluster():
    groups = connect_alert_groups("views", "views-loader", SETTINGS)
    assert [group["name"] for group in groups] == ["loader-views-views-loader"]


def test_monitoring_resources_are_valid_against_the_operator_crds(crds_dir: Path):
    for kind, spec in (
        ("PodMonitor", connect_pod_monitor_spec(CONNECT)),
        ("PrometheusRule", {"groups": connect_alert_groups(NAMESPACE, CONNECT, SETTINGS)}),
    ):
        validate_custom(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": kind,
                "metadata": {"name": CONNECT, "namespace": NAMESPACE},
                "spec": spec,
            },
            crds_dir,
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"connectors": ()}, "connectors must name at least one connector"),
        (
            {"connectors": ("ok", "Bad")},
            "connector must be a DNS label (lowercase letters, digits and '-', at most 63 "
            "characters), got 'Bad'",
        ),
        (
            {"kafka_cluster": "a_b"},
            "kafka_cluster must be a DNS label (lowercase letters, digits and '-', at most 63 "
            "characters), got 'a_b'",
        ),
        ({"max_consumer_lag": 0}, "max_consumer_lag must be at least 1, got 0"),
    ],
)
def test_settings_reject_values_that_cannot_work(changes: dict, message: str):
    with pytest.raises(ValueError) as error:
        ConnectAlertSettings(**{"kafka_cluster": "clicks", "connectors": ("events",), **changes})
    assert str(error.value) == message


def test_alerts_refuse_a_connect_name_kubernetes_would_not_accept():
    with pytest.raises(ValueError) as error:
        connect_alert_groups(NAMESPACE, "Loader", SETTINGS)
    assert str(error.value) == (
        "connect must be a DNS label (lowercase letters, digits and '-', at most 63 "
        "characters), got 'Loader'"
    )
