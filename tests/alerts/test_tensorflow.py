"""TensorFlow workers' alerts (kube-state-metrics) under promtool, and their PodMonitor."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.alerting.tensorflow import tensorflow_alert_groups, tensorflow_pod_monitor_spec
from tests.alerts.promtool import alert_names, covered_alerts, promtool_test_rules
from tests.schemas import validate_custom

RULE_TESTS = Path(__file__).with_name("tensorflow_rules_test.yaml")
# The workloads tensorflow_rules_test.yaml was written for.
NAMESPACE = "clicks"
GROUPS = tensorflow_alert_groups(NAMESPACE, "clicks-tensorflow", "StatefulSet")
GROUPS += tensorflow_alert_groups(NAMESPACE, "batch-tensorflow", "Deployment")
PODS = {"app.kubernetes.io/instance": "clicks-tensorflow"}


def _rules(groups: list[dict]) -> dict[str, dict]:
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_every_alert_has_a_firing_and_a_silent_promtool_case():
    firing, silent = covered_alerts(RULE_TESTS)
    emitted = alert_names(GROUPS)
    assert emitted == {
        "TensorflowWorkersNotReady",
        "TensorflowWorkersDown",
        "TensorflowWorkerRestarting",
    }
    assert firing == emitted
    assert silent == emitted


def test_alerts_fire_and_stay_silent_as_the_promtool_cases_expect(tmp_path: Path):
    promtool_test_rules(GROUPS, RULE_TESTS, tmp_path)


def test_a_statefulset_is_compared_with_its_desired_replicas():
    rules = _rules(tensorflow_alert_groups("views", "views-tensorflow", "StatefulSet"))
    own = 'namespace="views", statefulset="views-tensorflow"'
    assert rules["TensorflowWorkersNotReady"]["expr"] == (
        f"max by (namespace, statefulset) (kube_statefulset_status_replicas_ready{{{own}}}) < "
        f"max by (namespace, statefulset) (kube_statefulset_replicas{{{own}}})"
    )
    assert rules["TensorflowWorkersNotReady"]["labels"] == {
        "namespace": "views",
        "statefulset": "views-tensorflow",
        "severity": "warning",
    }
    assert rules["TensorflowWorkerRestarting"]["expr"] == (
        "sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{"
        'namespace="views", pod=~"views-tensorflow-[0-9]+", container="tensorflow"}[30m])) >= 3'
    )


def test_a_deployment_is_compared_with_its_available_replicas():
    rules = _rules(tensorflow_alert_groups("views", "views-tensorflow", "Deployment"))
    own = 'namespace="views", deployment="views-tensorflow"'
    assert rules["TensorflowWorkersDown"]["expr"] == (
        f"max by (namespace, deployment) (kube_deployment_status_replicas_available{{{own}}}) "
        f"== 0 and max by (namespace, deployment) (kube_deployment_spec_replicas{{{own}}}) > 0"
    )
    assert rules["TensorflowWorkersDown"]["labels"]["severity"] == "critical"


def test_the_group_is_named_after_namespace_and_workers():
    groups = tensorflow_alert_groups("views", "views-tensorflow", "Deployment")
    assert [group["name"] for group in groups] == ["tensorflow-views-views-tensorflow"]


def test_an_unknown_kind_or_a_bad_name_is_refused():
    with pytest.raises(ValueError) as error:
        tensorflow_alert_groups(NAMESPACE, "clicks-tensorflow", "DaemonSet")
    assert str(error.value) == "kind must be one of StatefulSet, Deployment, got 'DaemonSet'"
    with pytest.raises(ValueError) as error:
        tensorflow_alert_groups(NAMESPACE, "TF", "StatefulSet")
    assert str(error.value) == (
        "workers must be a DNS label (lowercase letters, digits and '-', at most 63 "
        "characters), got 'TF'"
    )


def test_the_pod_monitor_scrapes_the_named_port_of_the_workers_only():
    assert tensorflow_pod_monitor_spec(PODS, "http", "/monitoring/prometheus/metrics") == {
        "selector": {"matchLabels": PODS},
        "podMetricsEndpoints": [
            {
                "port": "http",
                "path": "/monitoring/prometheus/metrics",
                "relabelings": [
                    {"action": "replace", "sourceLabels": [source], "targetLabel": target}
                    for source, target in [
                        ("__meta_kubernetes_namespace", "namespace"),
                        ("__meta_kubernetes_pod_name", "pod"),
                        ("__meta_kubernetes_pod_node_name", "node"),
                    ]
                ],
            }
        ],
    }


def test_monitoring_resources_are_valid_against_the_operator_crds(crds_dir: Path):
    for kind, spec in (
        ("PodMonitor", tensorflow_pod_monitor_spec(PODS, "http", "/metrics")),
        ("PrometheusRule", {"groups": GROUPS}),
    ):
        validate_custom(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": kind,
                "metadata": {"name": "clicks-tensorflow", "namespace": NAMESPACE},
                "spec": spec,
            },
            crds_dir,
        )
