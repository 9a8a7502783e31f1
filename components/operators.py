"""Operators, installed by this stack with Helm or found preinstalled, and waited for.

Either way an :class:`Operator` hands its elements ``ready``: what their custom resources depend
on, so that a first ``pulumi up`` never fails with "no matches for kind" (pulumi-kubernetes
#1260): the Helm chart when installed, the operator's CRD, read from the cluster, when not.

Helm resource: ``helm.v4.Chart``. It renders the chart like ``helm template`` and registers every
object, the CRDs of the chart's ``crds/`` folder included, as resources of the stack, so a new
chart version also upgrades the CRDs on the next ``up`` (Strimzi requires CRDs of the operator's
own version; ``helm.v3.Release`` installs ``crds/`` only once, as the Helm CLI does, leaving them
to be applied by hand). It skips Helm hooks, which the Strimzi chart does not use. Previews show
every object of the chart, and the policy pack judges each one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"


@dataclass(frozen=True)
class HelmChart:
    """A pinned Helm chart and the values to install it with."""

    chart: str
    """Chart reference: ``oci://...`` or a chart name in ``repository``."""
    version: str
    values: Mapping[str, Any] = field(default_factory=dict)
    """Chart values; may hold Outputs (e.g. the namespaces it watches, so it waits for them)."""
    repository: str | None = None
    """Helm repository URL, for charts not given as ``oci://``."""


@dataclass(frozen=True)
class OperatorArgs:
    """Inputs of :class:`Operator`."""

    namespace: str
    """The operator's namespace (created when the stack installs it)."""
    crd: str
    """Name of a CRD the operator owns (e.g. ``kafkas.kafka.strimzi.io``)."""
    labels: dict[str, str]
    install: HelmChart | None = None
    """The chart to install; None: the operator is preinstalled and found through ``crd``."""
    rendering: bool = False
    """Manifests are written to a directory (renderYamlToDirectory): no cluster to find it in."""


def keep_crds(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Retain the chart's CRDs on delete: deleting a CRD deletes every resource of its kind, so
    removing an operator from a stack must never take the Kafka clusters (or others) with it."""
    if args.type_ != CRD_TYPE:
        return None
    return pulumi.ResourceTransformResult(
        props=args.props,
        opts=pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True)),
    )


class Operator(pulumi.ComponentResource):
    """An operator the stack's elements need, installed or found."""

    ready: list[pulumi.Resource]
    """What an element's custom resources depend on."""

    def __init__(
        self, name: str, args: OperatorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:operators:Operator", name, None, opts)
        self._name = name
        self._args = args
        if args.install:
            self.ready = [self._create_chart(args.install)]
        else:
            self.ready = [] if args.rendering else [self._find_crd()]
        self.register_outputs({"installed": args.install is not None})

    def _create_chart(self, chart: HelmChart) -> k8s.helm.v4.Chart:
        args = self._args
        namespace = k8s.core.v1.Namespace(
            f"{self._name}-namespace",
            metadata={
                "name": args.namespace,
                "labels": {
                    **args.labels,
                    # The operator itself runs under the restricted standard (Strimzi >= 1.2).
                    "pod-security.kubernetes.io/enforce": "restricted",
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        return k8s.helm.v4.Chart(
            self._name,
            chart=chart.chart,
            version=chart.version,
            namespace=namespace.metadata.name,
            values=dict(chart.values),
            repository_opts={"repo": chart.repository} if chart.repository else None,
            opts=pulumi.ResourceOptions(parent=self, transforms=[keep_crds]),
        )

    def _find_crd(self) -> k8s.apiextensions.v1.CustomResourceDefinition:
        # A read, not a registration: the preview fails here, naming the CRD, when the
        # operator is not installed, instead of on the first custom resource of an element.
        return k8s.apiextensions.v1.CustomResourceDefinition.get(
            f"{self._name}-crd", self._args.crd, opts=pulumi.ResourceOptions(parent=self)
        )
