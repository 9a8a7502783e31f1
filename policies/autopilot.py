"""AutopilotRule rules: actions that wait for approval where required, and claim growth that
never reaches a claim whose operator fights it (Strimzi patches a grown claim back and its
reconciliation fails)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.portworx import (
    AUTOPILOT_APPROVAL_REQUIRED,
    AUTOPILOT_VOLUME_RESIZE,
    STRIMZI_CLUSTER_LABEL,
)
from policies.engine import ReportResource
from policies.objects import describe
from policies.record import Kind, Resource

AUTOPILOT_RULE = Kind("autopilot.libopenstorage.org", "AutopilotRule")
APPROVAL_POLICY = "autopilot-approval"
CLAIM_GROWTH_POLICY = "autopilot-claim-growth-targets"
_STRIMZI_PREFIX = STRIMZI_CLUSTER_LABEL.split("/")[0] + "/"
_SELECTING = ("In", "Exists")


def check_approval(resource: Resource, settings: Mapping[str, Any], report: ReportResource) -> None:
    if not settings.get("required", False):
        return
    enforcement = resource.at("spec", "enforcement").text()
    if enforcement != AUTOPILOT_APPROVAL_REQUIRED:
        shown = f"enforcement {enforcement!r}" if enforcement else "no enforcement"
        report(
            f"{describe(resource)} has {shown}; set enforcement: {AUTOPILOT_APPROVAL_REQUIRED} so "
            "that every expansion waits for an approved ActionApproval"
        )


def check_claim_growth_targets(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    actions = resource.at("spec", "actions").items()
    if not any(action.at("name").text() == AUTOPILOT_VOLUME_RESIZE for action in actions):
        return  # pool expansion changes no claim
    selector = resource.at("spec", "selector")
    labels = selector.at("matchLabels").object() or {}
    expressions = [
        (expression.at("key").required_text(), expression.at("operator").required_text())
        for expression in selector.at("matchExpressions").items()
    ]
    selected = [*labels, *(key for key, operator in expressions if operator in _SELECTING)]
    if not selected:
        report(
            f"{describe(resource)} grows claims without selecting any by label, so every claim "
            "of the namespaces it selects; select the element's claims by label"
        )
    strimzi = sorted(key for key in selected if key.startswith(_STRIMZI_PREFIX))
    if strimzi:
        report(
            f"{describe(resource)} grows claims selected by {', '.join(strimzi)}: Strimzi "
            "patches a grown claim back to its node pool's size and its reconciliation fails; "
            "grow Kafka's storage through the node pool instead"
        )
    if (STRIMZI_CLUSTER_LABEL, "DoesNotExist") not in expressions:
        report(
            f"{describe(resource)} grows claims without excluding Strimzi's: add the "
            f"selector expression {{key: {STRIMZI_CLUSTER_LABEL}, operator: DoesNotExist}}"
        )
