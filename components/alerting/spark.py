"""What Prometheus scrapes from the analytics stage's Spark drivers and the alerts on them.

Sources, all of which exist without extra jars or exporters:

- Spark 4's native endpoints on the driver's UI port: ``/metrics/prometheus/`` (driver metrics
  through the PrometheusServlet sink, e.g. Structured Streaming's per-query ``latency``, the
  duration of the last micro-batch in ms, with ``spark.sql.streaming.metricsEnabled``) and
  ``/metrics/executors/prometheus``. Spark writes the query's name into the series name; the
  PodMonitor's metric relabelings turn it into a ``query`` label.
- Executor loss: the driver's ``ExecutorAllocationManager`` source counts executors that
  exited unexpectedly; Spark registers it only for jobs with dynamic allocation.
- A streaming job not running: kube-state-metrics' ``kube_pod_status_phase`` of the driver pod
  ``spark-<job>-driver`` (absent or not Running). spark-operator's own metrics carry no
  application or namespace label, so they cannot tell one pipeline's job from another's.
- Consumer lag: Kafka Exporter's ``kafka_consumergroup_lag`` for the job's groups
  (``spark-kafka-source-<job>-*``). Spark keeps its offsets in the checkpoint and commits none
  to Kafka: the series exists only for jobs that commit their progress to their group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.alerting.promql import (
    VALUE,
    Regex,
    alert,
    label,
    regex_escape,
    require_dns_label,
    selector,
)

# Spark's metrics prefix on every driver series (spark.metrics.namespace): a fixed one keeps
# series names stable across applications and runs.
METRICS_NAMESPACE = "analytics"
DRIVER_METRICS_PATH = "/metrics/prometheus/"
EXECUTOR_METRICS_PATH = "/metrics/executors/prometheus"
# Spark's Kafka source consumes as <groupIdPrefix><uuid>...; its default prefix, made per job.
GROUP_PREFIX = "spark-kafka-source-"
UI_PORT_NAME = "spark-ui"
APP_LABEL = "spark_app"
BATCH_DURATION = "spark_streaming_batch_duration_ms"
EXECUTORS_LOST = (
    f"metrics_{METRICS_NAMESPACE}_driver_ExecutorAllocationManager_executors_"
    "numberExecutorsExitedUnexpectedly_Count"
)
POD_PHASE = "kube_pod_status_phase"
CONSUMER_GROUP_LAG = "kafka_consumergroup_lag"
KAFKA_CLUSTER_LABEL = "strimzi_io_cluster"
_STREAMING_LATENCY = f"metrics_{METRICS_NAMESPACE}_driver_spark_streaming_(.+)_latency_Value"


def application_name(job: str) -> str:
    """``spark-<job>``: the driver pod is ``spark-<job>-driver``."""
    return f"spark-{job}"


def job_group_prefix(job: str) -> str:
    """The Kafka consumer group prefix of a job: under Spark's default, so one prefix ACL on
    ``spark-kafka-source-`` admits every job, yet each job's lag is told apart."""
    return f"{GROUP_PREFIX}{job}-"


@dataclass(frozen=True)
class StreamingJobAlerts:
    """A streaming job as its alerts see it."""

    job: str
    trigger_interval: int
    """Seconds between micro-batches: a longer batch means the job is falling behind."""
    reads_kafka: bool = True


@dataclass(frozen=True)
class SparkAlertSettings:
    streaming: tuple[StreamingJobAlerts, ...]
    jobs: tuple[str, ...]
    """Every job, streaming or scheduled (executor loss applies to all)."""
    kafka_cluster: str | None = None
    max_consumer_lag: int = 100_000
    max_executor_losses: int = 3

    def __post_init__(self) -> None:
        for job in self.jobs:
            require_dns_label("job", job)
        if self.kafka_cluster is not None:
            require_dns_label("kafka_cluster", self.kafka_cluster)
        if self.max_consumer_lag < 1 or self.max_executor_losses < 1:
            raise ValueError("max_consumer_lag and max_executor_losses must be at least 1")


def spark_pod_monitor_spec(drivers: Mapping[str, str]) -> dict[str, Any]:
    """PodMonitor ``spec`` for the Spark driver pods labelled ``drivers``: both native
    endpoints."""
    relabelings = [
        {"action": "replace", "sourceLabels": [source], "targetLabel": target}
        for source, target in (
            ("__meta_kubernetes_namespace", "namespace"),
            ("__meta_kubernetes_pod_name", "pod"),
            ("__meta_kubernetes_pod_label_sparkoperator_k8s_io_app_name", APP_LABEL),
        )
    ]
    metric_relabelings = [
        # Order matters: the query's name is read from the series name before it is replaced.
        {
            "action": "replace",
            "sourceLabels": ["__name__"],
            "regex": _STREAMING_LATENCY,
            "targetLabel": "query",
            "replacement": "$1",
        },
        {
            "action": "replace",
            "sourceLabels": ["__name__"],
            "regex": _STREAMING_LATENCY,
            "targetLabel": "__name__",
            "replacement": BATCH_DURATION,
        },
    ]
    return {
        "selector": {"matchLabels": dict(drivers)},
        "podMetricsEndpoints": [
            {
                "port": UI_PORT_NAME,
                "path": path,
                "relabelings": relabelings,
                "metricRelabelings": metric_relabelings,
            }
            for path in (DRIVER_METRICS_PATH, EXECUTOR_METRICS_PATH)
        ],
    }


def spark_alert_groups(namespace: str, settings: SparkAlertSettings) -> list[dict[str, Any]]:
    """PrometheusRule ``spec.groups`` for the Spark jobs of the pipeline in ``namespace``."""
    require_dns_label("namespace", namespace)
    where = f"Spark job {label(APP_LABEL)} in {namespace}"
    own = {"namespace": namespace}
    rules = []
    if settings.streaming:
        rules += [_not_running(namespace, settings), _falling_behind(namespace, settings, where)]
    rules.append(
        alert(
            "SparkExecutorsLost",
            f"sum by (namespace, {APP_LABEL}) (increase("
            f"{selector(EXECUTORS_LOST, namespace=namespace, **{APP_LABEL: _apps(settings.jobs)})}"
            f"[15m])) > {settings.max_executor_losses}",
            duration="1m",
            severity="warning",
            summary=f"{where} keeps losing executors",
            description=(
                f"{VALUE} executors of the {where} exited unexpectedly in 15 minutes "
                f"(limit {settings.max_executor_losses})."
            ),
            runbook=(
                "kubectl get events for the executors: OOMKilled means raise executor memory "
                "or memoryOverhead; evictions mean node pressure or a drained node."
            ),
            labels=own,
        )
    )
    consumers = [s.job for s in settings.streaming if s.reads_kafka]
    if consumers and settings.kafka_cluster is not None:
        groups = Regex("|".join(regex_escape(job_group_prefix(job)) + ".*" for job in consumers))
        lag = selector(
            CONSUMER_GROUP_LAG,
            namespace=namespace,
            **{KAFKA_CLUSTER_LABEL: settings.kafka_cluster},
            consumergroup=groups,
        )
        rules.append(
            alert(
                "SparkConsumerLagHigh",
                f"sum by (namespace, consumergroup, topic) ({lag}) > {settings.max_consumer_lag}",
                duration="15m",
                severity="warning",
                summary=f"Spark group {label('consumergroup')} in {namespace} is falling behind "
                f"on topic {label('topic')}",
                description=(
                    f"Group {label('consumergroup')} in {namespace} is {VALUE} messages behind "
                    f"on topic {label('topic')} (limit {settings.max_consumer_lag})."
                ),
                runbook=(
                    "Check the job's batch duration first; then add executors (up to the "
                    "topic's partitions) or raise maxOffsetsPerTrigger."
                ),
                labels=own,
            )
        )
    return [{"name": f"spark-{namespace}", "rules": rules}]


def _apps(jobs: tuple[str, ...]) -> Regex:
    """The jobs' applications; a scheduled job's runs are ``<application>-<timestamp>``."""
    return Regex("|".join(f"{regex_escape(application_name(job))}(-[0-9]+)?" for job in jobs))


def _not_running(namespace: str, settings: SparkAlertSettings) -> dict[str, Any]:
    """Per streaming job: its driver pod is not Running, or there is no driver pod at all."""
    terms = []
    for job in settings.streaming:
        phase = selector(
            POD_PHASE,
            namespace=namespace,
            pod=f"{application_name(job.job)}-driver",
            phase="Running",
        )
        terms.append(f"sum by (namespace, pod) ({phase}) < 1")
        terms.append(f"sum by (namespace, pod) (absent({phase}))")
    return alert(
        "SparkStreamingJobNotRunning",
        " or ".join(terms),
        duration="5m",
        severity="critical",
        summary=f"Spark driver {label('pod')} in {namespace} is not running",
        description=(
            f"The driver {label('pod')} of a streaming job in {namespace} has not been Running "
            "for 5 minutes: the job processes nothing."
        ),
        runbook=(
            "kubectl describe sparkapplication <job>: read status.applicationState; check the "
            "driver's events and logs (image pull, package resolution, quota, Kafka access)."
        ),
        labels={"namespace": namespace},
    )


def _falling_behind(namespace: str, settings: SparkAlertSettings, where: str) -> dict[str, Any]:
    """Per streaming job: its micro-batches take longer than its trigger interval."""
    terms = [
        f"max by (namespace, {APP_LABEL}, query) ("
        f"{selector(BATCH_DURATION, namespace=namespace, **{APP_LABEL: application_name(job.job)})}"
        f") > {job.trigger_interval * 1000}"
        for job in settings.streaming
    ]
    return alert(
        "SparkStreamingFallingBehind",
        " or ".join(terms),
        duration="15m",
        severity="warning",
        summary=f"Query {label('query')} of the {where} is falling behind",
        description=(
            f"Micro-batches of query {label('query')} of the {where} take {VALUE} ms, longer "
            "than the job's trigger interval: input piles up."
        ),
        runbook=(
            "Open the driver's UI (port 4040, Structured Streaming tab): add executors or "
            "cores, or cap maxOffsetsPerTrigger, then watch the batch duration fall."
        ),
        labels={"namespace": namespace},
    )
