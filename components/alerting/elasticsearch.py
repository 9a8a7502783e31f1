"""What Prometheus scrapes from an ECK Elasticsearch cluster and the alerts on it, per pipeline.

Elasticsearch has no Prometheus endpoint of its own. Elastic's monitoring (Metricbeat or Elastic
Agent, ECK's ``spec.monitoring``) ships metrics into an Elasticsearch monitoring cluster, not
into Prometheus, and its alerting lives in Kibana. The stack alerts with Prometheus, so each
cluster gets the Prometheus community's ``elasticsearch_exporter``: a small Deployment that reads
``_cluster/health`` and ``_nodes/stats`` over HTTPS as a file-realm user allowed ``monitor``
only, and serves them on :data:`EXPORTER_PORT` (its Deployment: ``components.eck``).

Every series carries the cluster's name (``cluster``: ECK sets ``cluster.name`` to the resource's
name) and the namespace (from the PodMonitor's relabeling); every alert selects both, so the
alerts of two pipelines never mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.alerting.promql import (
    VALUE,
    alert,
    label,
    number,
    require_dns_label,
    selector,
)

EXPORTER_PORT = 9114
EXPORTER_PORT_NAME = "metrics"
METRICS_PATH = "/metrics"

# Series the alerts read, as elasticsearch_exporter names them. Node series are labelled
# cluster, host, name (the node), es_master_node, es_data_node, ...
CLUSTER_HEALTH_STATUS = "elasticsearch_cluster_health_status"
FILESYSTEM_AVAILABLE_BYTES = "elasticsearch_filesystem_data_available_bytes"
FILESYSTEM_SIZE_BYTES = "elasticsearch_filesystem_data_size_bytes"
JVM_MEMORY_USED_BYTES = "elasticsearch_jvm_memory_used_bytes"
JVM_MEMORY_MAX_BYTES = "elasticsearch_jvm_memory_max_bytes"

EXPORTER_NAME_LABEL = "app.kubernetes.io/name"
EXPORTER_INSTANCE_LABEL = "app.kubernetes.io/instance"
EXPORTER_NAME = "elasticsearch-exporter"


@dataclass(frozen=True)
class ElasticsearchAlertSettings:
    """Thresholds of one pipeline's Elasticsearch alerts."""

    disk_watermark_percent: float = 90
    """Elasticsearch's high disk watermark: above it, shards move off the node."""
    heap_usage_percent: float = 85

    def __post_init__(self) -> None:
        for name in ("disk_watermark_percent", "heap_usage_percent"):
            value = getattr(self, name)
            if not 0 < value < 100:
                raise ValueError(f"{name} must be above 0 and below 100, got {number(value)}")


def exporter_labels(cluster: str) -> dict[str, str]:
    """Labels of the exporter's pods: what its PodMonitor and network flows select."""
    return {EXPORTER_NAME_LABEL: EXPORTER_NAME, EXPORTER_INSTANCE_LABEL: cluster}


def elasticsearch_pod_monitor_spec(cluster: str) -> dict[str, Any]:
    """PodMonitor ``spec`` for the cluster's exporter, in the pipeline's namespace."""
    return {
        "selector": {"matchLabels": exporter_labels(require_dns_label("cluster", cluster))},
        "podMetricsEndpoints": [
            {
                "port": EXPORTER_PORT_NAME,
                "path": METRICS_PATH,
                # The exporter is slow to answer when the cluster is: scrape less often.
                "interval": "30s",
                "scrapeTimeout": "25s",
                "relabelings": [
                    {
                        "action": "replace",
                        "sourceLabels": [source],
                        "targetLabel": target,
                    }
                    for source, target in (
                        ("__meta_kubernetes_namespace", "namespace"),
                        ("__meta_kubernetes_pod_name", "pod"),
                    )
                ],
            }
        ],
    }


def elasticsearch_alert_groups(
    namespace: str, cluster: str, settings: ElasticsearchAlertSettings
) -> list[dict[str, Any]]:
    """PrometheusRule ``spec.groups`` for the Elasticsearch cluster ``cluster`` in ``namespace``."""
    require_dns_label("namespace", namespace)
    require_dns_label("cluster", cluster)
    own = {"namespace": namespace, "cluster": cluster}
    where = f"Elasticsearch cluster {cluster} in {namespace}"
    by_cluster = "namespace, cluster"
    by_node = f"{by_cluster}, name"

    def health(color: str) -> str:
        return f"max by ({by_cluster}) ({selector(CLUSTER_HEALTH_STATUS, **own, color=color)}) == 1"

    def per_data_node(metric: str, **matchers: str) -> str:
        return f"sum by ({by_node}) ({selector(metric, **own, es_data_node='true', **matchers)})"

    def per_node(metric: str) -> str:
        return f"max by ({by_node}) ({selector(metric, **own, area='heap')})"

    disk = number(settings.disk_watermark_percent)
    heap = number(settings.heap_usage_percent)
    rules = [
        alert(
            "ElasticsearchClusterRed",
            health("red"),
            duration="5m",
            severity="critical",
            summary=f"{where} is red",
            description=(
                f"{where} has primary shards unassigned: their data cannot be searched and "
                "writes to them fail."
            ),
            runbook=(
                "GET _cluster/allocation/explain names the shard and why it is unassigned; "
                "bring back the nodes (pods, volumes) that held it."
            ),
            labels=own,
        ),
        alert(
            "ElasticsearchClusterYellow",
            health("yellow"),
            # A node restart (a rolling change, a drained Kubernetes node) is yellow for a while.
            duration="30m",
            severity="warning",
            summary=f"{where} is yellow",
            description=(
                f"{where} has had replica shards unassigned for 30 minutes: one more lost node "
                "can lose data."
            ),
            runbook=(
                "GET _cluster/allocation/explain; check for a missing data node, a full disk "
                "or a zone without nodes."
            ),
            labels=own,
        ),
        alert(
            "ElasticsearchDiskAboveHighWatermark",
            f"100 * (1 - {per_data_node(FILESYSTEM_AVAILABLE_BYTES)} / "
            f"{per_data_node(FILESYSTEM_SIZE_BYTES)}) > {disk}",
            duration="5m",
            severity="critical",
            summary=f"Elasticsearch data node {label('name')} is over {disk}% full",
            description=(
                f"Data node {label('name')} of {where} is {VALUE}% full: shards move away from "
                "it, and at 95% its indices become read-only."
            ),
            runbook=(
                "Grow the nodeSet's volume size (ECK expands the claims in place), add data "
                "nodes, or delete old indices."
            ),
            labels=own,
        ),
        alert(
            "ElasticsearchHeapPressure",
            f"100 * {per_node(JVM_MEMORY_USED_BYTES)} / {per_node(JVM_MEMORY_MAX_BYTES)} > {heap}",
            duration="15m",
            severity="warning",
            summary=f"Elasticsearch node {label('name')} uses over {heap}% of its heap",
            description=(
                f"Node {label('name')} of {where} has used {VALUE}% of its heap for 15 "
                "minutes: long garbage collections, then circuit breakers rejecting requests."
            ),
            runbook=(
                "Check GET _nodes/stats/breaker and the shard count per node; raise the "
                "nodeSet's heap with its memory limit (heap at most half of it)."
            ),
            labels=own,
        ),
        alert(
            "ElasticsearchMetricsAbsent",
            f"absent({selector(CLUSTER_HEALTH_STATUS, **own)})",
            duration="10m",
            severity="warning",
            summary=f"No metrics from {where}",
            description=(
                f"The exporter of {where} reports no cluster health: the alerts above cannot fire."
            ),
            runbook=(
                "Check the elasticsearch-exporter pod's log: its user, the CA, and the network "
                "flow to port 9200."
            ),
            labels=own,
        ),
    ]
    return [{"name": f"elasticsearch-{namespace}-{cluster}", "rules": rules}]
