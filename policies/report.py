"""The report shared by the offline check and the standalone evaluator: text or JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.engine import ResolvedPolicy, Violation

STACK_SCOPE = "(stack)"


@dataclass(frozen=True)
class ResourceRow:
    type: str
    name: str
    component: str | None
    """Logical name of the nearest enclosing component; None at the top of the stack."""


def exit_code(violations: Sequence[Violation]) -> int:
    """0 when nothing blocks a deployment, 1 when a mandatory policy failed."""
    return 1 if any(v.blocking for v in violations) else 0


def print_report(
    stack: str,
    rows: Sequence[ResourceRow],
    violations: Sequence[Violation],
    policies: Sequence[ResolvedPolicy],
    as_json: bool,
    outputs: Mapping[str, Any] | None = None,
) -> int:
    """Print the report as text or JSON; return the exit code it stands for."""
    if as_json:
        print(render_json(stack, rows, violations))
    else:
        enabled = sum(p.level != "disabled" for p in policies)
        print(render_text(stack, rows, violations, enabled, outputs))
    return exit_code(violations)


def render_json(stack: str, rows: Sequence[ResourceRow], violations: Sequence[Violation]) -> str:
    document = {
        "stack": stack,
        "resources": [{"type": r.type, "name": r.name, "component": r.component} for r in rows],
        "violations": [
            {"policy": v.policy, "level": v.level, "resource": v.resource, "message": v.message}
            for v in _by_severity(violations)
        ],
    }
    return json.dumps(document, indent=2)


def render_text(
    stack: str,
    rows: Sequence[ResourceRow],
    violations: Sequence[Violation],
    policies_run: int,
    outputs: Mapping[str, Any] | None = None,
) -> str:
    lines = [f"Stack {stack}: {len(rows)} resources"]
    by_component: dict[str, Counter[str]] = {}
    for row in rows:
        by_component.setdefault(row.component or STACK_SCOPE, Counter())[row.type] += 1
    width = max((len(t) for counts in by_component.values() for t in counts), default=0)
    for component in sorted(by_component, key=lambda c: (c != STACK_SCOPE, c)):
        lines.append(f"  {component}")
        for resource_type, count in sorted(by_component[component].items()):
            lines.append(f"    {resource_type:<{width}}  {count:>3}")

    if outputs:
        lines.append("")
        lines.append("Outputs")
        for key, value in sorted(outputs.items()):
            lines.append(f"  {key}: {json.dumps(value, sort_keys=True)}")

    blocking = sum(v.blocking for v in violations)
    advisory = len(violations) - blocking
    lines.append("")
    lines.append(
        f"Policies: {policies_run} enabled, {blocking} mandatory and {advisory} advisory violations"
    )
    for violation in _by_severity(violations):
        level = violation.level.upper() if violation.blocking else violation.level
        lines.append(f"  [{level}] {violation.policy} on {violation.resource}: {violation.message}")
    lines.append("")
    lines.append("Result: FAILED (a mandatory policy failed)" if blocking else "Result: passed")
    return "\n".join(lines)


def _by_severity(violations: Sequence[Violation]) -> list[Violation]:
    return sorted(violations, key=lambda v: (not v.blocking, v.policy, v.resource, v.message))
