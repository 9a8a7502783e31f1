"""Pod hardening every element of the pipeline shares: Kafka now; Elasticsearch, Connect, Spark
and TensorFlow later.

Pipeline namespaces enforce the "restricted" Pod Security Standard, so every pod an operator
creates for us must carry these contexts or the API server refuses it. Operators put the fields
in different places (a Strimzi ``template``, an ECK ``podTemplate``, Spark's driver/executor);
these functions give the values, each element puts them where its operator reads them.

Plain Python on purpose: no Pulumi import, so the bodies built from these values can be tested
and validated against Kubernetes' schemas without a runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.quantities import parse_quantity

# Portworx's scheduler extender: places pods on nodes that hold a replica of their volume.
STORK_SCHEDULER = "stork"
ZONE_TOPOLOGY_KEY = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class Resources:
    """A container's requests and limits, checked when built.

    Kubernetes rejects a pod whose request exceeds its limit for the same resource, but only
    at apply time and with the pod's generated name; checking here names the element instead.
    """

    requests: Mapping[str, str] = field(default_factory=dict)
    limits: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        requests = {name: parse_quantity(q) for name, q in self.requests.items()}
        limits = {name: parse_quantity(q) for name, q in self.limits.items()}
        for name in sorted(requests.keys() & limits.keys()):
            if requests[name] > limits[name]:
                raise ValueError(
                    f"{name} request {self.requests[name]} is above its limit {self.limits[name]}"
                )

    def to_dict(self) -> dict[str, dict[str, str]]:
        """The ``resources`` block of a container (empty parts left out)."""
        block = {"requests": dict(self.requests), "limits": dict(self.limits)}
        return {part: values for part, values in block.items() if values}


def restricted_pod_security_context(fs_group: int | None = None) -> dict[str, Any]:
    """A pod ``securityContext`` that the "restricted" Pod Security Standard admits.

    ``fs_group`` makes mounted volumes writable by the image's group. Operators that set one
    themselves (Strimzi sets 0 on brokers with persistent storage) drop it when the user supplies
    a pod context, so a caller replacing such a default must pass it on.
    """
    context: dict[str, Any] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if fs_group is not None:
        context["fsGroup"] = fs_group
    return context


def restricted_container_security_context() -> dict[str, Any]:
    """A container ``securityContext`` that the "restricted" Pod Security Standard admits.

    The seccomp profile is repeated from the pod level so that the container stays admissible
    where an operator builds the pod context itself (Spark's webhook, ECK's defaults).
    """
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def zone_spread(
    match_labels: Mapping[str, Any],
    topology_key: str = ZONE_TOPOLOGY_KEY,
    *,
    strict: bool = True,
) -> list[dict[str, Any]]:
    """``topologySpreadConstraints`` that keep the pods matching ``match_labels`` across zones.

    With ``strict`` the scheduler leaves a pod pending rather than put two replicas of a
    self-replicating store in one zone; it also ignores nodes without the ``topology_key``
    label, so clusters whose nodes carry no zone label (kind, single-node dev) need
    ``strict=False`` (ScheduleAnyway: spread when possible).
    """
    return [
        {
            "maxSkew": 1,
            "topologyKey": topology_key,
            "whenUnsatisfiable": "DoNotSchedule" if strict else "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(match_labels)},
        }
    ]
