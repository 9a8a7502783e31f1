"""What Prometheus scrapes from the loader's Kafka Connect cluster and the alerts on it.

Plain values in, plain dicts out, as for Kafka (``components/alerting/kafka.py``): the JMX
exporter config goes into a ConfigMap (key :data:`CONNECT_METRICS_CONFIG_KEY`) that the
KafkaConnect's ``spec.metricsConfig`` references; the rest into a PodMonitor and a
PrometheusRule in the pipeline's namespace.

Connector and task health, and records sent to a dead-letter topic, come from Connect's own
metrics. Lag comes from Kafka Exporter, which runs beside the pipeline's Kafka cluster and reports
``kafka_consumergroup_lag`` per group: a sink connector consumes as ``connect-<connector>``, and
that group must be among those the exporter collects (its ``groupRegex``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.alerting.promql import (
    VALUE,
    Regex,
    alert,
    any_of,
    label,
    require_dns_label,
    selector,
)

CONNECT_METRICS_CONFIG_KEY = "metrics-config.yml"
METRICS_PATH = "/metrics"
# Strimzi's name for the JMX exporter's port on Connect pods (9404).
METRICS_PORT_NAME = "tcp-prometheus"

# Pod labels Strimzi sets on Connect pods, and their names on scraped series.
_CLUSTER_POD_LABEL = "strimzi.io/cluster"
_KIND_POD_LABEL = "strimzi.io/kind"
CLUSTER_LABEL = "strimzi_io_cluster"

# Series the alerts read, as connect_metrics_config() names them ...
CONNECTOR_STATUS = "kafka_connect_connector_status"
FAILED_TASKS = "kafka_connect_worker_connector_failed_tasks"
DEAD_LETTER_REQUESTS = "kafka_connect_task_error_deadletterqueue_produce_requests_total"
# ... and as Strimzi's Kafka Exporter names it (labels consumergroup, topic, partition).
CONSUMER_GROUP_LAG = "kafka_consumergroup_lag"


def sink_group(connector: str) -> str:
    """The consumer group Kafka Connect gives a sink connector (``SinkUtils.consumerGroupId``)."""
    return f"connect-{connector}"


@dataclass(frozen=True)
class ConnectAlertSettings:
    """The loader's connectors, the Kafka cluster they read, and how much lag is tolerated."""

    kafka_cluster: str
    """The Kafka cluster whose Kafka Exporter reports the connectors' lag."""
    connectors: tuple[str, ...]
    max_consumer_lag: int = 10_000
    """Messages a connector may be behind on one topic, summed over its partitions."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "connectors", tuple(self.connectors))
        require_dns_label("kafka_cluster", self.kafka_cluster)
        if not self.connectors:
            raise ValueError("connectors must name at least one connector")
        for connector in self.connectors:
            require_dns_label("connector", connector)
        if self.max_consumer_lag < 1:
            raise ValueError(f"max_consumer_lag must be at least 1, got {self.max_consumer_lag}")


def connect_metrics_config_ref(config_map: str) -> dict[str, Any]:
    """The KafkaConnect's ``spec.metricsConfig`` reading :func:`connect_metrics_config`."""
    return {
        "type": "jmxPrometheusExporter",
        "valueFrom": {"configMapKeyRef": {"name": config_map, "key": CONNECT_METRICS_CONFIG_KEY}},
    }


def connect_metrics_config() -> dict[str, Any]:
    """Prometheus JMX exporter config for Kafka Connect workers.

    As for the brokers, each attribute goes to the first rule whose pattern matches
    ``domain<key=value, ...><>attribute: value``; counters get a ``_total`` name. A status is a
    string: its rule exports 1 with the status as a label, one series per current state.
    """
    connector_task = r"connector=(.+), task=(\d+)"
    return {
        "lowercaseOutputName": True,
        "lowercaseOutputLabelNames": True,
        "rules": [
            # State of each connector and task: running, paused, failed, ...
            {
                "pattern": r"kafka.connect<type=connector-metrics, connector=(.+)><>status: "
                r"([a-z-]+)",
                "name": CONNECTOR_STATUS,
                "type": "GAUGE",
                "value": "1",
                "labels": {"connector": "$1", "status": "$2"},
            },
            {
                "pattern": rf"kafka.connect<type=connector-task-metrics, {connector_task}><>"
                r"status: ([a-z-]+)",
                "name": "kafka_connect_task_status",
                "type": "GAUGE",
                "value": "1",
                "labels": {"connector": "$1", "task": "$2", "status": "$3"},
            },
            # Tasks of each connector on this worker, by state.
            {
                "pattern": r"kafka.connect<type=connect-worker-metrics, connector=(.+)><>"
                r"connector-(running|paused|failed|unassigned|restarting|destroyed|total)"
                r"-task-count",
                "name": "kafka_connect_worker_connector_$2_tasks",
                "type": "GAUGE",
                "labels": {"connector": "$1"},
            },
            # The worker's connectors and tasks, and how many failed to start.
            {
                "pattern": r"kafka.connect<type=connect-worker-metrics><>(connector|task)-count",
                "name": "kafka_connect_worker_$1s",
                "type": "GAUGE",
            },
            {
                "pattern": r"kafka.connect<type=connect-worker-metrics><>"
                r"(connector|task)-startup-failure-total",
                "name": "kafka_connect_worker_$1_startup_failures_total",
                "type": "COUNTER",
            },
            # Errors per task: records that failed, were skipped, or went to the dead letters.
            {
                "pattern": rf"kafka.connect<type=task-error-metrics, {connector_task}><>"
                r"(total-record-errors|total-record-failures|total-records-skipped|"
                r"total-retries|deadletterqueue-produce-requests|"
                r"deadletterqueue-produce-failures)",
                "name": "kafka_connect_task_error_$3_total",
                "type": "COUNTER",
                "labels": {"connector": "$1", "task": "$2"},
            },
            # Records each sink task read from Kafka and handed to Elasticsearch.
            {
                "pattern": rf"kafka.connect<type=sink-task-metrics, {connector_task}><>"
                r"sink-record-(read|send)-total",
                "name": "kafka_connect_sink_task_records_$3_total",
                "type": "COUNTER",
                "labels": {"connector": "$1", "task": "$2"},
            },
            # How long a batch takes to reach Elasticsearch.
            {
                "pattern": rf"kafka.connect<type=sink-task-metrics, {connector_task}><>"
                r"put-batch-(avg|max)-time-ms",
                "name": "kafka_connect_sink_task_put_batch_$3_time_ms",
                "type": "GAUGE",
                "labels": {"connector": "$1", "task": "$2"},
            },
        ],
    }


def connect_pod_monitor_spec(connect: str) -> dict[str, Any]:
    """PodMonitor ``spec`` for the workers of the KafkaConnect ``connect``."""
    relabelings = [
        _keep(source, target)
        for source, target in (
            ("__meta_kubernetes_namespace", "namespace"),
            ("__meta_kubernetes_pod_name", "pod"),
            ("__meta_kubernetes_pod_node_name", "node"),
            ("__meta_kubernetes_pod_label_strimzi_io_cluster", CLUSTER_LABEL),
        )
    ]
    return {
        "selector": {
            "matchLabels": {
                _CLUSTER_POD_LABEL: require_dns_label("connect", connect),
                # Pods of the KafkaConnect only, whatever else shares its cluster label.
                _KIND_POD_LABEL: "KafkaConnect",
            }
        },
        "podMetricsEndpoints": [
            {"port": METRICS_PORT_NAME, "path": METRICS_PATH, "relabelings": relabelings}
        ],
    }


def _keep(source: str, target: str) -> dict[str, Any]:
    return {"action": "replace", "sourceLabels": [source], "targetLabel": target}


def connect_alert_groups(
    namespace: str, connect: str, settings: ConnectAlertSettings
) -> list[dict[str, Any]]:
    """PrometheusRule ``spec.groups`` for the KafkaConnect ``connect`` in ``namespace``."""
    require_dns_label("namespace", namespace)
    require_dns_label("connect", connect)
    own = {"namespace": namespace, CLUSTER_LABEL: connect}
    where = f"loader {connect} in {namespace}"
    by_connector = f"namespace, {CLUSTER_LABEL}, connector"
    groups = Regex(any_of(sink_group(connector) for connector in settings.connectors))
    lag = selector(
        CONSUMER_GROUP_LAG,
        namespace=namespace,
        **{CLUSTER_LABEL: settings.kafka_cluster},
        consumergroup=groups,
    )
    rules = [
        alert(
            "LoaderConnectorFailed",
            f"max by ({by_connector}) ({selector(CONNECTOR_STATUS, **own, status='failed')}) > 0",
            duration="5m",
            severity="critical",
            summary=f"Connector {label('connector')} of the {where} has failed",
            description=(
                f"Connector {label('connector')} of the {where} is in the failed state: "
                "nothing it reads reaches Elasticsearch."
            ),
            runbook=(
                "kubectl describe kafkaconnector <connector>: read the status trace, fix the "
                "cause (Elasticsearch reachable, credentials, plugin), then let autoRestart retry."
            ),
            labels=own,
        ),
        alert(
            "LoaderTaskFailed",
            # Strimzi's auto-restart retries failed tasks with a growing back-off: a task that
            # stays failed for 10 minutes is one that restarting did not cure.
            f"sum by ({by_connector}) ({selector(FAILED_TASKS, **own)}) > 0",
            duration="10m",
            severity="warning",
            summary=f"Tasks of connector {label('connector')} of the {where} have failed",
            description=(
                f"{VALUE} task(s) of connector {label('connector')} of the {where} have failed: "
                "their partitions are not being loaded."
            ),
            runbook=(
                "kubectl describe kafkaconnector <connector> shows each task's trace; fix the "
                "cause, or restart the task (annotation strimzi.io/restart-task=<id>)."
            ),
            labels=own,
        ),
        alert(
            "LoaderDeadLetterRecords",
            f"sum by ({by_connector}) (increase({selector(DEAD_LETTER_REQUESTS, **own)}[10m])) > 0",
            duration="1m",
            severity="warning",
            summary=f"Connector {label('connector')} of the {where} sends records to its "
            "dead-letter topic",
            description=(
                f"Connector {label('connector')} of the {where} sent {VALUE} record(s) to its "
                "dead-letter topic in the last 10 minutes: they are not in Elasticsearch."
            ),
            runbook=(
                "Read the dead-letter topic with headers (__connect.errors.*): fix the producer "
                "or the index mapping, then replay the records."
            ),
            labels=own,
        ),
        alert(
            "LoaderConsumerLagHigh",
            f"sum by (namespace, consumergroup, topic) ({lag}) > {settings.max_consumer_lag}",
            duration="10m",
            severity="warning",
            summary=f"The {where} is falling behind on topic {label('topic')}",
            description=(
                f"Group {label('consumergroup')} of the {where} is {VALUE} messages behind on "
                f"topic {label('topic')} (limit {settings.max_consumer_lag})."
            ),
            runbook=(
                "Check Elasticsearch's health and indexing rate first; then raise the "
                "connector's tasksMax (up to the topic's partitions) or the loader's replicas."
            ),
            labels=own,
        ),
    ]
    return [{"name": f"loader-{namespace}-{connect}", "rules": rules}]
