"""Every PrometheusRule the program writes for the committed stacks passes promtool, and every
alert in them is one the promtool unit tests cover (firing and silent)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.alerts.promtool import alert_names, covered_alerts, promtool_check_prometheus_rule
from tests.conftest import STACKS

RULE_TESTS = sorted(Path(__file__).parent.glob("*_rules_test.yaml"))


def rendered_rules(stack_outputs) -> list[dict]:
    return [
        manifest
        for stack in STACKS
        for path in sorted((stack_outputs[stack] / "k8s").glob("PrometheusRule-*.yaml"))
        if (manifest := yaml.safe_load(path.read_text()))
    ]


def test_every_rendered_rule_passes_promtool_check(stack_outputs):
    rules = rendered_rules(stack_outputs)
    # Portworx once per stack; per pipeline Kafka, Elasticsearch and the loader: dev and staging
    # have one pipeline, prod two; Spark in dev's, staging's and prod's clickstream; TensorFlow in
    # prod's telemetry; Autopilot's Kafka claim alert per Kafka cluster (every stack has a rule);
    # protection's per pipeline.
    assert len(rules) == 3 * 1 + 3 * (1 + 1 + 2) + 3 + 1 + (1 + 1 + 2) + (1 + 1 + 2)
    for manifest in rules:
        promtool_check_prometheus_rule(manifest)


def test_every_rendered_alert_has_firing_and_silent_unit_tests(stack_outputs):
    rendered = set().union(
        *(alert_names(m["spec"]["groups"]) for m in rendered_rules(stack_outputs))
    )
    firing: set[str] = set()
    silent: set[str] = set()
    for rule_test in RULE_TESTS:
        fires, stays_silent = covered_alerts(rule_test)
        firing |= fires
        silent |= stays_silent
    assert rendered, "the stacks render no alerts"
    assert rendered <= firing, rendered - firing
    assert rendered <= silent, rendered - silent
