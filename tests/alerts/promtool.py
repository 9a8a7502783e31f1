"""Run promtool on alerting rules: a syntax and semantics check, and unit tests with input series.

Every PrometheusRule the program writes can go through :func:`promtool_check_prometheus_rule`.
Without promtool on PATH (Debian package ``prometheus``; ``.ci/run`` installs it) the callers skip.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

RULES_FILE = "rules.yaml"


def promtool() -> str:
    """promtool's path; skips the calling test when it is not installed."""
    path = shutil.which("promtool")
    if path is None:
        pytest.skip(
            "promtool is not on PATH: install Debian's 'prometheus' package "
            "(.ci/run does) to check and test the alerting rules"
        )
    return path


def _run(*args: str | Path) -> None:
    result = subprocess.run(
        [promtool(), *map(str, args)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, (
        f"promtool {args[0]} {args[1]} failed:\n{result.stdout}{result.stderr}"
    )


def promtool_check_rules(path: Path) -> None:
    """Fail unless the rules file (``groups: [...]``) ``path`` passes ``promtool check rules``."""
    _run("check", "rules", path)


def promtool_check_prometheus_rule(manifest: dict[str, Any]) -> None:
    """Fail unless the ``spec`` of the PrometheusRule ``manifest`` passes ``promtool check rules``.

    The operator hands Prometheus the spec as a rules file, so that is what promtool reads.
    """
    assert manifest["kind"] == "PrometheusRule", manifest["kind"]
    with tempfile.TemporaryDirectory() as directory:
        rules = write_rules_file(manifest["spec"]["groups"], Path(directory))
        promtool_check_rules(rules)


def write_rules_file(groups: list[dict[str, Any]], directory: Path) -> Path:
    """``groups`` as the rules file ``directory/rules.yaml``."""
    path = directory / RULES_FILE
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def promtool_test_rules(groups: list[dict[str, Any]], rule_tests: Path, directory: Path) -> None:
    """Fail unless ``groups`` pass ``promtool check rules`` and the unit tests in ``rule_tests``.

    The unit test file names no rule file: a copy of it in ``directory`` names the rendered one.
    """
    rules = write_rules_file(groups, directory)
    promtool_check_rules(rules)
    tests = yaml.safe_load(rule_tests.read_text())
    tests["rule_files"] = [rules.name]
    copy = directory / rule_tests.name
    copy.write_text(yaml.safe_dump(tests, sort_keys=False))
    _run("test", "rules", copy)


def covered_alerts(rule_tests: Path) -> tuple[set[str], set[str]]:
    """Alert names that ``rule_tests`` expects to fire in some case, and to stay silent in some."""
    firing: set[str] = set()
    silent: set[str] = set()
    for test in yaml.safe_load(rule_tests.read_text())["tests"]:
        for case in test.get("alert_rule_test", []):
            (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    return firing, silent


def alert_names(groups: list[dict[str, Any]]) -> set[str]:
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}
