"""A pipeline's own namespace: restricted pods, storage by role only, traffic kept inside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.labels import PIPELINE_LABEL
from components.network import NAMESPACE_NAME_LABEL
from components.quantities import format_bytes, quantity_bytes

# The Pod Security Standard every pipeline namespace enforces.
POD_SECURITY_LEVEL = "restricted"
# Defaults for containers that set no requests or limits of their own; elements set real ones.
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "128Mi"}
DEFAULT_LIMITS = {"cpu": "500m", "memory": "512Mi"}


@dataclass(frozen=True)
class PipelineNamespaceArgs:
    """Inputs of :class:`PipelineNamespace`."""

    pipeline: str
    """The pipeline's name (from the stack config)."""
    namespace: str
    """The Kubernetes namespace to create."""
    storage_quotas: Sequence[tuple[pulumi.Input[str], str]]
    """(StorageClass name, capacity this pipeline may claim from it)."""
    catalog_classes: Sequence[pulumi.Input[str]]
    """Every class of the stack's catalog; those not in storage_quotas get a quota of zero."""
    labels: dict[str, str]
    retain_on_delete: bool
    """Keep the namespace, its claims and its guard rails on ``pulumi destroy``."""


class PipelineNamespace(pulumi.ComponentResource):
    """The namespace of one pipeline and the guard rails every element in it runs under.

    Pods may use DNS and nothing else until their element declares its flows
    (``components.network``).
    """

    name: pulumi.Output[str]
    """The namespace's name, from the Namespace itself: users of it wait for it to exist."""
    labels: dict[str, str]
    """The stack's labels plus the pipeline's: every object of the pipeline carries them."""

    def __init__(
        self, name: str, args: PipelineNamespaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:tenancy:PipelineNamespace", name, None, opts)
        self._name = name
        self._args = args
        self.labels = {**args.labels, PIPELINE_LABEL: args.pipeline}

        namespace = self._create_namespace()
        self.name = namespace.metadata.name
        # The guard rails stay as long as the namespace does: a retained namespace without its
        # quota, limits and default-deny would be wide open to whatever is deployed there next.
        self._guard_rail = pulumi.ResourceOptions(
            parent=self, retain_on_delete=args.retain_on_delete
        )
        self._create_storage_quota()
        self._create_limit_range()
        self._create_network_policies()
        self.register_outputs({"namespace": self.name})

    def _metadata(self, name: str) -> dict:
        return {"name": name, "namespace": self.name, "labels": self.labels}

    def _create_namespace(self) -> k8s.core.v1.Namespace:
        pod_security = {
            f"pod-security.kubernetes.io/{mode}": POD_SECURITY_LEVEL
            for mode in ("enforce", "audit", "warn")
        }
        return k8s.core.v1.Namespace(
            self._name,
            metadata={
                "name": self._args.namespace,
                "labels": {
                    **self.labels,
                    **pod_security,
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
            # Deleting a namespace deletes every claim in it: kept unless the stack says otherwise.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=self._args.retain_on_delete),
        )

    def _create_storage_quota(self) -> None:
        # Claims on a catalog class the pipeline did not ask for get a quota of zero; the total
        # caps claims on any other class too (the policy pack rejects those outright).
        quotas = self._args.storage_quotas
        total = format_bytes(sum(quantity_bytes(quantity) for _, quantity in quotas))
        hard = pulumi.Output.all(
            granted=pulumi.Output.all(*(class_name for class_name, _ in quotas)),
            catalog=pulumi.Output.all(*self._args.catalog_classes),
        ).apply(
            lambda names: {
                **{
                    f"{class_name}.storageclass.storage.k8s.io/requests.storage": "0"
                    for class_name in names["catalog"]
                },
                **{
                    f"{class_name}.storageclass.storage.k8s.io/requests.storage": quantity
                    for class_name, (_, quantity) in zip(names["granted"], quotas, strict=True)
                },
                "requests.storage": total,
            }
        )
        k8s.core.v1.ResourceQuota(
            f"{self._name}-storage",
            metadata=self._metadata("storage-by-role"),
            spec={"hard": hard},
            opts=self._guard_rail,
        )

    def _create_limit_range(self) -> None:
        k8s.core.v1.LimitRange(
            f"{self._name}-defaults",
            metadata=self._metadata("container-defaults"),
            spec={
                "limits": [
                    {
                        "type": "Container",
                        "defaultRequest": DEFAULT_REQUESTS,
                        "default": DEFAULT_LIMITS,
                    }
                ]
            },
            opts=self._guard_rail,
        )

    def _create_network_policies(self) -> None:
        every_pod: dict = {}
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-default-deny",
            metadata=self._metadata("default-deny"),
            spec={"podSelector": every_pod, "policyTypes": ["Ingress", "Egress"]},
            opts=self._guard_rail,
        )
        cluster_dns = {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        }
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-dns",
            metadata=self._metadata("allow-dns"),
            spec={"podSelector": every_pod, "policyTypes": ["Egress"], "egress": [cluster_dns]},
            opts=self._guard_rail,
        )
