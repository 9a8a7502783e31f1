"""Alerts on a pipeline's TensorFlow workers, and the PodMonitor of their own metrics.

The alerts read kube-state-metrics, which every cluster with the Prometheus operator's usual
stack already scrapes, so they hold whether or not the workers' image exposes metrics: a
StatefulSet's ``kube_statefulset_status_replicas_ready`` against ``kube_statefulset_replicas``,
a Deployment's ``kube_deployment_status_replicas_available`` against
``kube_deployment_spec_replicas``, and the containers' restarts.
"""

from __future__ import annotations

from typing import Any

from components.alerting.promql import VALUE, Regex, alert, label, require_dns_label, selector

WORKLOAD_KINDS = ("StatefulSet", "Deployment")
# The container's name in every worker pod: what the restart alert selects.
CONTAINER = "tensorflow"
RESTARTS = "kube_pod_container_status_restarts_total"
# Restarts within 30 minutes that mean a worker is crash-looping (or killed by its liveness
# probe) rather than rescheduled once.
MAX_RESTARTS = 3


def _replica_series(kind: str) -> tuple[str, str, str]:
    """(workload label, ready-replicas series, desired-replicas series) of kube-state-metrics."""
    if kind == "StatefulSet":
        return "statefulset", "kube_statefulset_status_replicas_ready", "kube_statefulset_replicas"
    if kind == "Deployment":
        return (
            "deployment",
            "kube_deployment_status_replicas_available",
            "kube_deployment_spec_replicas",
        )
    raise ValueError(f"kind must be one of {', '.join(WORKLOAD_KINDS)}, got {kind!r}")


def tensorflow_pod_monitor_spec(pods: dict[str, str], port_name: str, path: str) -> dict[str, Any]:
    """PodMonitor ``spec`` scraping the workers ``pods`` on their named port at ``path``."""
    relabelings = [
        {"action": "replace", "sourceLabels": [source], "targetLabel": target}
        for source, target in (
            ("__meta_kubernetes_namespace", "namespace"),
            ("__meta_kubernetes_pod_name", "pod"),
            ("__meta_kubernetes_pod_node_name", "node"),
        )
    ]
    return {
        "selector": {"matchLabels": dict(pods)},
        "podMetricsEndpoints": [{"port": port_name, "path": path, "relabelings": relabelings}],
    }


def tensorflow_alert_groups(namespace: str, workers: str, kind: str) -> list[dict[str, Any]]:
    """PrometheusRule ``spec.groups`` for the TensorFlow ``kind`` ``workers`` in ``namespace``."""
    require_dns_label("namespace", namespace)
    require_dns_label("workers", workers)
    workload, ready, desired = _replica_series(kind)
    own = {"namespace": namespace, workload: workers}
    ready_now = selector(ready, **own)
    wanted = selector(desired, **own)
    where = f"TensorFlow workers {workers} in {namespace}"
    by_workload = f"namespace, {workload}"
    pod_pattern = (
        rf"{workers}-[0-9]+" if kind == "StatefulSet" else rf"{workers}-[a-z0-9]+-[a-z0-9]+"
    )
    restarts = selector(RESTARTS, namespace=namespace, pod=Regex(pod_pattern), container=CONTAINER)
    rules = [
        alert(
            "TensorflowWorkersNotReady",
            f"max by ({by_workload}) ({ready_now}) < max by ({by_workload}) ({wanted})",
            duration="15m",
            severity="warning",
            summary=f"Not every one of the {where} is ready",
            description=(
                f"Only {VALUE} of the {where} are ready for 15 minutes: the rest cannot be "
                "scheduled, fail their readiness probe (model not loaded) or crash."
            ),
            runbook=(
                "kubectl describe pods of the workers: Pending means no node with the requested "
                "CPU, memory or GPUs (or the model claim unbound: its class must be sharedv4); "
                "a failing readiness probe means the model did not load: read the logs."
            ),
            labels=own,
        ),
        alert(
            "TensorflowWorkersDown",
            f"max by ({by_workload}) ({ready_now}) == 0 and max by ({by_workload}) ({wanted}) > 0",
            duration="5m",
            severity="critical",
            summary=f"None of the {where} is ready",
            description=f"No worker of the {where} has been ready for 5 minutes: nothing is "
            "analysed.",
            runbook=(
                "kubectl describe pods of the workers and read their logs; check the model "
                "volume (mounted, the model's directory present) and the Kafka and "
                "Elasticsearch credentials."
            ),
            labels=own,
        ),
        alert(
            "TensorflowWorkerRestarting",
            f"sum by (namespace, pod) (increase({restarts}[30m])) >= {MAX_RESTARTS}",
            duration="5m",
            severity="warning",
            summary=f"Worker {label('pod')} of the {where} keeps restarting",
            description=(
                f"Worker {label('pod')} of the {where} restarted at least {MAX_RESTARTS} times "
                "in 30 minutes."
            ),
            runbook=(
                "kubectl logs --previous on the pod: an OOMKilled worker needs a larger memory "
                "limit; a liveness probe failing while the model loads needs a longer "
                "liveness.initialDelaySeconds."
            ),
            labels=own,
        ),
    ]
    return [{"name": f"tensorflow-{namespace}-{workers}", "rules": rules}]
