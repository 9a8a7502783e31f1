"""The ``autopilot`` section: Portworx Autopilot rules that grow storage before it fills.

Optional: a stack without it creates no AutopilotRule. Storage pools may grow under every
operator's volumes; claims grow only where the element's operator tolerates a claim larger than
its own spec (Elasticsearch under ECK). Kafka's claims never do: Strimzi patches a grown claim
back to its node pool's size, the API server refuses the shrink and the cluster's
reconciliation fails. Kafka gets the pools' growth and an alert instead.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, model_validator

from components.portworx import AUTOPILOT_SCALE_TYPES
from pipeline.config.base import ConfigModel, Quantity, between, config_rule

Percent = Annotated[int, AfterValidator(between(1, 99))]
GrowthPercent = Annotated[int, AfterValidator(between(1, 100))]
Seconds = Annotated[int, AfterValidator(between(0, 86_400))]


class PoolGrowthConfig(ConfigModel):
    """Expand each Portworx storage pool whose usage passes a threshold (cloud drives only)."""

    usage_percent: Percent = 70
    """Expand a pool once this much of it is used."""
    scale_percent: GrowthPercent = 50
    """Each expansion adds this share of the pool's size."""
    max_size: Quantity = "4Ti"
    """No expansion once a pool is this large: beyond it, add nodes."""
    scale_type: Literal[AUTOPILOT_SCALE_TYPES] | None = None
    """How a pool grows (Portworx's ``scaletype``); unset lets Portworx choose."""


class ClaimGrowthConfig(ConfigModel):
    """Grow each claim of an element whose operator tolerates it (Elasticsearch) when it fills."""

    usage_percent: Percent = 75
    """Grow a claim once this much of it is used: below Elasticsearch's 85% low watermark, at
    which it stops placing shards on the node."""
    scale_percent: GrowthPercent = 50
    """Each growth adds this share of the claim's size."""
    max_size: Quantity = "1Ti"
    """Never grow a claim beyond this size (Autopilot declines the action)."""


class AutopilotConfig(ConfigModel):
    """AutopilotRules for the stack's storage."""

    approval_required: bool = True
    """Every action waits for an approved ActionApproval (``enforcement: approvalRequired``);
    prod keeps it so."""
    pools: PoolGrowthConfig | None = None
    """Unset: no pool expansion rule."""
    claims: ClaimGrowthConfig | None = None
    """Unset: no claim growth rule."""
    for_seconds: Seconds = 300
    """How long a condition must hold before the rule triggers."""
    cool_down_seconds: Seconds = 3600
    """After an action, how long the rule waits before it may trigger again: a grown volume's
    filesystem and a grown pool need time to settle and show their new usage."""

    @model_validator(mode="after")
    def _something_to_grow(self) -> AutopilotConfig:
        if self.pools is None and self.claims is None:
            raise config_rule("set pools, claims or both: otherwise there is nothing to grow")
        return self
