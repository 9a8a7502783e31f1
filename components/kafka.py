"""The stream element: a pipeline's Kafka cluster (Strimzi, KRaft) on Portworx volumes.

The first element, and the pattern the others follow: storage by role from the catalog, custom
resources that wait for their operator, hardened pods on the Stork scheduler when the stack
enables it, its own network flows, and its own monitors and alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.alerting.kafka import (
    KAFKA_METRICS_CONFIG_KEY,
    KafkaAlertSettings,
    kafka_alert_groups,
    kafka_exporter_spec,
    kafka_metrics_config,
    kafka_pod_monitor_spec,
)
from components.k8s import CustomObject
from components.monitoring import Monitoring
from components.namespace import PipelineNamespace
from components.network import (
    NAMESPACE_NAME_LABEL,
    ElementFlows,
    Flow,
    Peer,
    create_flow_policy,
)
from components.operators import Operator
from components.pods import Resources
from components.storage import ProvisionedClass
from components.strimzi import (
    CLUSTER_LABEL,
    PLAIN_PORT,
    TLS_PORT,
    Authentication,
    ClientPeer,
    MetricsSource,
    NodePool,
    PatternType,
    Role,
    StrimziNames,
    Topic,
    User,
    check_cluster,
    kafka_body,
    node_pool_body,
    topic_body,
    user_body,
)
from components.strimzi import (
    KafkaCluster as StrimziCluster,
)

# Ports the Strimzi cluster operator uses on the nodes: controller and replication listeners
# (TLS, its admin client) and the Kafka agent that reports a broker's state during rolls.
_OPERATOR_PORTS = (9090, 9091, 8443)
# Strimzi's metrics port (tcp-prometheus) on brokers, controllers and Kafka Exporter, and the
# entity operator's health ports, which serve its metrics (healthcheck-to, healthcheck-uo).
_METRICS_PORTS = (9404, 8080, 8081)
# Strimzi reads a Ready condition on these kinds: Pulumi waits for it.
_WAIT_FOR_READY = {"pulumi.com/waitFor": "condition=Ready"}


@dataclass(frozen=True)
class KafkaNodesArgs:
    """One node pool's size."""

    replicas: int
    storage: str
    """Size of each volume."""
    resources: Resources
    heap: str
    volumes: int = 1


@dataclass(frozen=True)
class KafkaTopicArgs:
    partitions: int
    replicas: int
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KafkaClientArgs:
    """A client stage: the topics it produces to and consumes, and its consumer group."""

    produces: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    group: str | None = None
    extra_groups: tuple[str, ...] = ()
    """Further consumer groups (Kafka Connect: one per sink connector)."""
    owned_topic_prefix: str | None = None
    """Topics the client creates and runs itself (Kafka Connect's internal topics)."""
    group_is_prefix: bool = False
    """``group`` is a prefix: the client generates its group ids (Spark's Kafka source)."""


@dataclass(frozen=True)
class KafkaClusterArgs:
    """Inputs of :class:`KafkaCluster`."""

    namespace: PipelineNamespace
    """The pipeline's namespace (name, labels)."""
    storage: ProvisionedClass
    """The catalog class of the cluster's storage role."""
    operator: Operator
    """Strimzi: every custom resource waits for it."""
    operator_namespace: str
    """Where Strimzi's cluster operator runs: it alone may reach the nodes' admin ports."""
    kubernetes_api: Flow
    """Egress to the API server (entity operator, the brokers' rack init container)."""
    api_version: str
    version: str
    combined: bool
    """One pool of nodes that are controllers and brokers at once (dev only)."""
    controllers: KafkaNodesArgs
    brokers: KafkaNodesArgs
    authentication: str
    """tls or scram-sha-512."""
    plaintext_listener: bool
    client_namespaces: tuple[str, ...]
    """Namespaces besides the pipeline's whose pods may reach the client listener."""
    config: Mapping[str, Any]
    """Broker config over Strimzi's durable defaults."""
    topics: Mapping[str, KafkaTopicArgs]
    clients: Mapping[str, KafkaClientArgs]
    topology_key: str
    """Node label of a zone: rack awareness and the pods' spread."""
    strict_zone_spread: bool
    """Leave a pod pending rather than put two nodes of a pool in one zone."""
    use_stork: bool
    max_consumer_lag: int
    monitoring: Monitoring | None
    """None: no monitors or alerts (monitoring disabled for the stack)."""
    reported_groups: tuple[str, ...] = ()
    """Consumer groups of other elements (the loader's sinks) whose lag Kafka Exporter reports;
    their own elements alert on it."""


class KafkaCluster(pulumi.ComponentResource):
    """A Strimzi Kafka cluster with its node pools, topics, users, flows and alerts.

    Node pools are named after the digest of their StorageClass (``brokers-<digest>``), because
    Strimzi never moves a live volume to another class: a change of the role's class makes new
    pools on the new class beside the old ones. Pools are retained on delete, so the old pools
    keep serving their partitions until they are drained and deleted by hand (README).
    """

    bootstrap: pulumi.Output[str]
    """``host:port`` of the TLS listener inside the cluster."""
    ca_secret: str
    """Secret holding the CA that signed the brokers' certificates (key ``ca.crt``)."""
    users: dict[str, str]
    """Client stage -> the Secret with its credentials."""
    cluster_name: str
    """The Kafka resource's name: its pods carry it as ``strimzi.io/cluster``."""
    api_version: str
    """Strimzi apiVersion of the cluster's resources; its clients' resources use the same."""
    authentication: Authentication
    """How clients authenticate on the TLS listener."""
    claims: dict[str, str]
    """Each claim of the node pools (``data-<volume>-<cluster>-<pool>-<node id>``) -> its
    storage role: what snapshot schedules cover."""
    claim_sizes: dict[str, str]
    """Node pool -> the size of each of its volumes: what Strimzi holds its claims to."""

    def __init__(
        self, name: str, args: KafkaClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:stream:KafkaCluster", name, None, opts)
        self._name = name
        self._args = args
        self._labels = args.namespace.labels
        self.cluster_name = name
        self.api_version = args.api_version
        self.authentication = Authentication(args.authentication)
        names = StrimziNames(name)
        self._cluster = self._describe_cluster(name)
        pools = self._describe_pools()
        self.claim_sizes = {pool.name: pool.volume_size for pool in pools}
        self.claims = {
            claim: args.storage.role for pool in pools for claim in names.pvc_names(pool)
        }
        topics = [
            Topic(topic, spec.partitions, spec.replicas, dict(spec.config))
            for topic, spec in args.topics.items()
        ]
        # Checks across resources (quorum size, node IDs, replication vs brokers) before any
        # resource is registered: a plan Strimzi would reject never reaches the cluster.
        check_cluster(self._cluster, pools, topics)

        # Custom resources wait for the operator; the cluster also for its metrics config.
        self._after_operator = pulumi.ResourceOptions(parent=self, depends_on=args.operator.ready)
        metrics = self._create_metrics_config()
        kafka = self._create_custom(
            "Kafka", name, kafka_body(self._cluster), [metrics], annotations=_WAIT_FOR_READY
        )
        self._kafka = kafka
        for pool in pools:
            self._create_custom(
                "KafkaNodePool",
                f"{name}-{pool.name}",
                node_pool_body(self._cluster, pool),
                # A pool dropped from the program (its class changed) still holds partitions:
                # it is left in the cluster, to be drained and deleted explicitly.
                retain_on_delete=True,
            )
        for topic in topics:
            self._create_custom(
                "KafkaTopic",
                f"{name}-topic-{topic.name}",
                topic_body(self._cluster, topic),
                [kafka],
                annotations=_WAIT_FOR_READY,
                # Deleting a KafkaTopic deletes the topic and its messages: a topic taken out of
                # the config stays in the cluster until someone deletes it on purpose.
                retain_on_delete=True,
            )
        self.users = {}
        for client, spec in args.clients.items():
            self.users[client] = self.create_user(client, spec)
        self._create_flows()
        if args.monitoring is not None:
            self._create_monitoring(args.monitoring)

        self.bootstrap = pulumi.Output.concat(
            names.bootstrap_service, ".", args.namespace.name, ".svc:", str(TLS_PORT)
        )
        self.ca_secret = names.cluster_ca_secret
        self.register_outputs(
            {"bootstrap": self.bootstrap, "caSecret": self.ca_secret, "users": self.users}
        )

    def create_user(self, client: str, spec: KafkaClientArgs) -> str:
        """A KafkaUser for a client stage, allowed exactly its topics and group; returns the
        Secret that Strimzi writes its credentials to. Later elements ask for theirs here.

        The user waits for the Kafka resource: the User Operator runs only once it is Ready.
        """
        user = User(
            client,
            spec.produces,
            spec.consumes,
            spec.group,
            group_pattern=PatternType.PREFIX if spec.group_is_prefix else PatternType.LITERAL,
            extra_groups=spec.extra_groups,
            owned_topic_prefix=spec.owned_topic_prefix,
        )
        self._create_custom(
            "KafkaUser",
            f"{self._name}-user-{client}",
            user_body(self._cluster, user),
            [self._kafka],
            annotations=_WAIT_FOR_READY,
        )
        return StrimziNames.user_secret(client)

    def _describe_cluster(self, name: str) -> StrimziCluster:
        args = self._args
        # Every pod of the pipeline's namespace, and of each namespace allowed besides it.
        client_peers = tuple(
            ClientPeer(namespace_labels={NAMESPACE_NAME_LABEL: namespace})
            for namespace in (args.namespace.name, *args.client_namespaces)
        )
        # Kafka Exporter reports the lag of the pipeline's own groups on its own topics only.
        settings = self._alert_settings()
        reported = replace(
            settings, consumer_groups=(*settings.consumer_groups, *args.reported_groups)
        )
        # Groups that clients generate under a prefix (Spark's) are reported by their prefix;
        # their own element alerts on them, one job at a time.
        prefixes = tuple(c.group for c in args.clients.values() if c.group and c.group_is_prefix)
        exporter = kafka_exporter_spec(reported, tuple(args.topics), group_prefixes=prefixes)
        return StrimziCluster(
            name=name,
            namespace=args.namespace.name,
            client_peers=client_peers,
            metrics=MetricsSource(self._metrics_config_name(), KAFKA_METRICS_CONFIG_KEY),
            authentication=Authentication(args.authentication),
            allow_plaintext=args.plaintext_listener,
            config=dict(args.config),
            version=args.version,
            topology_key=args.topology_key,
            strict_zone_spread=args.strict_zone_spread,
            use_stork=args.use_stork,
            labels=self._labels,
            api_version=args.api_version,
            exporter_group_regex=exporter["groupRegex"],
            exporter_topic_regex=exporter["topicRegex"],
        )

    def _describe_pools(self) -> list[NodePool]:
        args = self._args
        digest = args.storage.digest
        if args.combined:
            layout = [("combined", (Role.CONTROLLER, Role.BROKER), args.brokers)]
        else:
            layout = [
                ("controllers", (Role.CONTROLLER,), args.controllers),
                ("brokers", (Role.BROKER,), args.brokers),
            ]
        return [
            NodePool(
                name=f"{function}-{digest}",
                roles=roles,
                replicas=nodes.replicas,
                node_ids=_node_ids(digest, index),
                volume_size=nodes.storage,
                storage_class=args.storage.name,
                resources=nodes.resources,
                heap=nodes.heap,
                volumes=nodes.volumes if Role.BROKER in roles else 1,
            )
            for index, (function, roles, nodes) in enumerate(layout)
        ]

    def _alert_settings(self) -> KafkaAlertSettings:
        args = self._args
        return KafkaAlertSettings(
            brokers=args.brokers.replicas,
            consumer_groups=tuple(
                c.group for c in args.clients.values() if c.group and not c.group_is_prefix
            ),
            max_consumer_lag=args.max_consumer_lag,
        )

    def _metrics_config_name(self) -> str:
        return f"{self._name}-kafka-metrics"

    def _create_metrics_config(self) -> k8s.core.v1.ConfigMap:
        return k8s.core.v1.ConfigMap(
            f"{self._name}-metrics",
            metadata={
                "name": self._metrics_config_name(),
                "namespace": self._args.namespace.name,
                "labels": self._labels,
            },
            data={KAFKA_METRICS_CONFIG_KEY: yaml.safe_dump(kafka_metrics_config())},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_custom(
        self,
        kind: str,
        resource_name: str,
        body: dict[str, Any],
        depends_on: list[pulumi.Resource] | None = None,
        annotations: Mapping[str, str] | None = None,
        retain_on_delete: bool = False,
    ) -> CustomObject:
        if annotations:
            metadata = body["metadata"]
            metadata["annotations"] = {**metadata.get("annotations", {}), **annotations}
        return CustomObject(
            resource_name,
            body["apiVersion"],
            kind,
            {key: value for key, value in body.items() if key not in ("apiVersion", "kind")},
            pulumi.ResourceOptions.merge(
                self._after_operator,
                pulumi.ResourceOptions(
                    depends_on=depends_on or [], retain_on_delete=retain_on_delete
                ),
            ),
        )

    def _create_flows(self) -> None:
        args = self._args
        nodes = Peer(pods={CLUSTER_LABEL: self._name})
        client_ports = (TLS_PORT, PLAIN_PORT) if args.plaintext_listener else (TLS_PORT,)
        clients = (Peer(), *(Peer(namespace=ns) for ns in args.client_namespaces))
        ingress = [
            Flow("nodes of the cluster replicate and elect", (nodes,)),
            Flow("the pipeline's clients use the client listener", clients, client_ports),
            Flow(
                "the Strimzi operator manages the nodes",
                (Peer(namespace=args.operator_namespace),),
                _OPERATOR_PORTS,
            ),
        ]
        if args.monitoring is not None:
            ingress.append(args.monitoring.scrape_flow(_METRICS_PORTS))
        create_flow_policy(
            f"{self._name}-flows",
            element=f"kafka-{self._name}",
            namespace=args.namespace.name,
            labels=self._labels,
            flows=ElementFlows(
                pods={CLUSTER_LABEL: self._name},
                ingress=tuple(ingress),
                egress=(
                    Flow("nodes of the cluster replicate and elect", (nodes,)),
                    args.kubernetes_api,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_monitoring(self, monitoring: Monitoring) -> None:
        args = self._args
        in_cluster = pulumi.ResourceOptions(parent=self)
        settings = self._alert_settings()
        monitoring.watch_pods(
            self._name,
            name=f"{self._name}-kafka",
            namespace=args.namespace.name,
            labels=self._labels,
            pod_monitor=kafka_pod_monitor_spec(self._name),
            alert_groups=lambda namespace: kafka_alert_groups(namespace, self._name, settings),
            opts=in_cluster,
        )


def _node_ids(digest: str, function: int) -> range:
    """A block of 1000 node IDs per pool, from the class digest and the pool's function, so the
    pools of a new class never reuse the IDs of the retained pools of the old one."""
    start = (int(digest, 16) % 100_000) * 10_000 + function * 1_000
    return range(start, start + 1_000)
