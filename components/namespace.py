"""A pipeline's own namespace: restricted pods, storage by role only, traffic kept inside."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pulumi
import pulumi_kubernetes as k8s

from components.labels import PIPELINE_LABEL

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
    storage_quotas: dict[str, str]
    """StorageClass name -> capacity this pipeline may claim from it."""
    catalog_classes: list[str]
    """Every class of the stack's catalog; those not in storage_quotas get a quota of zero."""
    labels: dict[str, str]
    retain_on_delete: bool
    """Keep the namespace, and so its volume claims, on ``pulumi destroy``."""


class PipelineNamespace(pulumi.ComponentResource):
    """The namespace of one pipeline and the guard rails every element in it runs under."""

    name: str

    def __init__(
        self, name: str, args: PipelineNamespaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:tenancy:PipelineNamespace", name, None, opts)
        self._name = name
        self._args = args
        self._labels = {**args.labels, PIPELINE_LABEL: args.pipeline}
        self.name = args.namespace

        namespace = self._create_namespace()
        # Everything else lives in the namespace, so it must exist first.
        self._in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        self._create_storage_quota()
        self._create_limit_range()
        self._create_network_policies()
        self.register_outputs({"namespace": self.name})

    def _metadata(self, name: str) -> dict:
        return {"name": name, "namespace": self.name, "labels": self._labels}

    def _create_namespace(self) -> k8s.core.v1.Namespace:
        pod_security = {
            f"pod-security.kubernetes.io/{mode}": POD_SECURITY_LEVEL
            for mode in ("enforce", "audit", "warn")
        }
        return k8s.core.v1.Namespace(
            self._name,
            metadata={
                "name": self.name,
                "labels": {
                    **self._labels,
                    **pod_security,
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=self._args.retain_on_delete),
        )

    def _create_storage_quota(self) -> None:
        # Claims on a catalog class the pipeline did not ask for get a quota of zero; the total
        # caps claims on any other class too (the policy pack rejects those outright).
        hard = {
            f"{class_name}.storageclass.storage.k8s.io/requests.storage": (
                self._args.storage_quotas.get(class_name, "0")
            )
            for class_name in self._args.catalog_classes
        }
        hard["requests.storage"] = format_bytes(
            sum(quantity_bytes(q) for q in self._args.storage_quotas.values())
        )
        k8s.core.v1.ResourceQuota(
            f"{self._name}-storage",
            metadata=self._metadata("storage-by-role"),
            spec={"hard": hard},
            opts=self._in_namespace,
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
            opts=self._in_namespace,
        )

    def _create_network_policies(self) -> None:
        every_pod: dict = {}
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-default-deny",
            metadata=self._metadata("default-deny"),
            spec={"podSelector": every_pod, "policyTypes": ["Ingress", "Egress"]},
            opts=self._in_namespace,
        )
        same_namespace = [{"podSelector": every_pod}]
        cluster_dns = {
            "to": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                    },
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        }
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-internal",
            metadata=self._metadata("allow-pipeline-internal"),
            spec={
                "podSelector": every_pod,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": same_namespace}],
                "egress": [{"to": same_namespace}, cluster_dns],
            },
            opts=self._in_namespace,
        )


_QUANTITY = re.compile(r"(?P<number>[0-9.]+)(?P<suffix>[KMGTPE]i|[kMGTPE])?")
_FACTORS = {
    None: 1,
    **{f"{s}i": 1024 ** (i + 1) for i, s in enumerate("KMGTPE")},
    **{s: 1000 ** (i + 1) for i, s in enumerate("kMGTPE")},
}


def quantity_bytes(quantity: str) -> int:
    """Bytes of a Kubernetes quantity such as ``100Gi`` (validated by the config already)."""
    match = _QUANTITY.fullmatch(quantity)
    if match is None:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    return int(Decimal(match["number"]) * _FACTORS[match["suffix"]])


def format_bytes(count: int) -> str:
    """The largest binary unit that states ``count`` exactly (``300Gi``, else bytes)."""
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        factor = _FACTORS[suffix]
        if count and count % factor == 0:
            return f"{count // factor}{suffix}"
    return str(count)
