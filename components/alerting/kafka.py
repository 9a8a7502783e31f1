"""What Prometheus scrapes from a Strimzi Kafka cluster and the alerts on it, per pipeline.

Plain values in, plain dicts out: a component puts the JMX exporter config in a ConfigMap (key
:data:`KAFKA_METRICS_CONFIG_KEY`) that the Kafka CR's ``spec.kafka.metricsConfig`` references
(:func:`kafka_metrics_config_ref`), sets ``spec.kafkaExporter`` from :func:`kafka_exporter_spec`,
and wraps the rest in a PodMonitor and a PrometheusRule in the pipeline's namespace.

Every pipeline has its own Kafka cluster in its own namespace; every alert selects both, so the
alerts of two pipelines never mix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components.alerting.promql import (
    VALUE,
    Regex,
    alert,
    any_of,
    label,
    number,
    regex_escape,
    require_dns_label,
    selector,
)

KAFKA_METRICS_CONFIG_KEY = "kafka-metrics-config.yml"
METRICS_PATH = "/metrics"
# Brokers, controllers (JMX exporter) and Kafka Exporter serve metrics on tcp-prometheus; the
# entity operator's topic and user operators on their health-check ports (named so since
# Strimzi 1.1.0). A pod without the port has no target for that endpoint.
METRICS_PORTS = ("tcp-prometheus", "healthcheck-to", "healthcheck-uo")

# Pod labels Strimzi sets, kept on every scraped series under their Prometheus names.
_CLUSTER_POD_LABEL = "strimzi.io/cluster"
_POOL_POD_LABEL = "strimzi.io/pool-name"
_NAME_POD_LABEL = "strimzi.io/name"
_BROKER_ROLE_POD_LABEL = "strimzi.io/broker-role"
_CONTROLLER_ROLE_POD_LABEL = "strimzi.io/controller-role"
_KEPT_POD_LABELS = (
    _CLUSTER_POD_LABEL,
    _POOL_POD_LABEL,
    _NAME_POD_LABEL,
    _BROKER_ROLE_POD_LABEL,
    _CONTROLLER_ROLE_POD_LABEL,
)


def prometheus_label(pod_label: str) -> str:
    """The name Kubernetes discovery gives a pod label: strimzi.io/cluster -> strimzi_io_cluster."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", pod_label)


CLUSTER_LABEL = prometheus_label(_CLUSTER_POD_LABEL)
BROKER_ROLE_LABEL = prometheus_label(_BROKER_ROLE_POD_LABEL)

# Series the alerts read, as kafka_metrics_config() names them ...
UNDER_REPLICATED_PARTITIONS = "kafka_server_replicamanager_underreplicatedpartitions"
UNDER_MIN_ISR_PARTITIONS = "kafka_server_replicamanager_underminisrpartitioncount"
OFFLINE_PARTITIONS = "kafka_controller_kafkacontroller_offlinepartitionscount"
ACTIVE_CONTROLLERS = "kafka_controller_kafkacontroller_activecontrollercount"
# ... as Strimzi's Kafka Exporter (danielqsj/kafka_exporter) names it: labels consumergroup,
# topic, partition ...
CONSUMER_GROUP_LAG = "kafka_consumergroup_lag"
# ... and as the kubelet names them: labels namespace, persistentvolumeclaim.
VOLUME_USED_BYTES = "kubelet_volume_stats_used_bytes"
VOLUME_CAPACITY_BYTES = "kubelet_volume_stats_capacity_bytes"

# Strimzi names the claims of a node pool data-<volume id>-<cluster>-<pool>-<n> (JBOD), or
# data-<cluster>-<pool>-<n> for a single persistent-claim volume; pool names are DNS labels.
_POOL_NAME_PATTERN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"


@dataclass(frozen=True)
class KafkaAlertSettings:
    """What one pipeline's Kafka cluster should look like, and how much lag it tolerates."""

    brokers: int
    """Broker pods the cluster runs (all broker node pools together)."""
    consumer_groups: tuple[str, ...] = ()
    """The pipeline's consumer groups, whose lag is watched; empty: no lag alert."""
    max_consumer_lag: int = 10_000
    """Messages a group may be behind on one topic, summed over its partitions."""
    disk_usage_percent: float = 80

    def __post_init__(self) -> None:
        # Accept any sequence but keep the settings hashable and immutable.
        object.__setattr__(self, "consumer_groups", tuple(self.consumer_groups))
        if self.brokers < 1:
            raise ValueError(f"brokers must be at least 1, got {self.brokers}")
        if "" in self.consumer_groups:
            raise ValueError("consumer_groups must not contain an empty name")
        if self.max_consumer_lag < 1:
            raise ValueError(f"max_consumer_lag must be at least 1, got {self.max_consumer_lag}")
        if not 0 < self.disk_usage_percent < 100:
            raise ValueError(
                "disk_usage_percent must be above 0 and below 100, "
                f"got {number(self.disk_usage_percent)}"
            )


def kafka_metrics_config_ref(config_map: str) -> dict[str, Any]:
    """The Kafka CR's ``spec.kafka.metricsConfig`` reading :func:`kafka_metrics_config`."""
    return {
        "type": "jmxPrometheusExporter",
        "valueFrom": {"configMapKeyRef": {"name": config_map, "key": KAFKA_METRICS_CONFIG_KEY}},
    }


def kafka_exporter_spec(
    settings: KafkaAlertSettings, topics: Sequence[str] = (), group_prefixes: Sequence[str] = ()
) -> dict[str, str]:
    """The regexes of the Kafka CR's ``spec.kafkaExporter``: lag of the pipeline's groups only,
    named exactly or, for clients that generate their group ids, by ``group_prefixes``.

    Kafka Exporter matches these Go regexes anywhere in a name, hence the anchors. Without
    consumer groups every group is collected. Without ``topics`` every topic is: a group's lag
    on a topic left out would go unseen.
    """

    def exactly(names: Sequence[str]) -> str:
        return f"^({any_of(names)})$" if names else ".*"

    groups = [any_of([name]) for name in settings.consumer_groups]
    groups += [f"{any_of([prefix])}.*" for prefix in group_prefixes]
    group_regex = f"^({'|'.join(groups)})$" if groups else ".*"
    return {"groupRegex": group_regex, "topicRegex": exactly(topics)}


def kafka_metrics_config() -> dict[str, Any]:
    """Prometheus JMX exporter config for Strimzi brokers and controllers (KRaft).

    Each attribute goes to the first rule whose pattern matches
    ``domain<key=value, ...><>attribute: value`` anywhere; unmatched attributes are dropped.
    Counters get a ``_total`` name, as Prometheus expects.
    """
    return {
        "lowercaseOutputName": True,
        "lowercaseOutputLabelNames": True,
        "rules": [
            # Partition health, partition and leader counts of each broker.
            _gauge(
                r"kafka.server<type=ReplicaManager, name=(\w+)><>Value",
                "kafka_server_replicamanager_$1",
            ),
            _counter(
                r"kafka.server<type=ReplicaManager, name=(\w+)PerSec><>Count",
                "kafka_server_replicamanager_$1_total",
            ),
            # The active controller, offline partitions and broker counts (KRaft controllers).
            _gauge(
                r"kafka.controller<type=KafkaController, name=(\w+)><>Value",
                "kafka_controller_kafkacontroller_$1",
            ),
            # Bytes and messages in and out, per topic and for the whole broker, under
            # different names so that summing one never counts a message twice.
            _counter(
                r"kafka.server<type=BrokerTopicMetrics, name=(\w+)PerSec, topic=(.+)><>Count",
                "kafka_topic_$1_total",
                topic="$2",
            ),
            _counter(
                r"kafka.server<type=BrokerTopicMetrics, name=(\w+)PerSec><>Count",
                "kafka_server_brokertopicmetrics_$1_total",
            ),
            # Request rates, errors and the latency of the requests a pipeline waits on.
            _counter(
                r"kafka.network<type=RequestMetrics, name=RequestsPerSec, request=(\w+), "
                r"version=(\d+)><>Count",
                "kafka_network_requestmetrics_requests_total",
                request="$1",
                version="$2",
            ),
            _counter(
                r"kafka.network<type=RequestMetrics, name=ErrorsPerSec, request=(\w+), "
                r"error=(\w+)><>Count",
                "kafka_network_requestmetrics_errors_total",
                request="$1",
                error="$2",
            ),
            _gauge(
                r"kafka.network<type=RequestMetrics, name=TotalTimeMs, "
                r"request=(Produce|FetchConsumer|FetchFollower)><>(\d+)thPercentile",
                "kafka_network_requestmetrics_totaltime_ms",
                request="$1",
                quantile="0.$2",
            ),
            # How busy request handler and network threads are (1 = idle).
            _gauge(
                r"kafka.server<type=KafkaRequestHandlerPool, "
                r"name=RequestHandlerAvgIdlePercent><>OneMinuteRate",
                "kafka_server_requesthandler_avg_idle_ratio",
            ),
            _gauge(
                r"kafka.network<type=SocketServer, name=NetworkProcessorAvgIdlePercent><>Value",
                "kafka_network_processor_avg_idle_ratio",
            ),
            # KRaft quorum state of each node; ": " ends the attribute name.
            _gauge(
                r"kafka.server<type=raft-metrics><>(current-leader|current-epoch|"
                r"high-watermark|log-end-offset|commit-latency-avg|commit-latency-max|"
                r"election-latency-avg|election-latency-max|append-records-rate|"
                r"fetch-records-rate|poll-idle-ratio-avg|number-unknown-voter-connections): ",
                "kafka_server_raftmetrics_$1",
            ),
            # How far each broker is behind the metadata log, and failures applying it.
            _gauge(
                r"kafka.server<type=broker-metadata-metrics><>(last-applied-record-offset|"
                r"last-applied-record-lag-ms|metadata-load-error-count|"
                r"metadata-apply-error-count): ",
                "kafka_server_brokermetadatametrics_$1",
            ),
            # Bytes on disk per partition, to see which topic fills a volume.
            _gauge(
                r"kafka.log<type=Log, name=Size, topic=(.+), partition=(\d+)><>Value",
                "kafka_log_size_bytes",
                topic="$1",
                partition="$2",
            ),
        ],
    }


def _gauge(pattern: str, name: str, **labels: str) -> dict[str, Any]:
    return _rule(pattern, name, "GAUGE", labels)


def _counter(pattern: str, name: str, **labels: str) -> dict[str, Any]:
    return _rule(pattern, name, "COUNTER", labels)


def _rule(pattern: str, name: str, kind: str, labels: dict[str, str]) -> dict[str, Any]:
    rule: dict[str, Any] = {"pattern": pattern, "name": name, "type": kind}
    if labels:
        rule["labels"] = labels
    return rule


def kafka_pod_monitor_spec(cluster: str) -> dict[str, Any]:
    """PodMonitor ``spec`` for the brokers, controllers, entity operator and Kafka Exporter.

    No namespaceSelector: a PodMonitor selects pods in its own namespace, the pipeline's.
    """
    relabelings = [
        _keep("__meta_kubernetes_namespace", "namespace"),
        _keep("__meta_kubernetes_pod_name", "pod"),
        _keep("__meta_kubernetes_pod_node_name", "node"),
        *(
            _keep(
                f"__meta_kubernetes_pod_label_{prometheus_label(pod_label)}",
                prometheus_label(pod_label),
            )
            for pod_label in _KEPT_POD_LABELS
        ),
    ]
    return {
        "selector": {
            "matchLabels": {
                _CLUSTER_POD_LABEL: require_dns_label("cluster", cluster),
                # Pods of the Kafka CR only, not of a KafkaConnect that shares the name.
                "strimzi.io/kind": "Kafka",
            }
        },
        "podMetricsEndpoints": [
            {"port": port, "path": METRICS_PATH, "relabelings": relabelings}
            for port in METRICS_PORTS
        ],
    }


def _keep(source: str, target: str) -> dict[str, Any]:
    """Copy a discovery label to a target label (empty, and so absent, when the pod lacks it)."""
    return {"action": "replace", "sourceLabels": [source], "targetLabel": target}


def kafka_alert_groups(
    namespace: str, cluster: str, settings: KafkaAlertSettings
) -> list[dict[str, Any]]:
    """PrometheusRule ``spec.groups`` for the Kafka cluster ``cluster`` in ``namespace``."""
    require_dns_label("namespace", namespace)
    require_dns_label("cluster", cluster)
    own = {"namespace": namespace, CLUSTER_LABEL: cluster}
    where = f"Kafka cluster {cluster} in {namespace}"
    by_cluster = f"namespace, {CLUSTER_LABEL}"

    def total(metric: str) -> str:
        return f"sum by ({by_cluster}) ({selector(metric, **own)})"

    claims = Regex(f"data-([0-9]+-)?{regex_escape(cluster)}-{_POOL_NAME_PATTERN}-[0-9]+")

    def per_claim(metric: str) -> str:
        return (
            f"max by (namespace, persistentvolumeclaim) "
            f"({selector(metric, namespace=namespace, persistentvolumeclaim=claims)})"
        )

    brokers_up = (
        f"count(max by (pod) ({selector('up', **own, **{BROKER_ROLE_LABEL: 'true'})}) == 1)"
    )
    rules = [
        alert(
            "KafkaUnderReplicatedPartitions",
            f"{total(UNDER_REPLICATED_PARTITIONS)} > 0",
            duration="10m",
            severity="warning",
            summary=f"{where} has under-replicated partitions",
            description=f"{VALUE} partition(s) of {where} have replicas out of sync.",
            runbook=(
                "Find the slow or missing broker (kafka-topics.sh --describe "
                "--under-replicated-partitions) and check its pod, disk and network."
            ),
            labels=own,
        ),
        alert(
            "KafkaUnderMinIsrPartitions",
            f"{total(UNDER_MIN_ISR_PARTITIONS)} > 0",
            duration="5m",
            severity="critical",
            summary=f"{where} has partitions below min.insync.replicas",
            description=(
                f"{VALUE} partition(s) of {where} have fewer in-sync replicas than "
                "min.insync.replicas: producers with acks=all fail on them."
            ),
            runbook=(
                "Bring the missing brokers back first (kafka-topics.sh --describe "
                "--under-min-isr-partitions)."
            ),
            labels=own,
        ),
        alert(
            "KafkaOfflinePartitions",
            f"{total(OFFLINE_PARTITIONS)} > 0",
            duration="1m",
            severity="critical",
            summary=f"{where} has offline partitions",
            description=f"{VALUE} partition(s) of {where} have no leader: nobody can use them.",
            runbook=(
                "Bring back the brokers holding their replicas; unclean leader election loses data."
            ),
            labels=own,
        ),
        alert(
            "KafkaNoActiveController",
            # No series at all (every controller down or unscraped) counts as none active.
            f"(sum({selector(ACTIVE_CONTROLLERS, **own)}) or vector(0)) != 1",
            duration="2m",
            severity="critical",
            summary=f"{where} does not have exactly one active controller",
            description=f"{where} has {VALUE} active controller(s) instead of 1.",
            runbook=(
                "Check the controller pods (strimzi.io/controller-role=true), their logs and "
                "raft metrics; restore a majority of the controller pool."
            ),
            labels=own,
        ),
        alert(
            "KafkaBrokerDown",
            # Distinct pods, so that a second scrape of the same broker cannot hide a lost one.
            f"({brokers_up} or vector(0)) < {settings.brokers}",
            duration="5m",
            severity="critical",
            summary=f"{where} has brokers down",
            description=f"{VALUE} of {settings.brokers} broker(s) of {where} are up.",
            runbook=(
                "kubectl get pods -l strimzi.io/broker-role=true: check events, volume "
                "attachment and the Strimzi operator log."
            ),
            labels=own,
        ),
        alert(
            "KafkaDiskUsageHigh",
            # Warning, not critical: Portworx's own volume alert pages at its critical level.
            f"100 * {per_claim(VOLUME_USED_BYTES)} / {per_claim(VOLUME_CAPACITY_BYTES)}"
            f" > {number(settings.disk_usage_percent)}",
            duration="5m",
            severity="warning",
            summary=(
                f"Kafka volume {label('persistentvolumeclaim')} is over "
                f"{number(settings.disk_usage_percent)}% full"
            ),
            description=(
                f"Volume {label('persistentvolumeclaim')} of {where} is {VALUE}% full; a "
                "broker stops when its log directory fills."
            ),
            runbook=(
                "Grow the volume size in the KafkaNodePool (Strimzi expands the claim in place) "
                "or shorten topic retention."
            ),
            labels=own,
        ),
    ]
    if settings.consumer_groups:
        groups = Regex(any_of(settings.consumer_groups))
        pipeline_lag = selector(CONSUMER_GROUP_LAG, **own, consumergroup=groups)
        rules.append(
            alert(
                "KafkaConsumerGroupLagHigh",
                f"sum by ({by_cluster}, consumergroup, topic) ({pipeline_lag})"
                f" > {settings.max_consumer_lag}",
                duration="10m",
                severity="warning",
                summary=f"Consumer group {label('consumergroup')} is falling behind",
                description=(
                    f"Consumer group {label('consumergroup')} is {VALUE} messages behind on "
                    f"topic {label('topic')} of {where} (limit {settings.max_consumer_lag})."
                ),
                runbook=(
                    "Check the group's pods for restarts and errors, then scale them "
                    "(kafka-consumer-groups.sh --describe --group <group>)."
                ),
                labels=own,
            )
        )
    return [{"name": f"kafka-{namespace}-{cluster}", "rules": rules}]
