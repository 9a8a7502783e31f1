"""One pipeline: its namespace and, element by element, the systems that run in it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.namespace import PipelineNamespace, PipelineNamespaceArgs
from components.network import Flow, kubernetes_api_flow
from components.storage import ProvisionedClass


@dataclass(frozen=True)
class PipelineArgs:
    """Inputs of :class:`Pipeline`."""

    namespace: str
    """The pipeline's Kubernetes namespace."""
    storage_quotas: Mapping[str, str]
    """Storage role -> capacity the pipeline may claim from that role's class."""
    catalog: Mapping[str, ProvisionedClass]
    """The stack's StorageClasses by role (``PortworxStorage.classes``)."""
    labels: dict[str, str]
    """The stack's labels."""
    retain_on_delete: bool
    """Keep the namespace, its claims and its guard rails on ``pulumi destroy``."""
    api_server_cidrs: tuple[str, ...]
    """Where the Kubernetes API server's endpoints are, for elements that talk to it."""
    api_server_ports: tuple[int, ...]


class Pipeline(pulumi.ComponentResource):
    """A pipeline of the stack: a namespace of its own with its guard rails, and its elements."""

    namespace: PipelineNamespace
    kubernetes_api: Flow
    """The egress flow an element declares when its pods talk to the Kubernetes API."""

    def __init__(
        self, name: str, args: PipelineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:pipeline:Pipeline", name, None, opts)
        self.kubernetes_api = kubernetes_api_flow(args.api_server_cidrs, args.api_server_ports)
        self.namespace = PipelineNamespace(
            name,
            PipelineNamespaceArgs(
                pipeline=name,
                namespace=args.namespace,
                storage_quotas=[
                    (args.catalog[role].name, quota) for role, quota in args.storage_quotas.items()
                ],
                catalog_classes=[c.name for c in args.catalog.values()],
                labels=args.labels,
                retain_on_delete=args.retain_on_delete,
            ),
            pulumi.ResourceOptions(
                parent=self,
                # The namespace was a child of the stack before pipelines had a component: the
                # alias keeps its (and its children's) URNs, so no live object is replaced.
                aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)],
            ),
        )
        self.register_outputs({"namespace": self.namespace.name})

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        """What the stack exports of this pipeline."""
        return {"namespace": self.namespace.name}
