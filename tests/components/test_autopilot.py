"""Autopilot under mocks: pool and claim rules from the settings, never a Strimzi claim grown."""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.autopilot import (
    Autopilot,
    AutopilotArgs,
    ClaimGrowthArgs,
    FixedClaims,
    GrowingClaims,
    PoolGrowthArgs,
    claim_growth_spec,
)
from components.monitoring import Monitoring
from pipeline.offline import ProgramRun, run_program
from tests.conftest import of_kind
from tests.schemas import validate_custom

ARGS = AutopilotArgs(
    name_prefix="px-prod",
    labels={"app.kubernetes.io/part-of": "data-pipeline"},
    approval_required=True,
    for_seconds=300,
    cool_down_seconds=3600,
    pools=PoolGrowthArgs(usage_percent=70, scale_percent=50, max_size="4Ti", scale_type="auto"),
    claims=ClaimGrowthArgs(usage_percent=75, scale_percent=50, max_size="1Ti"),
    growing=(
        GrowingClaims(
            "clicks-elasticsearch",
            "dp-clicks",
            {"elasticsearch.k8s.elastic.co/cluster-name": "clicks"},
        ),
    ),
    fixed=(FixedClaims("clicks", "dp-clicks", {"brokers-0a1b2c3d": "100Gi"}),),
    monitoring=Monitoring("monitoring", {"app.kubernetes.io/name": "prometheus"}, {"release": "p"}),
)


def run(args: AutopilotArgs = ARGS) -> ProgramRun:
    def program() -> None:
        provider = k8s.Provider("kubernetes")
        autopilot = Autopilot("autopilot", args, pulumi.ResourceOptions(providers=[provider]))
        pulumi.export("rules", autopilot.rules)

    return run_program(program, project="p", stack="prod", config={})


@pytest.fixture(scope="module")
def result() -> ProgramRun:
    return run()


def rules(result: ProgramRun) -> dict[str, dict]:
    return {r.props["metadata"]["name"]: r.props for r in of_kind(result, "AutopilotRule")}


def test_pools_grow_past_the_threshold_up_to_the_maximum_with_approval(result):
    rule = rules(result)["px-prod-pools"]
    assert "namespace" not in rule["metadata"]  # AutopilotRule is cluster-scoped
    assert rule["spec"] == {
        "conditions": {
            "expressions": [
                {
                    "key": "100 * (px_pool_stats_used_bytes / px_pool_stats_total_bytes)",
                    "operator": "Gt",
                    "values": ["70"],
                },
                {"key": "px_pool_stats_total_bytes", "operator": "Lt", "values": [str(4 * 2**40)]},
            ],
            "for": 300,
        },
        "actions": [
            {
                "name": "openstorage.io.action.storagepool/expand",
                "params": {"scalepercentage": "50", "scaletype": "auto"},
            }
        ],
        "enforcement": "approvalRequired",
        "actionsCoolDownPeriod": 3600,
    }


def test_elasticsearch_claims_grow_in_their_namespace_and_never_strimzis(result):
    rule = rules(result)["px-prod-clicks-elasticsearch"]
    assert rule["spec"]["selector"] == {
        "matchLabels": {"elasticsearch.k8s.elastic.co/cluster-name": "clicks"},
        "matchExpressions": [{"key": "strimzi.io/cluster", "operator": "DoesNotExist"}],
    }
    assert rule["spec"]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "dp-clicks"}
    }
    assert rule["spec"]["conditions"]["expressions"] == [
        {
            "key": "100 * (px_volume_usage_bytes / px_volume_capacity_bytes)",
            "operator": "Gt",
            "values": ["75"],
        }
    ]
    assert rule["spec"]["actions"] == [
        {
            "name": "openstorage.io.action.volume/resize",
            "params": {"scalepercentage": "50", "maxsize": "1Ti"},
        }
    ]
    assert rule["spec"]["enforcement"] == "approvalRequired"


def test_kafka_gets_no_claim_rule_but_the_claim_alert(result):
    assert set(rules(result)) == {"px-prod-pools", "px-prod-clicks-elasticsearch"}
    assert result.outputs["rules"] == ["px-prod-pools", "px-prod-clicks-elasticsearch"]
    (alerts,) = of_kind(result, "PrometheusRule")
    assert alerts.props["metadata"]["namespace"] == "dp-clicks"
    (group,) = alerts.props["spec"]["groups"]
    assert [rule["alert"] for rule in group["rules"]] == ["KafkaClaimLargerThanNodePool"]
    assert f"> {100 * 2**30}" in group["rules"][0]["expr"]


def test_without_approval_the_rules_act_on_their_own_and_without_monitoring_no_alert():
    result = run(dataclasses.replace(ARGS, approval_required=False, monitoring=None))
    assert all("enforcement" not in rule["spec"] for rule in rules(result).values())
    assert of_kind(result, "PrometheusRule") == []


def test_only_the_configured_kinds_of_rule_exist():
    pools_only = run(dataclasses.replace(ARGS, claims=None))
    assert set(rules(pools_only)) == {"px-prod-pools"}
    claims_only = run(dataclasses.replace(ARGS, pools=None))
    assert set(rules(claims_only)) == {"px-prod-clicks-elasticsearch"}


def test_every_object_uses_the_stack_provider(result):
    custom = [r for r in result.resources if r.custom and not r.type.startswith("pulumi:")]
    assert len(custom) == 3
    for resource in custom:
        assert resource.provider.endswith("::kubernetes::kubernetes-id"), resource.name


def test_every_rule_and_alert_validates_against_its_crd(result, crds_dir):
    for kind in ("AutopilotRule", "PrometheusRule"):
        for resource in of_kind(result, kind):
            api_version = resource.type.split(":")[1]
            validate_custom({"apiVersion": api_version, "kind": kind, **resource.props}, crds_dir)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({}, "a claim growth rule needs claim labels: an empty selector is every claim"),
        (
            {"strimzi.io/cluster": "clicks"},
            "Strimzi patches grown claims back: its claims are never grown",
        ),
    ],
)
def test_a_claim_rule_never_selects_every_claim_nor_strimzis(labels, message):
    with pytest.raises(ValueError, match=message):
        claim_growth_spec(ARGS.claims, "dp-clicks", labels)
