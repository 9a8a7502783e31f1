"""The PromQL building blocks: quoting, regex escaping, selectors, rule shape."""

from __future__ import annotations

import re

import pytest

from components.alerting.promql import (
    Regex,
    alert,
    any_of,
    label,
    number,
    quote,
    regex_escape,
    require_dns_label,
    selector,
)


def test_selector_quotes_values_and_marks_regex_matchers():
    assert selector("up", namespace="clicks", pod=Regex("events-.+")) == (
        'up{namespace="clicks", pod=~"events-.+"}'
    )


def test_quote_escapes_what_would_end_or_break_a_promql_string():
    assert quote('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'
    assert quote("naïve") == '"naïve"'


def test_regex_escape_makes_every_special_character_literal():
    special = r"a.b+c*d?e(f)g|h[i]j{k}l^m$n\o"
    escaped = regex_escape(special)
    assert escaped == r"a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o"
    # Python's re reads these escapes as RE2 does.
    assert re.fullmatch(escaped, special)


def test_any_of_matches_exactly_the_names_given():
    pattern = any_of(["clicks.archiver", "clicks-indexer"])
    assert pattern == r"clicks\.archiver|clicks-indexer"
    assert re.fullmatch(pattern, "clicks.archiver")
    assert not re.fullmatch(pattern, "clicksXarchiver")


def test_templates_and_numbers_render_as_prometheus_and_people_read_them():
    assert label("volumename") == "{{ $labels.volumename }}"
    assert number(80.0) == "80"
    assert number(0.5) == "0.5"


def test_require_dns_label_accepts_kubernetes_names_only():
    assert require_dns_label("namespace", "clicks-2") == "clicks-2"
    for bad in ("", "-clicks", "clicks.prod", "a" * 64):
        with pytest.raises(ValueError) as error:
            require_dns_label("namespace", bad)
        assert str(error.value) == (
            "namespace must be a DNS label (lowercase letters, digits and '-', at most 63 "
            f"characters), got {bad!r}"
        )


def test_alert_puts_severity_last_and_the_three_annotations():
    assert alert(
        "Example",
        "up == 0",
        duration="5m",
        severity="warning",
        summary="s",
        description="d",
        runbook="r",
        labels={"namespace": "clicks"},
    ) == {
        "alert": "Example",
        "expr": "up == 0",
        "for": "5m",
        "labels": {"namespace": "clicks", "severity": "warning"},
        "annotations": {"summary": "s", "description": "d", "runbook": "r"},
    }


def test_alert_rejects_a_severity_alertmanager_does_not_route():
    with pytest.raises(ValueError) as error:
        alert(
            "Example",
            "up == 0",
            duration="5m",
            severity="page",
            summary="s",
            description="d",
            runbook="r",
        )
    assert str(error.value) == "severity must be one of critical, warning, got 'page'"
