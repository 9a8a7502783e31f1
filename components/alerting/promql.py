"""Building blocks of PromQL selectors and alerting rules, shared by the Portworx and Kafka content.

Plain Python: the components that create the monitoring resources and the policy pack both read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SEVERITIES = ("critical", "warning")
# Kubernetes names of namespaces and Strimzi clusters; they end up in selectors and claim-name
# patterns, so a malformed one would give a rule that silently never matches.
_DNS_LABEL = re.compile(r"(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?")
# Characters with a meaning in RE2, the regex dialect of Prometheus and of Kafka Exporter (Go).
_RE2_SPECIAL = re.compile(r"[\\.+*?()|\[\]{}^$]")

# Alert templates: Prometheus fills these in when the alert fires.
VALUE = "{{ $value | humanize }}"


def label(name: str) -> str:
    """The template that shows the alert's label ``name``."""
    return "{{ $labels." + name + " }}"


def number(value: float) -> str:
    """``value`` as written in an expression or a message: 80.0 -> "80", 0.5 -> "0.5"."""
    return f"{value:g}"


def require_dns_label(what: str, value: str) -> str:
    """``value`` unchanged; ValueError unless it is a DNS label, as Kubernetes names are."""
    if not _DNS_LABEL.fullmatch(value):
        raise ValueError(
            f"{what} must be a DNS label (lowercase letters, digits and '-', at most 63 "
            f"characters), got {value!r}"
        )
    return value


def quote(value: str) -> str:
    """``value`` as a PromQL string literal.

    PromQL unquotes double-quoted strings as Go does, and JSON's escapes are a subset of Go's.
    """
    return json.dumps(value, ensure_ascii=False)


def regex_escape(value: str) -> str:
    """An RE2 pattern that matches exactly ``value`` (RE2 takes a backslash before punctuation)."""
    return _RE2_SPECIAL.sub(lambda special: "\\" + special.group(0), value)


def any_of(values: Iterable[str]) -> str:
    """An RE2 pattern matching exactly one of ``values``, unanchored (Prometheus anchors it)."""
    return "|".join(regex_escape(value) for value in values)


@dataclass(frozen=True)
class Regex:
    """A label matcher by pattern (RE2; Prometheus anchors it at both ends) for :func:`selector`."""

    pattern: str


def selector(metric: str, **matchers: str | Regex) -> str:
    """``metric{label="value", other=~"pattern"}``, with every value quoted safely."""
    parts = [
        f"{name}=~{quote(matcher.pattern)}"
        if isinstance(matcher, Regex)
        else f"{name}={quote(matcher)}"
        for name, matcher in matchers.items()
    ]
    return f"{metric}{{{', '.join(parts)}}}"


def alert(
    name: str,
    expr: str,
    *,
    duration: str,
    severity: str,
    summary: str,
    description: str,
    runbook: str,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One alerting rule as PrometheusRule ``spec.groups[].rules[]`` and promtool read it.

    ``runbook`` is one line saying what to do; ``labels`` come before ``severity``, which
    every alert carries so that Alertmanager can route on it.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {**(labels or {}), "severity": severity},
        "annotations": {"summary": summary, "description": description, "runbook": runbook},
    }
