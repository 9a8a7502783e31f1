"""Network flows: what an element declares it needs, rendered as NetworkPolicies it owns.

Every pipeline namespace denies all traffic but DNS (see ``PipelineNamespace``). An element opens
exactly the flows it needs, each with a reason: from the same pipeline's stages, from an operator's
or Prometheus's namespace, to the Kubernetes API, on named ports. NetworkPolicies are additive,
so one policy per element keeps what each element opened readable and removable with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

# Set by Kubernetes on every namespace (1.21+): selects a namespace by its name.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Peer:
    """The other end of a flow: pods of the element's own namespace, pods of another namespace,
    or addresses outside the cluster's pod network."""

    pods: Mapping[str, str] | None = None
    """Labels of the pods; None: every pod (of the namespace named, or of the element's own)."""
    namespace: str | None = None
    """Name of another namespace; None: the element's own namespace."""
    cidrs: tuple[str, ...] = ()
    """Address blocks (e.g. the API server's); when set, ``pods`` and ``namespace`` are unused."""

    def as_rule(self) -> list[dict[str, Any]]:
        """The NetworkPolicyPeer entries of this peer."""
        if self.cidrs:
            return [{"ipBlock": {"cidr": cidr}} for cidr in self.cidrs]
        peer: dict[str, Any] = {"podSelector": {"matchLabels": dict(self.pods or {})}}
        if self.namespace is not None:
            peer["namespaceSelector"] = {"matchLabels": {NAMESPACE_NAME_LABEL: self.namespace}}
        return [peer]


@dataclass(frozen=True)
class Flow:
    """Traffic with some peers on some ports, and why the element needs it."""

    reason: str
    peers: tuple[Peer, ...]
    ports: tuple[int, ...] = ()
    """TCP ports on the receiving side; empty: every port."""

    def as_rule(self, direction: str) -> dict[str, Any]:
        rule: dict[str, Any] = {
            direction: [entry for peer in self.peers for entry in peer.as_rule()]
        }
        if self.ports:
            rule["ports"] = [{"protocol": "TCP", "port": port} for port in self.ports]
        return rule


@dataclass(frozen=True)
class ElementFlows:
    """Everything an element's pods may send and receive beyond DNS."""

    pods: Mapping[str, str]
    """Labels that select the element's pods."""
    ingress: tuple[Flow, ...] = ()
    egress: tuple[Flow, ...] = ()

    def policy_spec(self) -> dict[str, Any]:
        types = [
            name for name, flows in (("Ingress", self.ingress), ("Egress", self.egress)) if flows
        ]
        spec: dict[str, Any] = {
            "podSelector": {"matchLabels": dict(self.pods)},
            "policyTypes": types,
        }
        if self.ingress:
            spec["ingress"] = [flow.as_rule("from") for flow in self.ingress]
        if self.egress:
            spec["egress"] = [flow.as_rule("to") for flow in self.egress]
        return spec


def kubernetes_api_flow(cidrs: tuple[str, ...], ports: tuple[int, ...]) -> Flow:
    """Egress to the Kubernetes API server (its endpoints, after the Service is resolved)."""
    return Flow("reach the Kubernetes API", (Peer(cidrs=cidrs),), ports)


def create_flow_policy(
    resource_name: str,
    *,
    element: str,
    namespace: pulumi.Input[str],
    labels: Mapping[str, str],
    flows: ElementFlows,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """The NetworkPolicy ``allow-<element>`` that opens ``flows`` and nothing else.

    Each flow's reason is kept in an annotation, so ``kubectl describe`` says why a port is open.
    """
    reasons = {
        f"data-pipeline.io/{direction}-{index}": flow.reason
        for direction, direction_flows in (("ingress", flows.ingress), ("egress", flows.egress))
        for index, flow in enumerate(direction_flows)
    }
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata={
            "name": f"allow-{element}",
            "namespace": namespace,
            "labels": dict(labels),
            "annotations": reasons,
        },
        spec=flows.policy_spec(),
        opts=opts,
    )
