"""The ``operators`` section: each operator installed by this stack, or found preinstalled.

Operators are cluster-wide (their CRDs and cluster roles): at most one stack per cluster may
install each of them; every other stack on that cluster uses it with ``install: false``.
"""

from __future__ import annotations

from typing import Literal

from pipeline.config.base import ConfigModel, DnsLabel

STRIMZI_API_VERSIONS = ("kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2")


class StrimziConfig(ConfigModel):
    """Strimzi, the Kafka operator."""

    install: bool = False
    """Install the operator's Helm chart; false: use one already in the cluster (found through
    its Kafka CRD, and it must watch this stack's pipeline namespaces)."""
    namespace: DnsLabel = "strimzi"
    """Namespace of the operator (created when installed)."""
    chart_version: str = "1.2.0"
    """Version of the chart oci://quay.io/strimzi-helm/strimzi-kafka-operator."""
    api_version: Literal[STRIMZI_API_VERSIONS] = "kafka.strimzi.io/v1"
    """apiVersion of the Kafka resources: v1 from Strimzi 1.0; v1beta2 for older operators."""


class OperatorsConfig(ConfigModel):
    strimzi: StrimziConfig = StrimziConfig()
