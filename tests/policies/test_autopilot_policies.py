"""Autopilot policies, passing and failing, through the engine and through pulumi_policy."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.autopilot import (
    ClaimGrowthArgs,
    PoolGrowthArgs,
    claim_growth_spec,
    pool_growth_spec,
)
from policies.record import Resource
from tests.policies.helpers import messages, pulumi_messages

AUTOPILOT_RULE = "kubernetes:autopilot.libopenstorage.org/v1alpha1:AutopilotRule"
ES_CLAIMS = {"elasticsearch.k8s.elastic.co/cluster-name": "logs"}
CLAIMS = ClaimGrowthArgs(usage_percent=75, scale_percent=50, max_size="1Ti")


def rule(name: str, spec: dict[str, Any]) -> Resource:
    props = {
        "apiVersion": "autopilot.libopenstorage.org/v1alpha1",
        "kind": "AutopilotRule",
        "metadata": {"name": name},
        "spec": spec,
    }
    return Resource(AUTOPILOT_RULE, name, props, f"urn:ar:{name}")


def claim_rule(name: str = "px-prod-logs", **selector: Any) -> Resource:
    spec = claim_growth_spec(CLAIMS, "dp-logs", ES_CLAIMS)
    if selector:
        spec = {**copy.deepcopy(spec), "selector": selector}
    return rule(name, spec)


def pool_rule(enforcement: str | None = "approvalRequired") -> Resource:
    spec = pool_growth_spec(PoolGrowthArgs(70, 50, "4Ti"))
    if enforcement:
        spec["enforcement"] = enforcement
    return rule("px-prod-pools", spec)


BOTH = (messages, pulumi_messages)


@pytest.mark.parametrize("judge", BOTH)
def test_approval_required_where_the_stack_requires_it(judge):
    required = {"required": True}
    assert judge("autopilot-approval", [pool_rule()], required) == []
    assert judge("autopilot-approval", [pool_rule(None)], required) == [
        'AutopilotRule "px-prod-pools" has no enforcement; set enforcement: approvalRequired so '
        "that every expansion waits for an approved ActionApproval"
    ]
    assert judge("autopilot-approval", [pool_rule("required")], required) == [
        "AutopilotRule \"px-prod-pools\" has enforcement 'required'; set enforcement: "
        "approvalRequired so that every expansion waits for an approved ActionApproval"
    ]


@pytest.mark.parametrize("judge", BOTH)
def test_approval_is_not_required_by_default(judge):
    assert judge("autopilot-approval", [pool_rule(None)]) == []


@pytest.mark.parametrize("judge", BOTH)
def test_the_programs_claim_rule_and_a_pool_rule_pass(judge):
    resources = [claim_rule(), pool_rule(None)]
    assert judge("autopilot-claim-growth-targets", resources) == []


@pytest.mark.parametrize("judge", BOTH)
def test_a_claim_rule_selecting_strimzi_claims_fails(judge):
    grows_kafka = claim_rule(
        matchLabels={"strimzi.io/cluster": "events"},
        matchExpressions=[{"key": "strimzi.io/pool-name", "operator": "Exists"}],
    )
    assert judge("autopilot-claim-growth-targets", [grows_kafka]) == [
        'AutopilotRule "px-prod-logs" grows claims selected by strimzi.io/cluster, '
        "strimzi.io/pool-name: Strimzi patches a grown claim back to its node pool's size and "
        "its reconciliation fails; grow Kafka's storage through the node pool instead",
        'AutopilotRule "px-prod-logs" grows claims without excluding Strimzi\'s: add the '
        "selector expression {key: strimzi.io/cluster, operator: DoesNotExist}",
    ]


@pytest.mark.parametrize("judge", BOTH)
def test_a_claim_rule_selecting_every_claim_fails(judge):
    everything = claim_rule(
        matchExpressions=[{"key": "strimzi.io/cluster", "operator": "DoesNotExist"}]
    )
    assert judge("autopilot-claim-growth-targets", [everything]) == [
        'AutopilotRule "px-prod-logs" grows claims without selecting any by label, so every '
        "claim of the namespaces it selects; select the element's claims by label"
    ]


@pytest.mark.parametrize("judge", BOTH)
def test_a_claim_rule_without_the_strimzi_exclusion_fails(judge):
    assert judge("autopilot-claim-growth-targets", [claim_rule(matchLabels=ES_CLAIMS)]) == [
        'AutopilotRule "px-prod-logs" grows claims without excluding Strimzi\'s: add the '
        "selector expression {key: strimzi.io/cluster, operator: DoesNotExist}"
    ]
