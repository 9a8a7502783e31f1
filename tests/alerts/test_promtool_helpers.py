"""The promtool helpers fail on bad rules and skip, saying why, when promtool is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.alerts import promtool as helpers


def test_without_promtool_the_caller_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.skip.Exception) as skipped:
        helpers.promtool()
    assert str(skipped.value) == (
        "promtool is not on PATH: install Debian's 'prometheus' package (.ci/run does) "
        "to check and test the alerting rules"
    )


def test_check_rules_fails_on_an_expression_prometheus_cannot_parse(tmp_path: Path):
    rules = helpers.write_rules_file(
        [{"name": "broken", "rules": [{"alert": "Broken", "expr": "sum by (pod ("}]}], tmp_path
    )
    with pytest.raises(AssertionError) as failure:
        helpers.promtool_check_rules(rules)
    assert str(failure.value).startswith(f"promtool check rules failed:\nChecking {rules}\n")


def _prometheus_rule(expr: str) -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "example"},
        "spec": {"groups": [{"name": "example", "rules": [{"alert": "Down", "expr": expr}]}]},
    }


def test_a_prometheus_rule_manifest_is_checked_by_its_spec():
    helpers.promtool_check_prometheus_rule(_prometheus_rule("up == 0"))
    with pytest.raises(AssertionError) as failure:
        helpers.promtool_check_prometheus_rule(_prometheus_rule("up =="))
    assert str(failure.value).startswith("promtool check rules failed:\n")
