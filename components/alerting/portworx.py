"""What Prometheus scrapes from Portworx and the alerts on it: the storage element's monitoring.

Plain values in, plain dicts out: a component wraps them in a ServiceMonitor and a PrometheusRule.

Metric names and labels come from Portworx's metrics reference
(docs.portworx.com/portworx-enterprise/reference/metrics): volume metrics carry ``cluster``,
``node``, ``volume`` (the ID) and ``volumename`` (the PersistentVolume's name for CSI volumes);
node and cluster metrics carry ``cluster`` and ``node``. The alert set and its thresholds follow
the PrometheusRule the Portworx operator ships (libopenstorage/operator,
drivers/storage/portworx/testspec/prometheusRule.yaml, commit 01323dbf), with these changes:
aggregations keep only those labels, so one volume reported by several nodes alerts once, and
every alert has a runbook.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from components.alerting.promql import VALUE, alert, label, number, require_dns_label

# The Service the Portworx operator creates is labelled name=portworx; its port px-api is 9001
# (17001 on OpenShift), so scraping by port name works on both.
PORTWORX_SERVICE_LABELS = {"name": "portworx"}
PORTWORX_METRICS_PORT = "px-api"
METRICS_PATH = "/metrics"

# px_volume_replication_status values (metrics reference): 0 up, 1 not in quorum, 2 resync,
# 3 degraded, 4 detached, 5 restore.
_NOT_IN_QUORUM = 1
_IN_RESYNC = 2
_DEGRADED = 3

_VOLUME = ("cluster", "volume", "volumename")
_NODE = ("cluster", "node")
_CLUSTER = ("cluster",)


@dataclass(frozen=True)
class PortworxAlertSettings:
    """Thresholds of the Portworx alerts; the defaults are Portworx's own."""

    volume_usage_warning_percent: float = 70
    volume_usage_critical_percent: float = 80
    storage_usage_critical_percent: float = 80
    storage_fill_percent: float = 70
    """PortworxStorageWillFill only considers nodes whose storage is fuller than this."""
    storage_fill_days: float = 14
    """PortworxStorageWillFill fires when the last hour's trend fills a node within this."""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name.endswith("_percent") and not 0 < value < 100:
                raise ValueError(f"{field.name} must be above 0 and below 100, got {number(value)}")
        if self.volume_usage_warning_percent >= self.volume_usage_critical_percent:
            raise ValueError(
                f"volume_usage_warning_percent ({number(self.volume_usage_warning_percent)}) "
                "must be below volume_usage_critical_percent "
                f"({number(self.volume_usage_critical_percent)})"
            )
        if self.storage_fill_days <= 0:
            raise ValueError(
                f"storage_fill_days must be positive, got {number(self.storage_fill_days)}"
            )


def portworx_service_monitor_spec(portworx_namespace: str) -> dict[str, Any]:
    """ServiceMonitor ``spec`` scraping Portworx's API metrics in ``portworx_namespace``."""
    return {
        "selector": {"matchLabels": dict(PORTWORX_SERVICE_LABELS)},
        "namespaceSelector": {
            "matchNames": [require_dns_label("portworx_namespace", portworx_namespace)]
        },
        "endpoints": [{"port": PORTWORX_METRICS_PORT, "path": METRICS_PATH}],
    }


def _max_by(labels: tuple[str, ...], vector: str) -> str:
    return f"max by ({', '.join(labels)}) ({vector})"


def portworx_alert_groups(
    settings: PortworxAlertSettings | None = None,
) -> list[dict[str, Any]]:
    """PrometheusRule ``spec.groups`` with the Portworx alerts, cluster-wide."""
    settings = settings or PortworxAlertSettings()
    return [
        {"name": "portworx-volumes", "rules": _volume_rules(settings)},
        {"name": "portworx-storage", "rules": _storage_rules(settings)},
        {"name": "portworx-cluster", "rules": _cluster_rules()},
    ]


def _volume_rules(settings: PortworxAlertSettings) -> list[dict[str, Any]]:
    usage_percent = (
        f"100 * {_max_by(_VOLUME, 'px_volume_usage_bytes')}"
        f" / {_max_by(_VOLUME, 'px_volume_capacity_bytes')}"
    )
    volume = f"Portworx volume {label('volumename')} ({label('volume')})"
    warning = number(settings.volume_usage_warning_percent)
    critical = number(settings.volume_usage_critical_percent)
    grow = "grow the PVC (the class allows expansion) or delete data"

    def replication(status: int) -> str:
        # Any node reporting the state counts: nodes may disagree while the state changes.
        return _max_by(_VOLUME, f"px_volume_replication_status == {status}")

    return [
        alert(
            "PortworxVolumeUsageCritical",
            f"{usage_percent} > {critical}",
            duration="5m",
            severity="critical",
            summary=f"{volume} is over {critical}% full",
            description=f"{volume} on cluster {label('cluster')} is {VALUE}% full.",
            runbook=f"Now: {grow}; writes fail when it is full.",
        ),
        alert(
            "PortworxVolumeUsage",
            f"{usage_percent} > {warning}",
            duration="5m",
            severity="warning",
            summary=f"{volume} is over {warning}% full",
            description=f"{volume} on cluster {label('cluster')} is {VALUE}% full.",
            runbook=f"Plan to {grow} before it reaches {critical}%.",
        ),
        alert(
            "PortworxVolumeNotInQuorum",
            replication(_NOT_IN_QUORUM),
            duration="2m",
            severity="critical",
            summary=f"{volume} is out of quorum",
            description=(
                f"{volume} on cluster {label('cluster')} has too few replicas online to serve "
                "I/O: its pods are blocked."
            ),
            runbook="Bring the nodes holding its replicas back online (pxctl volume inspect).",
        ),
        alert(
            "PortworxVolumeInResync",
            replication(_IN_RESYNC),
            duration="30m",
            severity="warning",
            summary=f"{volume} has been resyncing for 30 minutes",
            description=(
                f"{volume} on cluster {label('cluster')} is still copying data to a replica "
                "that came back; it is not fully redundant until that ends."
            ),
            runbook="Check replica nodes and network with pxctl volume inspect; avoid draining.",
        ),
        alert(
            "PortworxVolumeDegraded",
            replication(_DEGRADED),
            duration="15m",
            severity="warning",
            summary=f"{volume} is degraded",
            description=(
                f"{volume} on cluster {label('cluster')} runs with fewer replicas than its HA "
                "level: one more failure can make it unavailable."
            ),
            runbook="Bring the replica's node back or add one elsewhere (pxctl volume ha-update).",
        ),
    ]


def _storage_rules(settings: PortworxAlertSettings) -> list[dict[str, Any]]:
    usage_percent = (
        f"100 * {_max_by(_NODE, 'px_cluster_disk_utilized_bytes')}"
        f" / {_max_by(_NODE, 'px_cluster_disk_total_bytes')}"
    )
    trend = (
        f"predict_linear(px_cluster_disk_available_bytes[1h], "
        f"{number(settings.storage_fill_days)} * 86400)"
    )
    storage = f"Portworx storage on node {label('node')}"
    critical = number(settings.storage_usage_critical_percent)
    days = number(settings.storage_fill_days)
    return [
        alert(
            "PortworxStorageUsageCritical",
            f"{usage_percent} > {critical}",
            duration="5m",
            severity="critical",
            summary=f"{storage} is over {critical}% used",
            description=f"{storage} of cluster {label('cluster')} is {VALUE}% used.",
            runbook="Add drives or nodes to the pool (pxctl service pool expand) or free volumes.",
        ),
        alert(
            "PortworxStorageWillFill",
            f"{usage_percent} > {number(settings.storage_fill_percent)}"
            f" and {_max_by(_NODE, trend)} < 0",
            duration="10m",
            severity="warning",
            summary=f"{storage} will fill within {days} days",
            description=(
                f"{storage} of cluster {label('cluster')} is {VALUE}% used and, at the rate "
                f"of the last hour, fills within {days} days."
            ),
            runbook="Plan capacity: expand the pool or add nodes before it fills.",
        ),
    ]


def _cluster_rules() -> list[dict[str, Any]]:
    cluster = f"Portworx cluster {label('cluster')}"
    return [
        alert(
            "PortworxStorageNodeDown",
            f"{_max_by(_CLUSTER, 'px_cluster_status_nodes_storage_down')} > 0",
            duration="5m",
            severity="critical",
            summary=f"{cluster} has storage nodes down or full",
            description=f"{cluster} reports {VALUE} storage node(s) whose storage is down or full.",
            runbook="Find the node with pxctl status and restore its drives or the node.",
        ),
        alert(
            "PortworxQuorumUnhealthy",
            # The deprecated name, because Portworx's own rule defines its values (above 1: out
            # of quorum); the reference gives no values for its successor px_cluster_status_quorum.
            f"{_max_by(_CLUSTER, 'px_cluster_status_cluster_quorum')} > 1",
            duration="5m",
            severity="critical",
            summary=f"{cluster} has lost quorum",
            description=f"{cluster} is out of quorum: volumes may not serve I/O.",
            runbook="Bring offline nodes back (pxctl status); check KVDB health and the network.",
        ),
        alert(
            "PortworxMemberDown",
            f"{_max_by(_CLUSTER, 'px_cluster_status_size')}"
            f" - {_max_by(_CLUSTER, 'px_cluster_status_nodes_online')} > 0",
            duration="5m",
            severity="critical",
            summary=f"{cluster} has members down",
            description=f"{VALUE} member(s) of {cluster} are offline.",
            runbook="Find offline nodes with pxctl status; restart Portworx there or replace them.",
        ),
    ]
