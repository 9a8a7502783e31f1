"""Portworx Autopilot: storage that grows before it fills, only where growing is safe.

- Storage pools: one rule expands every Portworx pool whose usage passes a threshold, up to a
  maximum size. Safe under every operator: no claim changes size.
- Claims: a rule per element whose operator tolerates a claim larger than its own spec grows
  that element's claims (Elasticsearch: ECK only ever increases a claim, and leaves a larger
  one alone). Kafka's claims are never grown: Strimzi patches a grown claim back to its node
  pool's size and its reconciliation fails. Kafka gets the pools' growth and an alert on a
  claim larger than its node pool (components/alerting/capacity.py) instead.

Rules are cluster-scoped (Autopilot's AutopilotRule has no namespace): names carry the stack's
prefix, claim rules select their element's namespace by name and its claims by label, and every
claim rule excludes claims that carry Strimzi's cluster label, whatever else it selects.

Conditions use the metrics Portworx exports to Prometheus (its metrics reference), through the
provider set in the StorageCluster's ``spec.autopilot.providers`` (README).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.alerting.capacity import kafka_claim_alert_groups
from components.k8s import CustomObject
from components.monitoring import Monitoring
from components.network import NAMESPACE_NAME_LABEL
from components.portworx import (
    AUTOPILOT_API,
    AUTOPILOT_APPROVAL_REQUIRED,
    AUTOPILOT_POOL_EXPAND,
    AUTOPILOT_SCALE_TYPES,
    AUTOPILOT_VOLUME_RESIZE,
    STRIMZI_CLUSTER_LABEL,
)
from components.quantities import quantity_bytes

KIND = "AutopilotRule"

# Conditions, as Portworx's own Autopilot examples write them (autopilot research, section 4).
POOL_USAGE_PERCENT = "100 * (px_pool_stats_used_bytes / px_pool_stats_total_bytes)"
POOL_SIZE_BYTES = "px_pool_stats_total_bytes"
VOLUME_USAGE_PERCENT = "100 * (px_volume_usage_bytes / px_volume_capacity_bytes)"


@dataclass(frozen=True)
class PoolGrowthArgs:
    usage_percent: int
    """Expand a pool once this much of it is used."""
    scale_percent: int
    """Each expansion adds this share of the pool's size."""
    max_size: str
    """A quantity: no expansion of a pool this large."""
    scale_type: str | None = None
    """One of AUTOPILOT_SCALE_TYPES; None lets Portworx choose."""


@dataclass(frozen=True)
class ClaimGrowthArgs:
    usage_percent: int
    """Grow a claim once this much of it is used."""
    scale_percent: int
    """Each growth adds this share of the claim's size."""
    max_size: str
    """A quantity: Autopilot declines to grow a claim beyond it."""


@dataclass(frozen=True)
class GrowingClaims:
    """The claims of one element whose operator tolerates their growth."""

    element: str
    """Part of the rule's name, e.g. ``clicks-elasticsearch``."""
    namespace: pulumi.Input[str]
    labels: Mapping[str, str]
    """Labels every claim of the element carries (``ElasticsearchCluster.claim_labels``)."""


@dataclass(frozen=True)
class FixedClaims:
    """The claims of a Kafka cluster: never grown, watched against their node pools' size."""

    cluster: str
    namespace: pulumi.Input[str]
    pool_sizes: Mapping[str, str]
    """Node pool -> its volumes' size (``KafkaCluster.claim_sizes``)."""


@dataclass(frozen=True)
class AutopilotArgs:
    """Inputs of :class:`Autopilot`."""

    name_prefix: str
    """Prefix of the rules' cluster-scoped names; keeps stacks that share a cluster apart."""
    labels: dict[str, str]
    approval_required: bool
    """Every action waits for an approved ActionApproval."""
    for_seconds: int
    """How long a condition must hold before the rule triggers."""
    cool_down_seconds: int
    """How long a rule rests after its actions ran."""
    pools: PoolGrowthArgs | None
    claims: ClaimGrowthArgs | None
    growing: Sequence[GrowingClaims] = ()
    """Elements whose claims grow (when ``claims`` is set)."""
    fixed: Sequence[FixedClaims] = ()
    """Kafka clusters: alerted on, never grown."""
    monitoring: Monitoring | None = None
    """None: no alerts (monitoring disabled for the stack)."""
    ready: Sequence[pulumi.Resource] = ()
    """What the rules wait for: Autopilot registers its CRD itself when it starts."""

    def __post_init__(self) -> None:
        if self.pools and self.pools.scale_type not in (None, *AUTOPILOT_SCALE_TYPES):
            raise ValueError(f"scale_type must be one of {', '.join(AUTOPILOT_SCALE_TYPES)}")
        for growth in (self.pools, self.claims):
            if growth and not (0 < growth.usage_percent < 100 and growth.scale_percent > 0):
                raise ValueError("usage_percent must be 1..99 and scale_percent positive")


class Autopilot(pulumi.ComponentResource):
    """The stack's AutopilotRules, and the Kafka claims' alert."""

    rules: list[str]
    """Names of the AutopilotRules."""

    def __init__(
        self, name: str, args: AutopilotArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:capacity:Autopilot", name, None, opts)
        self._name = name
        self._args = args
        self.rules = []
        if args.pools is not None:
            self._create_rule("pools", pool_growth_spec(args.pools))
        if args.claims is not None:
            for element in args.growing:
                spec = claim_growth_spec(args.claims, element.namespace, element.labels)
                self._create_rule(element.element, spec)
        if args.monitoring is not None:
            for kafka in args.fixed:
                self._create_kafka_alerts(args.monitoring, kafka)
        self.register_outputs({"rules": self.rules})

    def _create_rule(self, part: str, spec: dict[str, Any]) -> None:
        args = self._args
        name = f"{args.name_prefix}-{part}"
        enforcement = {"enforcement": AUTOPILOT_APPROVAL_REQUIRED} if args.approval_required else {}
        CustomObject(
            f"{self._name}-{part}",
            AUTOPILOT_API,
            KIND,
            {
                "metadata": {"name": name, "labels": dict(args.labels)},
                "spec": {
                    **spec,
                    **enforcement,
                    "conditions": {**spec["conditions"], "for": args.for_seconds},
                    "actionsCoolDownPeriod": args.cool_down_seconds,
                },
            },
            pulumi.ResourceOptions(parent=self, depends_on=list(args.ready)),
        )
        self.rules.append(name)

    def _create_kafka_alerts(self, monitoring: Monitoring, kafka: FixedClaims) -> None:
        sizes = {pool: quantity_bytes(size) for pool, size in kafka.pool_sizes.items()}
        monitoring.create_alert_rules(
            f"{self._name}-{kafka.cluster}-kafka-claims",
            name=f"{kafka.cluster}-kafka-claims",
            namespace=kafka.namespace,
            labels=self._args.labels,
            groups=pulumi.Output.from_input(kafka.namespace).apply(
                lambda namespace: kafka_claim_alert_groups(namespace, kafka.cluster, sizes)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )


def pool_growth_spec(pools: PoolGrowthArgs) -> dict[str, Any]:
    """A rule's ``spec`` expanding every pool fuller than the threshold, below the maximum."""
    params = {"scalepercentage": str(pools.scale_percent)}
    if pools.scale_type:
        params["scaletype"] = pools.scale_type
    return {
        "conditions": {
            "expressions": [
                _expression(POOL_USAGE_PERCENT, "Gt", pools.usage_percent),
                _expression(POOL_SIZE_BYTES, "Lt", quantity_bytes(pools.max_size)),
            ]
        },
        "actions": [{"name": AUTOPILOT_POOL_EXPAND, "params": params}],
    }


def claim_growth_spec(
    claims: ClaimGrowthArgs, namespace: pulumi.Input[str], labels: Mapping[str, str]
) -> dict[str, Any]:
    """A rule's ``spec`` growing the claims with ``labels`` in ``namespace`` (never Strimzi's)."""
    if not labels:
        raise ValueError("a claim growth rule needs claim labels: an empty selector is every claim")
    if STRIMZI_CLUSTER_LABEL in labels:
        raise ValueError("Strimzi patches grown claims back: its claims are never grown")
    return {
        "selector": {
            "matchLabels": dict(labels),
            "matchExpressions": [{"key": STRIMZI_CLUSTER_LABEL, "operator": "DoesNotExist"}],
        },
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}},
        "conditions": {
            "expressions": [_expression(VOLUME_USAGE_PERCENT, "Gt", claims.usage_percent)]
        },
        "actions": [
            {
                "name": AUTOPILOT_VOLUME_RESIZE,
                "params": {
                    "scalepercentage": str(claims.scale_percent),
                    "maxsize": claims.max_size,
                },
            }
        ],
    }


def _expression(key: str, operator: str, value: int) -> dict[str, Any]:
    # Autopilot reads every value as a string.
    return {"key": key, "operator": operator, "values": [str(value)]}
