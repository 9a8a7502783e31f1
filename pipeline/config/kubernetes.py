"""The ``kubernetes`` section: where and how the program talks to the cluster."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from pipeline.config.base import (
    Cidr,
    ConfigModel,
    DnsLabel,
    ShortName,
    at_least_one,
    no_duplicates,
)

Port = Annotated[int, Field(ge=1, le=65535)]


class ApiServerConfig(ConfigModel):
    """Where pods that talk to the Kubernetes API (operators' helpers, Spark drivers) may go."""

    cidrs: Annotated[
        tuple[Cidr, ...], AfterValidator(at_least_one), AfterValidator(no_duplicates)
    ] = ("0.0.0.0/0",)
    """Addresses of the API server's endpoints. Set them to the control plane's range: the
    default allows any address, on the API ports only."""
    ports: Annotated[
        tuple[Port, ...], AfterValidator(at_least_one), AfterValidator(no_duplicates)
    ] = (443, 6443)


class KubernetesConfig(ConfigModel):
    """Where and how the program talks to Kubernetes."""

    namespace: ShortName = "data-pipeline"
    """Base name of the stack's namespaces: each pipeline gets ``<namespace>-<pipeline>``."""
    context: str | None = None
    """kubeconfig context to deploy to; the ambient current context when unset."""
    render_directory: str | None = None
    """Write manifests to this directory instead of applying them (renderYamlToDirectory)."""
    retain_on_delete: bool = True
    """Leave namespaces (with their claims and guard rails) in the cluster on ``pulumi destroy``."""
    api_server: ApiServerConfig = ApiServerConfig()
    zones: Annotated[tuple[DnsLabel, ...], AfterValidator(no_duplicates)] = ()
    """Names of the cluster's zones (values of storage.placement.topologyKey), for the capacity
    plan's share per zone; unset: the plan shows the cluster as one."""
