"""Kafka monitoring: JMX exporter config, PodMonitor, exporter regexes, alerts under promtool."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.alerting.kafka import (
    ACTIVE_CONTROLLERS,
    KAFKA_METRICS_CONFIG_KEY,
    OFFLINE_PARTITIONS,
    UNDER_MIN_ISR_PARTITIONS,
    UNDER_REPLICATED_PARTITIONS,
    KafkaAlertSettings,
    kafka_alert_groups,
    kafka_exporter_spec,
    kafka_metrics_config,
    kafka_metrics_config_ref,
    kafka_pod_monitor_spec,
)
from tests.alerts.promtool import alert_names, covered_alerts, promtool_test_rules
from tests.schemas import validate_custom

RULE_TESTS = Path(__file__).with_name("kafka_rules_test.yaml")
# The parameters kafka_rules_test.yaml was written for.
NAMESPACE = "clicks"
CLUSTER = "events"
SETTINGS = KafkaAlertSettings(
    brokers=3, consumer_groups=("clicks-indexer", "clicks.archiver"), max_consumer_lag=1000
)
KAFKA_ALERTS = {
    "KafkaUnderReplicatedPartitions",
    "KafkaUnderMinIsrPartitions",
    "KafkaOfflinePartitions",
    "KafkaNoActiveController",
    "KafkaBrokerDown",
    "KafkaDiskUsageHigh",
    "KafkaConsumerGroupLagHigh",
}


def _rules(groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


# --- JMX exporter config -------------------------------------------------------------------


def _jmx_export(config: dict[str, Any], attribute: str) -> tuple[str, dict[str, str]] | None:
    """What the JMX exporter makes of one attribute line ``domain<props><>attr: value``.

    Mirrors JmxCollector: each pattern is wrapped in ``^.*(?:...).*$``; the first rule that
    matches wins; names and label names are made safe ([^a-zA-Z0-9:_] -> _, runs of _ merged)
    and lowercased as configured; ``$n`` refers to a group.
    """

    def safe(name: str) -> str:
        return re.sub("__+", "_", re.sub("[^a-zA-Z0-9:_]", "_", name))

    for rule in config["rules"]:
        pattern = re.compile(f"^.*(?:{rule['pattern']}).*$")
        match = pattern.fullmatch(attribute)
        if match is None:
            continue

        def expand(template: str, match: re.Match[str] = match) -> str:
            return match.expand(re.sub(r"\$(\d+)", r"\\g<\1>", template))

        name = safe(expand(rule["name"]))
        labels = {safe(expand(key)): expand(value) for key, value in rule.get("labels", {}).items()}
        if config["lowercaseOutputName"]:
            name = name.lower()
        if config["lowercaseOutputLabelNames"]:
            labels = {key.lower(): value for key, value in labels.items()}
        return name, {key: value for key, value in labels.items() if value}
    return None


@pytest.mark.parametrize(
    ("attribute", "exported"),
    [
        (
            "kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value: 2",
            (UNDER_REPLICATED_PARTITIONS, {}),
        ),
        (
            "kafka.server<type=ReplicaManager, name=UnderMinIsrPartitionCount><>Value: 1",
            (UNDER_MIN_ISR_PARTITIONS, {}),
        ),
        (
            "kafka.controller<type=KafkaController, name=OfflinePartitionsCount><>Value: 0",
            (OFFLINE_PARTITIONS, {}),
        ),
        (
            "kafka.controller<type=KafkaController, name=ActiveControllerCount><>Value: 1",
            (ACTIVE_CONTROLLERS, {}),
        ),
        (
            "kafka.server<type=ReplicaManager, name=PartitionCount><>Value: 40",
            ("kafka_server_replicamanager_partitioncount", {}),
        ),
        (
            "kafka.server<type=ReplicaManager, name=IsrShrinksPerSec><>Count: 3",
            ("kafka_server_replicamanager_isrshrinks_total", {}),
        ),
        (
            "kafka.server<type=BrokerTopicMetrics, name=BytesInPerSec><>Count: 1024",
            ("kafka_server_brokertopicmetrics_bytesin_total", {}),
        ),
        (
            "kafka.server<type=BrokerTopicMetrics, name=BytesInPerSec, topic=clicks.raw><>Count: 9",
            ("kafka_topic_bytesin_total", {"topic": "clicks.raw"}),
        ),
        (
            "kafka.network<type=RequestMetrics, name=RequestsPerSec, request=Produce, "
            "version=11><>Count: 5",
            (
                "kafka_network_requestmetrics_requests_total",
                {"request": "Produce", "version": "11"},
            ),
        ),
        (
            "kafka.network<type=RequestMetrics, name=TotalTimeMs, "
            "request=FetchConsumer><>99thPercentile: 12.5",
            (
                "kafka_network_requestmetrics_totaltime_ms",
                {"request": "FetchConsumer", "quantile": "0.99"},
            ),
        ),
        (
            "kafka.server<type=raft-metrics><>current-leader: 3",
            ("kafka_server_raftmetrics_current_leader", {}),
        ),
        (
            "kafka.server<type=broker-metadata-metrics><>last-applied-record-lag-ms: 4",
            ("kafka_server_brokermetadatametrics_last_applied_record_lag_ms", {}),
        ),
        (
            "kafka.log<type=Log, name=Size, topic=clicks, partition=7><>Value: 4096",
            ("kafka_log_size_bytes", {"topic": "clicks", "partition": "7"}),
        ),
        # A string, not a number: no rule takes it.
        ("kafka.server<type=raft-metrics><>current-state: leader", None),
        # Not an attribute the config exports.
        ("kafka.server<type=raft-metrics><>current-leader-latency: 3", None),
    ],
)
def test_the_jmx_exporter_config_names_attributes_as_the_alerts_and_dashboards_expect(
    attribute: str, exported: tuple[str, dict[str, str]] | None
):
    assert _jmx_export(kafka_metrics_config(), attribute) == exported


def test_the_jmx_exporter_config_survives_the_configmap_round_trip():
    config = kafka_metrics_config()
    assert yaml.safe_load(yaml.safe_dump(config)) == config
    for rule in config["rules"]:
        assert rule["type"] in ("GAUGE", "COUNTER"), rule
        # Prometheus wants counters, and only counters, named *_total.
        assert rule["name"].endswith("_total") == (rule["type"] == "COUNTER"), rule


def test_the_kafka_cr_reads_the_config_from_the_expected_key():
    assert KAFKA_METRICS_CONFIG_KEY == "kafka-metrics-config.yml"
    assert kafka_metrics_config_ref("events-metrics") == {
        "type": "jmxPrometheusExporter",
        "valueFrom": {
            "configMapKeyRef": {"name": "events-metrics", "key": "kafka-metrics-config.yml"}
        },
    }


# --- Kafka Exporter ------------------------------------------------------------------------


def test_kafka_exporter_collects_exactly_the_pipeline_groups():
    spec = kafka_exporter_spec(SETTINGS)
    assert spec == {"groupRegex": r"^(clicks-indexer|clicks\.archiver)$", "topicRegex": ".*"}
    # Kafka Exporter searches (Go's MatchString); the anchors make that an exact match.
    matches = [
        group
        for group in ("clicks-indexer", "clicks.archiver", "clicksXarchiver", "old-clicks-indexer")
        if re.search(spec["groupRegex"], group)
    ]
    assert matches == ["clicks-indexer", "clicks.archiver"]


def test_kafka_exporter_topics_can_be_narrowed_and_groups_default_to_all():
    assert kafka_exporter_spec(KafkaAlertSettings(brokers=3), topics=["clicks", "clicks.dlq"]) == {
        "groupRegex": ".*",
        "topicRegex": r"^(clicks|clicks\.dlq)$",
    }


def test_kafka_exporter_reports_generated_groups_by_their_prefix():
    spec = kafka_exporter_spec(SETTINGS, group_prefixes=["spark-kafka-source-"])
    assert spec["groupRegex"] == r"^(clicks-indexer|clicks\.archiver|spark-kafka-source-.*)$"
    matches = [
        group
        for group in (
            "spark-kafka-source-3f2a-driver-0",
            "spark-kafka-source",
            "x-spark-kafka-source-1",
        )
        if re.search(spec["groupRegex"], group)
    ]
    assert matches == ["spark-kafka-source-3f2a-driver-0"]


# --- PodMonitor ----------------------------------------------------------------------------


def test_pod_monitor_selects_the_cluster_pods_and_keeps_the_labels_alerts_select_on():
    relabelings = [
        {"action": "replace", "sourceLabels": [source], "targetLabel": target}
        for source, target in [
            ("__meta_kubernetes_namespace", "namespace"),
            ("__meta_kubernetes_pod_name", "pod"),
            ("__meta_kubernetes_pod_node_name", "node"),
            ("__meta_kubernetes_pod_label_strimzi_io_cluster", "strimzi_io_cluster"),
            ("__meta_kubernetes_pod_label_strimzi_io_pool_name", "strimzi_io_pool_name"),
            ("__meta_kubernetes_pod_label_strimzi_io_name", "strimzi_io_name"),
            ("__meta_kubernetes_pod_label_strimzi_io_broker_role", "strimzi_io_broker_role"),
            (
                "__meta_kubernetes_pod_label_strimzi_io_controller_role",
                "strimzi_io_controller_role",
            ),
        ]
    ]
    assert kafka_pod_monitor_spec("events") == {
        "selector": {"matchLabels": {"strimzi.io/cluster": "events", "strimzi.io/kind": "Kafka"}},
        "podMetricsEndpoints": [
            {"port": port, "path": "/metrics", "relabelings": relabelings}
            for port in ("tcp-prometheus", "healthcheck-to", "healthcheck-uo")
        ],
    }


def _target_labels(relabelings: list[dict[str, Any]], discovered: dict[str, str]) -> dict[str, str]:
    """Prometheus's ``replace`` relabeling with its defaults (regex (.*), replacement $1)."""
    labels = dict(discovered)
    for step in relabelings:
        assert step["action"] == "replace", step
        labels[step["targetLabel"]] = ";".join(labels.get(s, "") for s in step["sourceLabels"])
    return {key: value for key, value in labels.items() if value and not key.startswith("__")}


def test_a_broker_pod_gets_the_labels_the_broker_down_alert_selects():
    broker = {
        "__meta_kubernetes_namespace": NAMESPACE,
        "__meta_kubernetes_pod_name": "events-brokers-0",
        "__meta_kubernetes_pod_node_name": "worker-1",
        "__meta_kubernetes_pod_label_strimzi_io_cluster": CLUSTER,
        "__meta_kubernetes_pod_label_strimzi_io_kind": "Kafka",
        "__meta_kubernetes_pod_label_strimzi_io_name": "events-brokers",
        "__meta_kubernetes_pod_label_strimzi_io_pool_name": "brokers",
        "__meta_kubernetes_pod_label_strimzi_io_broker_role": "true",
    }
    endpoint = kafka_pod_monitor_spec(CLUSTER)["podMetricsEndpoints"][0]
    labels = _target_labels(endpoint["relabelings"], broker)
    assert labels == {
        "namespace": NAMESPACE,
        "pod": "events-brokers-0",
        "node": "worker-1",
        "strimzi_io_cluster": CLUSTER,
        "strimzi_io_name": "events-brokers",
        "strimzi_io_pool_name": "brokers",
        "strimzi_io_broker_role": "true",
    }
    broker_down = _rules(kafka_alert_groups(NAMESPACE, CLUSTER, SETTINGS))["KafkaBrokerDown"]
    selected = re.search(r"up\{(.*?)\}", broker_down["expr"]).group(1)
    assert dict(re.findall(r'(\w+)="([^"]*)"', selected)).items() <= labels.items()


# --- Alerts --------------------------------------------------------------------------------


def test_every_alert_has_severity_annotations_and_the_cluster_labels():
    rules = _rules(kafka_alert_groups(NAMESPACE, CLUSTER, SETTINGS))
    assert set(rules) == KAFKA_ALERTS
    for name, rule in rules.items():
        assert rule["labels"] == {
            "namespace": NAMESPACE,
            "strimzi_io_cluster": CLUSTER,
            "severity": rule["labels"]["severity"],
        }, name
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert set(rule["annotations"]) == {"summary", "description", "runbook"}, name


def test_every_alert_has_a_firing_and_a_silent_promtool_case():
    firing, silent = covered_alerts(RULE_TESTS)
    emitted = alert_names(kafka_alert_groups(NAMESPACE, CLUSTER, SETTINGS))
    assert firing == emitted
    assert silent == emitted


def test_alerts_fire_and_stay_silent_as_the_promtool_cases_expect(tmp_path: Path):
    promtool_test_rules(kafka_alert_groups(NAMESPACE, CLUSTER, SETTINGS), RULE_TESTS, tmp_path)


def test_the_group_is_named_after_namespace_and_cluster_so_two_pipelines_never_collide():
    groups = kafka_alert_groups("views", "events", SETTINGS)
    assert [group["name"] for group in groups] == ["kafka-views-events"]


def test_without_consumer_groups_there_is_no_lag_alert():
    groups = kafka_alert_groups(NAMESPACE, CLUSTER, KafkaAlertSettings(brokers=3))
    assert set(_rules(groups)) == KAFKA_ALERTS - {"KafkaConsumerGroupLagHigh"}


def test_broker_count_disk_threshold_and_lag_limit_come_from_the_settings():
    settings = KafkaAlertSettings(
        brokers=5, consumer_groups=["views"], max_consumer_lag=250, disk_usage_percent=72.5
    )
    rules = _rules(kafka_alert_groups("views", "stream", settings))
    assert rules["KafkaBrokerDown"]["expr"] == (
        '(count(max by (pod) (up{namespace="views", strimzi_io_cluster="stream", '
        'strimzi_io_broker_role="true"}) == 1) or vector(0)) < 5'
    )
    assert rules["KafkaDiskUsageHigh"]["expr"].endswith(" > 72.5")
    assert rules["KafkaConsumerGroupLagHigh"]["expr"] == (
        "sum by (namespace, strimzi_io_cluster, consumergroup, topic) "
        '(kafka_consumergroup_lag{namespace="views", strimzi_io_cluster="stream", '
        'consumergroup=~"views"}) > 250'
    )


def test_monitoring_resources_are_valid_against_the_operator_crds(crds_dir: Path):
    for kind, spec in (
        ("PodMonitor", kafka_pod_monitor_spec(CLUSTER)),
        ("PrometheusRule", {"groups": kafka_alert_groups(NAMESPACE, CLUSTER, SETTINGS)}),
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
    kafka = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "Kafka",
        "metadata": {"name": CLUSTER, "namespace": NAMESPACE},
        "spec": {
            "kafka": {
                "listeners": [{"name": "plain", "port": 9092, "type": "internal", "tls": False}],
                "metricsConfig": kafka_metrics_config_ref("events-metrics"),
            },
            "kafkaExporter": kafka_exporter_spec(SETTINGS),
        },
    }
    validate_custom(kafka, crds_dir)


@pytest.mark.parametrize(
    ("namespace", "cluster", "message"),
    [
        (
            "Clicks",
            "events",
            "namespace must be a DNS label (lowercase letters, digits and '-', at most 63 "
            "characters), got 'Clicks'",
        ),
        (
            "clicks",
            "events_1",
            "cluster must be a DNS label (lowercase letters, digits and '-', at most 63 "
            "characters), got 'events_1'",
        ),
    ],
)
def test_alerts_refuse_names_kubernetes_would_not_accept(
    namespace: str, cluster: str, message: str
):
    with pytest.raises(ValueError) as error:
        kafka_alert_groups(namespace, cluster, SETTINGS)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"brokers": 0}, "brokers must be at least 1, got 0"),
        ({"consumer_groups": ("ok", "")}, "consumer_groups must not contain an empty name"),
        ({"max_consumer_lag": 0}, "max_consumer_lag must be at least 1, got 0"),
        (
            {"disk_usage_percent": 100.0},
            "disk_usage_percent must be above 0 and below 100, got 100",
        ),
    ],
)
def test_settings_reject_values_that_cannot_work(changes: dict, message: str):
    with pytest.raises(ValueError) as error:
        KafkaAlertSettings(**{"brokers": 3, **changes})
    assert str(error.value) == message


def test_settings_keep_consumer_groups_as_a_tuple():
    assert KafkaAlertSettings(brokers=3, consumer_groups=["a", "b"]).consumer_groups == ("a", "b")
