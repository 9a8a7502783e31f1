"""The ``operators`` section: each operator installed by this stack, or found preinstalled.

Operators are cluster-wide (their CRDs and cluster roles): at most one stack per cluster may
install each of them; every other stack on that cluster uses it with ``install: false``.
"""

from __future__ import annotations

from typing import Literal

from pipeline.config.base import ConfigModel, DnsLabel

STRIMZI_API_VERSIONS = ("kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2")


class OperatorConfig(ConfigModel):
    """An operator: installed from its pinned Helm chart, or found through its CRD."""

    install: bool = False
    """Install the operator's Helm chart; false: use one already in the cluster (found through
    its CRD at preview; it must manage this stack's pipeline namespaces)."""
    namespace: DnsLabel
    """Namespace of the operator (created when installed)."""
    chart_version: str
    """Version of the operator's Helm chart."""


class StrimziConfig(OperatorConfig):
    """Strimzi, the Kafka operator: chart oci://quay.io/strimzi-helm/strimzi-kafka-operator."""

    namespace: DnsLabel = "strimzi"
    chart_version: str = "1.2.0"
    api_version: Literal[STRIMZI_API_VERSIONS] = "kafka.strimzi.io/v1"
    """apiVersion of the Kafka resources: v1 from Strimzi 1.0; v1beta2 for older operators."""


class EckConfig(OperatorConfig):
    """ECK, the Elasticsearch operator: chart eck-operator of https://helm.elastic.co."""

    namespace: DnsLabel = "elastic-system"
    chart_version: str = "3.5.0"


class SparkOperatorConfig(OperatorConfig):
    """Kubeflow's spark-operator: chart spark-operator of https://kubeflow.github.io/spark-operator.

    Its mutating webhook stays on: it applies the scheduler and the security contexts to the
    driver and executor pods."""

    namespace: DnsLabel = "spark-operator"
    chart_version: str = "2.5.2"


class OperatorsConfig(ConfigModel):
    strimzi: StrimziConfig = StrimziConfig()
    eck: EckConfig = EckConfig()
    spark_operator: SparkOperatorConfig = SparkOperatorConfig()
