"""Compute settings every element's pods share: requests and limits, checked against each other."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, model_validator

from components.quantities import parse_quantity
from pipeline.config.base import ConfigModel, config_rule, matching

CpuQuantity = Annotated[
    str,
    AfterValidator(matching(r"(0|[1-9][0-9]*)(\.[0-9]+)?m?", "a CPU quantity such as 500m or 2")),
]
MemoryQuantity = Annotated[
    str,
    AfterValidator(
        matching(
            r"[1-9][0-9]*(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?",
            "a memory quantity such as 512Mi or 4Gi",
        )
    ),
]


class ResourceAmounts(ConfigModel):
    cpu: CpuQuantity
    memory: MemoryQuantity


class ResourcesConfig(ConfigModel):
    """A container's requests and limits, as in Kubernetes. Every element sets both: the
    namespace's defaults are only a floor for containers nobody sized."""

    requests: ResourceAmounts
    limits: ResourceAmounts

    @model_validator(mode="after")
    def _requests_within_limits(self) -> ResourcesConfig:
        for name in ("cpu", "memory"):
            request, limit = getattr(self.requests, name), getattr(self.limits, name)
            if parse_quantity(request) > parse_quantity(limit):
                raise config_rule(f"requests.{name} {request} is above limits.{name} {limit}")
        return self

    def as_kubernetes(self) -> dict[str, dict[str, Any]]:
        return {
            "requests": self.requests.model_dump(),
            "limits": self.limits.model_dump(),
        }


def resources(cpu: str, memory: str, cpu_limit: str | None = None) -> ResourcesConfig:
    """Defaults: memory requested as much as its limit (a JVM's heap and the page cache are not
    elastic), CPU allowed to burst to ``cpu_limit``."""
    return ResourcesConfig(
        requests=ResourceAmounts(cpu=cpu, memory=memory),
        limits=ResourceAmounts(cpu=cpu_limit or cpu, memory=memory),
    )
