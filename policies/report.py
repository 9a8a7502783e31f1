"""The report shared by the offline check and the standalone evaluator: text or JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from policies.capacity import CapacityPlan
from policies.engine import Evaluation, ResolvedPolicy, Violation
from policies.record import Resource

STACK_SCOPE = "(stack)"


def exit_code(violations: Sequence[Violation]) -> int:
    """0 when nothing blocks a deployment, 1 when a mandatory policy failed."""
    return 1 if any(v.blocking for v in violations) else 0


def print_report(
    stack: str,
    resources: Sequence[Resource],
    evaluation: Evaluation,
    policies: Sequence[ResolvedPolicy],
    as_json: bool,
    outputs: Mapping[str, Any] | None = None,
    capacity: CapacityPlan | None = None,
) -> int:
    """Print the report as text or JSON; return the exit code it stands for."""
    if as_json:
        print(render_json(stack, resources, evaluation, capacity))
    else:
        enabled = sum(p.level != "disabled" for p in policies)
        print(render_text(stack, resources, evaluation, enabled, outputs, capacity))
    return exit_code(evaluation.violations)


def render_json(
    stack: str,
    resources: Sequence[Resource],
    evaluation: Evaluation,
    capacity: CapacityPlan | None = None,
) -> str:
    document = {
        "stack": stack,
        "resources": [
            {"type": r.type, "name": r.name, "component": r.component, "urn": r.urn}
            for r in resources
        ],
        "violations": [
            {
                "policy": v.policy,
                "level": v.level,
                "resource": v.resource.name,
                "message": v.message,
                "type": v.resource.type,
                "urn": v.resource.urn,
            }
            for v in _by_severity(evaluation.violations)
        ],
        "skipped": [
            {"policy": s.policy, "reason": s.reason, "urn": s.urn} for s in evaluation.skipped
        ],
    }
    if capacity is not None:
        document["capacity"] = capacity.as_json()
    return json.dumps(document, indent=2)


def render_text(
    stack: str,
    resources: Sequence[Resource],
    evaluation: Evaluation,
    policies_run: int,
    outputs: Mapping[str, Any] | None = None,
    capacity: CapacityPlan | None = None,
) -> str:
    lines = [f"Stack {stack}: {len(resources)} resources"]
    by_component: dict[str, Counter[str]] = {}
    for resource in resources:
        by_component.setdefault(resource.component or STACK_SCOPE, Counter())[resource.type] += 1
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

    if capacity is not None:
        lines.append("")
        lines.extend(capacity.as_text())

    violations = evaluation.violations
    blocking = sum(v.blocking for v in violations)
    advisory = len(violations) - blocking
    lines.append("")
    lines.append(
        f"Policies: {policies_run} enabled, {blocking} mandatory and {advisory} advisory violations"
        + _skipped_count(len(evaluation.skipped))
    )
    for violation in _by_severity(violations):
        level = violation.level.upper() if violation.blocking else violation.level
        lines.append(
            f"  [{level}] {violation.policy} on {violation.resource.label}: {violation.message}"
        )
    for skip in evaluation.skipped:
        lines.append(f"  [skipped] {skip.policy}: {skip.reason}")
    lines.append("")
    lines.append("Result: FAILED (a mandatory policy failed)" if blocking else "Result: passed")
    return "\n".join(lines)


def _skipped_count(skipped: int) -> str:
    if not skipped:
        return ""
    return f", {skipped} check{'s' if skipped > 1 else ''} skipped"


def _by_severity(violations: Sequence[Violation]) -> list[Violation]:
    return sorted(
        violations,
        key=lambda v: (
            not v.blocking,
            v.policy,
            v.resource.type,
            v.resource.name,
            v.resource.urn or "",
            v.message,
        ),
    )
