"""Kubernetes helpers shared by the components: common labels and custom objects."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

import pulumi

from components.labels import ENVIRONMENT_LABEL, PART_OF

_KUBERNETES_PLUGIN_VERSION = version("pulumi_kubernetes")


def common_labels(environment: str) -> dict[str, str]:
    """Labels every object of the stack carries, so `kubectl get -l` finds them all."""
    return {
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        ENVIRONMENT_LABEL: environment,
    }


class CustomObject(pulumi.CustomResource):
    """A custom resource whose fields are not all under ``spec``.

    ``pulumi_kubernetes.apiextensions.CustomResource`` in Python only carries ``spec``, but e.g.
    VolumeSnapshotClass has ``driver`` and ``deletionPolicy`` at the top level and Stork's kinds
    have ``policy`` or ``rules`` there. The provider treats any
    ``kubernetes:<group/version>:<Kind>`` type as a custom resource whose inputs are the whole
    object, which is what this registers.
    """

    def __init__(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        body: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(version=_KUBERNETES_PLUGIN_VERSION)
        )
        props = {"apiVersion": api_version, "kind": kind, **body}
        super().__init__(f"kubernetes:{api_version}:{kind}", resource_name, props, opts)
