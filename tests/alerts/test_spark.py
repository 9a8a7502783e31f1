"""Analytics (Spark) monitoring: PodMonitor on the drivers' native endpoints, alerts under
promtool."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.alerting.spark import (
    SparkAlertSettings,
    StreamingJobAlerts,
    spark_alert_groups,
    spark_pod_monitor_spec,
)
from tests.alerts.promtool import alert_names, covered_alerts, promtool_test_rules
from tests.schemas import validate_custom

RULE_TESTS = Path(__file__).with_name("spark_rules_test.yaml")
# The parameters spark_rules_test.yaml was written for.
NAMESPACE = "clicks"
SETTINGS = SparkAlertSettings(
    streaming=(StreamingJobAlerts("events", 30),),
    jobs=("events", "report"),
    kafka_cluster="clicks",
    max_consumer_lag=1000,
    max_executor_losses=3,
)
DRIVERS = {"data-pipeline.io/stage": "analytics", "spark-role": "driver"}
SPARK_ALERTS = {
    "SparkStreamingJobNotRunning",
    "SparkStreamingFallingBehind",
    "SparkExecutorsLost",
    "SparkConsumerLagHigh",
}


def _rules(groups):
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_every_alert_has_a_firing_and_a_silent_promtool_case():
    firing, silent = covered_alerts(RULE_TESTS)
    emitted = alert_names(spark_alert_groups(NAMESPACE, SETTINGS))
    assert emitted == SPARK_ALERTS
    assert firing == emitted
    assert silent == emitted


def test_alerts_fire_and_stay_silent_as_the_promtool_cases_expect(tmp_path: Path):
    promtool_test_rules(spark_alert_groups(NAMESPACE, SETTINGS), RULE_TESTS, tmp_path)


def test_only_executor_loss_is_watched_without_streaming_jobs_or_kafka():
    settings = SparkAlertSettings(streaming=(), jobs=("report",))
    rules = _rules(spark_alert_groups("views", settings))
    assert set(rules) == {"SparkExecutorsLost"}
    assert rules["SparkExecutorsLost"]["expr"] == (
        "sum by (namespace, spark_app) (increase("
        "metrics_analytics_driver_ExecutorAllocationManager_executors_"
        'numberExecutorsExitedUnexpectedly_Count{namespace="views", '
        'spark_app=~"spark-report(-[0-9]+)?"}[15m])) > 3'
    )


def test_each_streaming_job_is_judged_against_its_own_trigger_interval():
    settings = SparkAlertSettings(
        streaming=(StreamingJobAlerts("a", 10), StreamingJobAlerts("b", 120, reads_kafka=False)),
        jobs=("a", "b"),
        kafka_cluster="clicks",
    )
    rules = _rules(spark_alert_groups("views", settings))
    assert rules["SparkStreamingFallingBehind"]["expr"] == (
        "max by (namespace, spark_app, query) (spark_streaming_batch_duration_ms"
        '{namespace="views", spark_app="spark-a"}) > 10000 or '
        "max by (namespace, spark_app, query) (spark_streaming_batch_duration_ms"
        '{namespace="views", spark_app="spark-b"}) > 120000'
    )
    assert 'consumergroup=~"spark-kafka-source-a-.*"' in (rules["SparkConsumerLagHigh"]["expr"])


def test_pod_monitor_scrapes_both_native_endpoints_of_the_drivers_only():
    spec = spark_pod_monitor_spec(DRIVERS)
    assert spec["selector"] == {
        "matchLabels": {"data-pipeline.io/stage": "analytics", "spark-role": "driver"}
    }
    assert [(e["port"], e["path"]) for e in spec["podMetricsEndpoints"]] == [
        ("spark-ui", "/metrics/prometheus/"),
        ("spark-ui", "/metrics/executors/prometheus"),
    ]
    latency = "metrics_analytics_driver_spark_streaming_(.+)_latency_Value"
    assert spec["podMetricsEndpoints"][0]["metricRelabelings"] == [
        {
            "action": "replace",
            "sourceLabels": ["__name__"],
            "regex": latency,
            "targetLabel": "query",
            "replacement": "$1",
        },
        {
            "action": "replace",
            "sourceLabels": ["__name__"],
            "regex": latency,
            "targetLabel": "__name__",
            "replacement": "spark_streaming_batch_duration_ms",
        },
    ]


def test_monitoring_resources_are_valid_against_the_operator_crds(crds_dir: Path):
    for kind, spec in (
        ("PodMonitor", spark_pod_monitor_spec(DRIVERS)),
        ("PrometheusRule", {"groups": spark_alert_groups(NAMESPACE, SETTINGS)}),
    ):
        validate_custom(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": kind,
                "metadata": {"name": "clicks-spark", "namespace": NAMESPACE},
                "spec": spec,
            },
            crds_dir,
        )


def test_settings_refuse_a_job_name_kubernetes_would_not_accept():
    with pytest.raises(ValueError) as error:
        SparkAlertSettings(streaming=(), jobs=("Events",))
    assert str(error.value) == (
        "job must be a DNS label (lowercase letters, digits and '-', at most 63 "
        "characters), got 'Events'"
    )
