"""The load element: Kafka Connect loading a pipeline's topics into its Elasticsearch.

Follows the pattern the Kafka element set: custom resources that wait for their operator (and
here for the Kafka cluster), hardened pods, its own Kafka user with least privilege, its own
network flows, monitors and alerts. The Elasticsearch element is known only by plain values
(URL, Secrets, pod labels), so the two can change independently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.alerting.connect import (
    CONNECT_METRICS_CONFIG_KEY,
    ConnectAlertSettings,
    connect_alert_groups,
    connect_metrics_config,
    connect_pod_monitor_spec,
)
from components.connect import (
    INTERNAL_TOPIC_PREFIX,
    KIND_LABEL,
    METRICS_PORT,
    REST_PORT,
    WORKER_GROUP,
    ConnectCluster,
    ElasticsearchTarget,
    PluginDelivery,
    SinkConnector,
    connect_body,
    connector_body,
    dead_letter_topic_body,
)
from components.endpoints import ElasticsearchEndpoint
from components.k8s import CustomObject
from components.kafka import KafkaClientArgs, KafkaCluster
from components.labels import STAGE_LABEL
from components.monitoring import Monitoring
from components.namespace import PipelineNamespace
from components.network import ElementFlows, Flow, Peer, create_flow_policy
from components.operators import Operator
from components.pods import Resources
from components.strimzi import CLUSTER_LABEL, TLS_PORT, MetricsSource

STAGE = "loader"
# Strimzi reads a Ready condition on these kinds: Pulumi waits for it.
_WAIT_FOR_READY = {"pulumi.com/waitFor": "condition=Ready"}


@dataclass(frozen=True)
class LoaderConnectorArgs:
    topics: tuple[str, ...]
    tasks_max: int
    index: str | None = None
    """One index or alias for all topics; None: an index per topic, named like it."""
    index_is_alias: bool = False
    dead_letter_partitions: int = 1
    dead_letter_replicas: int = 3


@dataclass(frozen=True)
class LoaderArgs:
    """Inputs of :class:`Loader`."""

    namespace: PipelineNamespace
    kafka: KafkaCluster
    """The pipeline's Kafka: the loader's user, its state and dead letters live there."""
    operator: Operator
    """Strimzi: every custom resource waits for it."""
    operator_namespace: str
    """Where Strimzi's cluster operator runs: it alone may call the workers' REST API."""
    elasticsearch: ElasticsearchEndpoint
    delivery: PluginDelivery
    image: str | None
    plugin_image: str | None
    kafka_version: str
    """Kafka version of the Connect image: the pipeline's Kafka's."""
    replicas: int
    resources: Resources
    internal_topic_replicas: int
    connectors: Mapping[str, LoaderConnectorArgs]
    topology_key: str
    strict_zone_spread: bool
    use_stork: bool
    max_consumer_lag: int
    monitoring: Monitoring | None


class Loader(pulumi.ComponentResource):
    """A Strimzi KafkaConnect, one Elasticsearch sink per configured connector, their
    dead-letter topics, the loader's Kafka user, flows and alerts.

    The KafkaConnect is named ``<name>-loader``: Strimzi labels pods with their cluster's
    name, and the Kafka cluster's own flows select its pods by that label.
    """

    connect_name: str
    user_secret: str
    """The Secret with the loader's Kafka credentials (its KafkaUser's name)."""
    consumer_groups: tuple[str, ...]
    """``connect-<connector>``: the groups Kafka Exporter must report for the lag alert."""
    dead_letter_topics: tuple[str, ...]

    def __init__(
        self, name: str, args: LoaderArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:load:Loader", name, None, opts)
        self._name = name
        self._args = args
        self._labels = args.namespace.labels
        self.connect_name = f"{name}-loader"
        connectors = [
            SinkConnector(
                name=connector,
                topics=spec.topics,
                tasks_max=spec.tasks_max,
                index=spec.index,
                index_is_alias=spec.index_is_alias,
                dead_letter_partitions=spec.dead_letter_partitions,
                dead_letter_replicas=spec.dead_letter_replicas,
            )
            for connector, spec in args.connectors.items()
        ]
        self.consumer_groups = tuple(c.group for c in connectors)
        self.dead_letter_topics = tuple(c.dead_letter_topic for c in connectors)
        self.user_secret = args.kafka.create_user(self.connect_name, self._user(connectors))
        connect = self._describe_connect()

        # Custom resources wait for the operator and for the Kafka cluster (its Kafka resource,
        # topics and the loader's user among them).
        self._after_kafka = pulumi.ResourceOptions(
            parent=self, depends_on=[*args.operator.ready, args.kafka]
        )
        metrics = self._create_metrics_config()
        dead_letters = {
            c.name: self._create_custom(
                f"{self.connect_name}-dlq-{c.name}",
                dead_letter_topic_body(connect, c),
                # Deleting a KafkaTopic deletes its records: the errors stay until read.
                retain_on_delete=True,
            )
            for c in connectors
        }
        workers = self._create_custom(
            self.connect_name,
            connect_body(connect),
            # Besides Kafka, the Elasticsearch cluster and the loader's user, whose Secrets the
            # workers mount.
            [metrics, *args.elasticsearch.ready],
        )
        for c in connectors:
            self._create_custom(
                f"{self.connect_name}-{c.name}",
                connector_body(connect, c),
                [workers, dead_letters[c.name]],
            )
        self._create_flows(connect)
        if args.monitoring is not None:
            self._create_monitoring(args.monitoring, connectors)
        self.register_outputs(
            {
                "connect": self.connect_name,
                "user": self.user_secret,
                "consumerGroups": list(self.consumer_groups),
                "deadLetterTopics": list(self.dead_letter_topics),
            }
        )

    def _user(self, connectors: list[SinkConnector]) -> KafkaClientArgs:
        """Least privilege: read the sources, write the dead letters, run its own state topics
        and groups; nothing cluster-wide."""
        return KafkaClientArgs(
            produces=self.dead_letter_topics,
            consumes=tuple(sorted({topic for c in connectors for topic in c.topics})),
            group=WORKER_GROUP,
            extra_groups=self.consumer_groups,
            owned_topic_prefix=INTERNAL_TOPIC_PREFIX,
        )

    def _describe_connect(self) -> ConnectCluster:
        args = self._args
        es = args.elasticsearch
        return ConnectCluster(
            name=self.connect_name,
            namespace=args.namespace.name,
            kafka_cluster=args.kafka.cluster_name,
            bootstrap=args.kafka.bootstrap,
            kafka_ca_secret=args.kafka.ca_secret,
            authentication=args.kafka.authentication,
            user=self.user_secret,
            elasticsearch=ElasticsearchTarget(es.url, es.ca_secret, es.credentials_secret),
            metrics=MetricsSource(self._metrics_config_name(), CONNECT_METRICS_CONFIG_KEY),
            delivery=args.delivery,
            image=args.image,
            plugin_image=args.plugin_image,
            version=args.kafka_version,
            replicas=args.replicas,
            resources=args.resources,
            internal_topic_replicas=args.internal_topic_replicas,
            topology_key=args.topology_key,
            strict_zone_spread=args.strict_zone_spread,
            use_stork=args.use_stork,
            labels=self._labels,
            pod_labels={STAGE_LABEL: STAGE},
            api_version=args.kafka.api_version,
        )

    def _metrics_config_name(self) -> str:
        return f"{self.connect_name}-connect-metrics"

    def _create_metrics_config(self) -> k8s.core.v1.ConfigMap:
        return k8s.core.v1.ConfigMap(
            f"{self.connect_name}-metrics",
            metadata={
                "name": self._metrics_config_name(),
                "namespace": self._args.namespace.name,
                "labels": self._labels,
            },
            data={CONNECT_METRICS_CONFIG_KEY: yaml.safe_dump(connect_metrics_config())},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_custom(
        self,
        resource_name: str,
        body: dict[str, Any],
        depends_on: Sequence[pulumi.Resource] = (),
        retain_on_delete: bool = False,
    ) -> CustomObject:
        metadata = body["metadata"]
        metadata["annotations"] = {**metadata.get("annotations", {}), **_WAIT_FOR_READY}
        return CustomObject(
            resource_name,
            body["apiVersion"],
            body["kind"],
            {key: value for key, value in body.items() if key not in ("apiVersion", "kind")},
            pulumi.ResourceOptions.merge(
                self._after_kafka,
                pulumi.ResourceOptions(
                    depends_on=list(depends_on), retain_on_delete=retain_on_delete
                ),
            ),
        )

    def _create_flows(self, connect: ConnectCluster) -> None:
        args = self._args
        workers = Peer(pods=connect.pods)
        among_workers = Flow("workers forward REST calls to the leader", (workers,), (REST_PORT,))
        ingress = [
            among_workers,
            Flow(
                "the Strimzi operator manages connectors over the REST API",
                (Peer(namespace=args.operator_namespace),),
                (REST_PORT,),
            ),
        ]
        if args.monitoring is not None:
            ingress.append(args.monitoring.scrape_flow((METRICS_PORT,)))
        # The Kafka resource's pods only: brokers (and its operators), not other Strimzi kinds.
        kafka_nodes = Peer(pods={CLUSTER_LABEL: args.kafka.cluster_name, KIND_LABEL: "Kafka"})
        create_flow_policy(
            f"{self.connect_name}-flows",
            element=f"loader-{self._name}",
            namespace=args.namespace.name,
            labels=self._labels,
            flows=ElementFlows(
                pods=connect.pods,
                ingress=tuple(ingress),
                egress=(
                    Flow(
                        "read topics, write dead letters and keep Connect's state in Kafka",
                        (kafka_nodes,),
                        (TLS_PORT,),
                    ),
                    Flow(
                        "index documents in Elasticsearch",
                        (Peer(pods=args.elasticsearch.pods),),
                        (args.elasticsearch.port,),
                    ),
                    among_workers,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_monitoring(self, monitoring: Monitoring, connectors: list[SinkConnector]) -> None:
        args = self._args
        in_cluster = pulumi.ResourceOptions(parent=self)
        settings = ConnectAlertSettings(
            kafka_cluster=args.kafka.cluster_name,
            connectors=tuple(c.name for c in connectors),
            max_consumer_lag=args.max_consumer_lag,
        )
        monitoring.watch_pods(
            self.connect_name,
            name=f"{self.connect_name}-connect",
            namespace=args.namespace.name,
            labels=self._labels,
            pod_monitor=connect_pod_monitor_spec(self.connect_name),
            alert_groups=lambda namespace: connect_alert_groups(
                namespace, self.connect_name, settings
            ),
            opts=in_cluster,
        )
