"""Strimzi custom resource bodies: a KRaft ``Kafka`` with node pools, its topics and users.

Pure functions from small frozen dataclasses to the dicts (``apiVersion``, ``kind``,
``metadata``, ``spec``) that ``components/kafka.py`` registers. No Pulumi import: values that are
Pulumi Outputs in the program (the namespace, a StorageClass name) are only placed, never read.

Bodies target Strimzi 1.2 (``kafka.strimzi.io/v1``). ``kafka.strimzi.io/v1beta2`` serves
clusters whose operator predates v1 (Strimzi 0.46-0.50, already KRaft-only); the bodies are the
same apart from two annotations such operators read (see :func:`kafka_body`).

What the bodies guarantee:

- Durability: replication 3 with min ISR 2 for data and internal topics, no unclean leader
  election, no topic created by accident (``DURABLE_BROKER_CONFIG``); PVCs survive the
  deletion of the cluster (``deleteClaim: false``); brokers spread across zones and racks.
- Least privilege: clients reach the brokers only over TLS, from the peers named, as users
  whose ACLs cover their own topics and group; a plaintext listener exists only when asked.
- Restricted pods: every pod Strimzi creates passes the "restricted" Pod Security Standard.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from components.pods import (
    STORK_SCHEDULER,
    ZONE_TOPOLOGY_KEY,
    Resources,
    parse_quantity,
    restricted_container_security_context,
    restricted_pod_security_context,
    zone_spread,
)
from components.stork import strimzi_claim

API_V1 = "kafka.strimzi.io/v1"
API_V1BETA2 = "kafka.strimzi.io/v1beta2"
API_VERSIONS = (API_V1, API_V1BETA2)

# Strimzi 1.2.0's default Kafka, and the KRaft metadata version of each Kafka minor it supports
# (its kafka-versions.yaml: 4.2.x -> 4.2-IV1, 4.3.x -> 4.3-IV0).
KAFKA_VERSION = "4.3.1"
METADATA_VERSIONS = MappingProxyType({"4.2": "4.2-IV1", "4.3": "4.3-IV0"})

CLUSTER_LABEL = "strimzi.io/cluster"
POOL_LABEL = "strimzi.io/pool-name"
NEXT_NODE_IDS_ANNOTATION = "strimzi.io/next-node-ids"
TLS_LISTENER = "tls"
TLS_PORT = 9093
PLAIN_LISTENER = "plain"
PLAIN_PORT = 9092
CA_CERT_KEY = "ca.crt"
# The Strimzi images run as uid 1001 in group 0; Strimzi sets fsGroup 0 on brokers with
# persistent volumes unless the user supplies a pod securityContext, which ours is.
KAFKA_FS_GROUP = 0

DURABLE_BROKER_CONFIG: Mapping[str, Any] = MappingProxyType(
    {
        "default.replication.factor": 3,
        "min.insync.replicas": 2,
        "offsets.topic.replication.factor": 3,
        "transaction.state.log.replication.factor": 3,
        "transaction.state.log.min.isr": 2,
        "unclean.leader.election.enable": False,
        "auto.create.topics.enable": False,
    }
)
# Replication settings that cannot exceed the number of brokers, and the minimum ISR each
# replication factor bounds (a min ISR above its factor refuses every acks=all write).
REPLICATION_FACTORS = (
    "default.replication.factor",
    "offsets.topic.replication.factor",
    "transaction.state.log.replication.factor",
)
MIN_ISR_BOUNDS = {
    "min.insync.replicas": "default.replication.factor",
    "transaction.state.log.min.isr": "transaction.state.log.replication.factor",
}

# Starting points for the operators Strimzi runs beside the brokers; memory limit = request so
# that node memory pressure never evicts them first.
OPERATOR_RESOURCES = Resources(
    requests={"cpu": "100m", "memory": "512Mi"}, limits={"memory": "512Mi"}
)
EXPORTER_RESOURCES = Resources(
    requests={"cpu": "100m", "memory": "128Mi"}, limits={"memory": "128Mi"}
)

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(rf"{_DNS_LABEL.pattern}(\.{_DNS_LABEL.pattern})*")
_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")
_NAME_RULES = {
    _DNS_LABEL: "lowercase letters, digits and '-', starting and ending alphanumeric",
    _DNS_1035_LABEL: "lowercase letters, digits and '-', starting with a letter",
    _DNS_SUBDOMAIN: "lowercase letters, digits, '-' and '.', starting and ending alphanumeric",
}
_JVM_SIZE = {2**30: "g", 2**20: "m"}
# Kubernetes names and label values (strimzi.io/name) end at 63 characters; Strimzi appends up to
# 16 ("-kafka-bootstrap", "-entity-operator") to the cluster's name.
_MAX_CLUSTER_NAME = 63 - len("-kafka-bootstrap")
# A user's name is the CN of its TLS certificate, which X.509 caps at 64 characters.
_MAX_USER_NAME = 64


class Authentication(StrEnum):
    """How clients prove who they are; a KafkaUser uses the type of the listener it connects to."""

    TLS = "tls"
    SCRAM_SHA_512 = "scram-sha-512"


class Role(StrEnum):
    CONTROLLER = "controller"
    BROKER = "broker"


class PatternType(StrEnum):
    LITERAL = "literal"
    PREFIX = "prefix"


@dataclass(frozen=True)
class ClientPeer:
    """Pods allowed to reach the client listeners, with NetworkPolicy peer semantics.

    Both selectors: matching pods in matching namespaces. Namespace labels only: every pod of
    the matching namespaces. Pod labels only: matching pods of the Kafka's own namespace.
    Label values may be Pulumi Outputs (``kubernetes.io/metadata.name: <namespace>``).
    """

    namespace_labels: Mapping[str, Any] | None = None
    pod_labels: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.namespace_labels and not self.pod_labels:
            raise ValueError(
                "a client peer needs namespace or pod labels: an empty peer admits every pod"
            )

    def to_dict(self) -> dict[str, Any]:
        peer = {}
        if self.namespace_labels:
            peer["namespaceSelector"] = {"matchLabels": dict(self.namespace_labels)}
        if self.pod_labels:
            peer["podSelector"] = {"matchLabels": dict(self.pod_labels)}
        return peer


@dataclass(frozen=True)
class MetricsSource:
    """The ConfigMap key holding the JMX Prometheus exporter's rules for the brokers."""

    config_map: str
    key: str


@dataclass(frozen=True)
class KafkaCluster:
    """Everything the ``Kafka`` resource needs, and what its pools, topics and users share."""

    name: str
    namespace: Any
    client_peers: tuple[ClientPeer, ...]
    """Who may connect to the client listeners; Strimzi turns these into its NetworkPolicy."""
    metrics: MetricsSource
    authentication: Authentication = Authentication.TLS
    allow_plaintext: bool = False
    """Add an unencrypted listener (SCRAM-authenticated, same peers) on port 9092."""
    super_users: tuple[str, ...] = ()
    """Principals beyond ACLs: ``CN=<user>`` with TLS authentication, ``<user>`` with SCRAM."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """Broker settings laid over ``DURABLE_BROKER_CONFIG``."""
    version: str = KAFKA_VERSION
    metadata_version: str | None = None
    """KRaft metadata version; by default the one Strimzi 1.2.0 pairs with ``version``."""
    topology_key: str = ZONE_TOPOLOGY_KEY
    """Node label of the failure domain: brokers' ``broker.rack`` and the pods' zone spread."""
    strict_zone_spread: bool = True
    """Leave a broker pending rather than double up in one zone (see ``pods.zone_spread``)."""
    use_stork: bool = False
    """Schedule brokers with Stork, next to their Portworx replicas."""
    exporter_group_regex: str = ".*"
    exporter_topic_regex: str = ".*"
    operator_resources: Resources = OPERATOR_RESOURCES
    """Each of the Topic and User Operator containers."""
    exporter_resources: Resources = EXPORTER_RESOURCES
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of every resource (Strimzi copies the Kafka's labels onto what it creates)."""
    api_version: str = API_V1

    def __post_init__(self) -> None:
        _check_name("Kafka cluster", self.name, _DNS_1035_LABEL, _MAX_CLUSTER_NAME)
        if self.api_version not in API_VERSIONS:
            raise ValueError(
                f"Strimzi apiVersion {self.api_version!r} is not one of {', '.join(API_VERSIONS)}"
            )
        if not self.client_peers:
            raise ValueError(
                f"Kafka {self.name}: name at least one client peer; "
                "a listener without peers is open to every pod in the cluster"
            )
        if self.allow_plaintext and self.authentication is not Authentication.SCRAM_SHA_512:
            raise ValueError(
                f"Kafka {self.name}: a plaintext listener needs scram-sha-512 authentication "
                "(TLS client certificates need a TLS listener)"
            )
        if not self.topology_key:
            raise ValueError(f"Kafka {self.name}: topology_key must name the nodes' zone label")
        self.kraft_metadata_version()  # fails early for a version without a known pairing

    def broker_config(self) -> dict[str, Any]:
        """The brokers' ``config``: the durable defaults, then the stack's settings."""
        return {**DURABLE_BROKER_CONFIG, **self.config}

    def kraft_metadata_version(self) -> str:
        if self.metadata_version is not None:
            return self.metadata_version
        minor = ".".join(self.version.split(".")[:2])
        if minor not in METADATA_VERSIONS:
            raise ValueError(
                f"Kafka {self.name}: no known KRaft metadata version for Kafka {self.version}; "
                f"set metadata_version (Strimzi 1.2.0 pairs {_pairings()})"
            )
        return METADATA_VERSIONS[minor]


@dataclass(frozen=True)
class NodePool:
    """A ``KafkaNodePool``: nodes of one role set, size and volume layout."""

    name: str
    roles: tuple[Role, ...]
    replicas: int
    node_ids: range
    """IDs Strimzi gives this pool's nodes (lowest free first, highest removed first), which fix
    the pods' and PVCs' names; the ranges of a cluster's pools must not overlap."""
    volume_size: str
    storage_class: Any
    resources: Resources
    """Must request memory: the scheduler has to reserve the heap plus the page cache."""
    heap: str
    """JVM heap (-Xms = -Xmx) as a quantity in whole MiB, such as ``2Gi``."""
    volumes: int = 1
    """JBOD volumes per node, all of ``volume_size``; KRaft metadata lives on volume 0."""

    def __post_init__(self) -> None:
        _check_name("node pool", self.name, _DNS_LABEL, 63)
        if not self.roles or len(set(self.roles)) != len(self.roles):
            raise ValueError(f"node pool {self.name}: roles must be controller and/or broker")
        if self.replicas < 0 or self.volumes < 1:
            raise ValueError(f"node pool {self.name}: replicas >= 0 and volumes >= 1 required")
        if self.node_ids.step != 1 or self.node_ids.start < 0 or not self.node_ids:
            raise ValueError(f"node pool {self.name}: node IDs must be a range of IDs >= 0")
        if len(self.node_ids) < self.replicas:
            raise ValueError(
                f"node pool {self.name}: {self.replicas} replicas but only "
                f"{len(self.node_ids)} node IDs ({_id_range(self.node_ids)})"
            )
        parse_quantity(self.volume_size)
        memory_request = self.resources.requests.get("memory")
        if memory_request is None:
            raise ValueError(f"node pool {self.name}: resources must request memory")
        heap = parse_quantity(self.heap)
        if heap % 2**20 or heap <= 0:
            raise ValueError(f"node pool {self.name}: heap {self.heap} is not a whole number of Mi")
        if heap >= parse_quantity(memory_request):
            raise ValueError(
                f"node pool {self.name}: heap {self.heap} must stay below the memory request "
                f"{memory_request}, which also holds the JVM's own memory and the page cache"
            )

    def jvm_heap(self) -> str:
        """The heap in the JVM's notation (``2g``, ``1536m``), which Strimzi's schema requires."""
        heap = int(parse_quantity(self.heap))
        unit = next(unit for unit in _JVM_SIZE if heap % unit == 0)
        return f"{heap // unit}{_JVM_SIZE[unit]}"

    def active_node_ids(self) -> range:
        return self.node_ids[: self.replicas]


@dataclass(frozen=True)
class Topic:
    name: str
    """The Kafka topic's name; the resource's name derives from it (``topic_resource_name``)."""
    partitions: int
    replicas: int | None = None
    """None: the cluster's ``default.replication.factor``."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """Topic settings such as ``retention.ms`` or ``cleanup.policy``."""

    def __post_init__(self) -> None:
        _check_topic_name(self.name)
        if self.partitions < 1 or (self.replicas is not None and self.replicas < 1):
            raise ValueError(f"topic {self.name}: partitions and replicas must be at least 1")


@dataclass(frozen=True)
class User:
    """A client identity and the least it needs: its topics, and its consumer group.

    A producer gets Write and Describe on the topics it writes. Idempotent producing (the
    default since Kafka 3.0) once required IdempotentWrite on the *cluster*; since Kafka 2.8
    (KIP-679) the broker also grants it to a principal allowed to Write to any topic, so no
    cluster-wide operation is granted. Transactional producers would need TransactionalId ACLs,
    which this model does not grant.

    A consumer gets Read and Describe on the topics it reads and Read on its group: literally
    that group, or every group starting with it (``group_pattern=PREFIX``) for clients that
    generate group ids, such as Spark's ``spark-kafka-source-<uuid>``.

    Kafka Connect needs two more grants, and nothing cluster-wide: Read on each sink
    connector's group (``extra_groups``, ``connect-<connector>``) beside its workers' ``group``,
    and the topics that hold its own state, which it creates itself (``owned_topic_prefix``):
    Create, Read, Write, Describe, and DescribeConfigs, with which Connect checks that those
    topics are compacted.
    """

    name: str
    produces: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    group: str | None = None
    group_pattern: PatternType = PatternType.LITERAL
    extra_groups: tuple[str, ...] = ()
    """Further consumer groups, each literally (Kafka Connect's sink connectors)."""
    owned_topic_prefix: str | None = None
    """Prefix of the topics the user creates and runs itself (Kafka Connect's internal topics)."""

    def __post_init__(self) -> None:
        _check_name("Kafka user", self.name, _DNS_SUBDOMAIN, _MAX_USER_NAME)
        if not self.produces and not self.consumes:
            raise ValueError(f"user {self.name}: give the topics it produces to or consumes")
        if bool(self.consumes) != (self.group is not None):
            raise ValueError(
                f"user {self.name}: a consumer needs its group, and only a consumer has one"
            )
        if self.extra_groups and self.group is None:
            raise ValueError(f"user {self.name}: extra groups need the consumer's own group")
        for topic in (*self.produces, *self.consumes):
            _check_topic_name(topic)
        if self.owned_topic_prefix is not None:
            _check_topic_name(self.owned_topic_prefix)
            # The prefix rule would grant such a topic Create and Write beyond what was asked.
            inside = sorted(
                topic
                for topic in {*self.produces, *self.consumes}
                if topic.startswith(self.owned_topic_prefix)
            )
            if inside:
                raise ValueError(
                    f"user {self.name}: topics {', '.join(inside)} fall under its own prefix "
                    f"{self.owned_topic_prefix!r}"
                )

    def acls(self) -> list[dict[str, Any]]:
        """The ``authorization.acls`` rules, one per topic and one for the group."""
        operations: dict[str, list[str]] = {}
        for topic in self.consumes:
            operations.setdefault(topic, []).append("Read")
        for topic in self.produces:
            operations.setdefault(topic, []).append("Write")
        rules = [
            _acl("topic", topic, PatternType.LITERAL, [*ops, "Describe"])
            for topic, ops in sorted(operations.items())
        ]
        if self.owned_topic_prefix is not None:
            rules.append(
                _acl(
                    "topic",
                    self.owned_topic_prefix,
                    PatternType.PREFIX,
                    ["Create", "Read", "Write", "Describe", "DescribeConfigs"],
                )
            )
        if self.group is not None:
            rules.append(_acl("group", self.group, self.group_pattern, ["Read"]))
        rules += [
            _acl("group", group, PatternType.LITERAL, ["Read"])
            for group in sorted(set(self.extra_groups) - {self.group})
        ]
        return rules


@dataclass(frozen=True)
class StrimziNames:
    """Names of the objects Strimzi generates for a cluster, which other components refer to."""

    cluster: str

    @property
    def bootstrap_service(self) -> str:
        return f"{self.cluster}-kafka-bootstrap"

    @property
    def tls_bootstrap(self) -> str:
        """``host:port`` of the TLS listener, for clients in the cluster's namespace."""
        return f"{self.bootstrap_service}:{TLS_PORT}"

    @property
    def cluster_ca_secret(self) -> str:
        """The Secret with the CA that signed the brokers' certificates (key ``ca.crt``)."""
        return f"{self.cluster}-cluster-ca-cert"

    @staticmethod
    def user_secret(user: str) -> str:
        """The Secret the User Operator writes a user's certificate or password to."""
        return user

    def pod_names(self, pool: NodePool) -> list[str]:
        return [f"{self.cluster}-{pool.name}-{node_id}" for node_id in pool.active_node_ids()]

    def pvc_names(self, pool: NodePool) -> list[str]:
        """The pool's claims, ``data-<volume id>-<cluster>-<pool>-<node id>``, node by node."""
        return [
            strimzi_claim(self.cluster, pool.name, node_id, volume)
            for node_id in pool.active_node_ids()
            for volume in range(pool.volumes)
        ]


def kafka_body(cluster: KafkaCluster) -> dict[str, Any]:
    """The ``Kafka`` resource: KRaft with node pools, TLS clients, simple authorization.

    Pod-level settings of the brokers live in the pools (:func:`node_pool_body`): Strimzi does
    not merge a pool's ``template`` with the Kafka's, so anything put here for brokers would be
    ignored. Only the disruption budget, which exists once per cluster, is set here.
    """
    annotations = {}
    if cluster.api_version == API_V1BETA2:
        # Operators that still serve v1beta2 were documented with these annotations for KRaft
        # clusters with node pools (up to 0.45 they are required); where ignored they do no harm.
        annotations = {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"}
    authorization: dict[str, Any] = {"type": "simple"}
    if cluster.super_users:
        authorization["superUsers"] = list(cluster.super_users)
    return resource_body(
        cluster,
        "Kafka",
        cluster.name,
        annotations=annotations,
        spec={
            "kafka": {
                "version": cluster.version,
                "metadataVersion": cluster.kraft_metadata_version(),
                "listeners": _listeners(cluster),
                "authorization": authorization,
                "config": cluster.broker_config(),
                "rack": {"type": "topology-label", "topologyKey": cluster.topology_key},
                "metricsConfig": {
                    "type": "jmxPrometheusExporter",
                    "valueFrom": {
                        "configMapKeyRef": {
                            "name": cluster.metrics.config_map,
                            "key": cluster.metrics.key,
                        }
                    },
                },
                "template": {"podDisruptionBudget": {"maxUnavailable": 1}},
            },
            "entityOperator": {
                "topicOperator": {"resources": cluster.operator_resources.to_dict()},
                "userOperator": {"resources": cluster.operator_resources.to_dict()},
                "template": {
                    "pod": {"securityContext": restricted_pod_security_context()},
                    "topicOperatorContainer": _hardened_container(),
                    "userOperatorContainer": _hardened_container(),
                },
            },
            "kafkaExporter": {
                "groupRegex": cluster.exporter_group_regex,
                "topicRegex": cluster.exporter_topic_regex,
                "resources": cluster.exporter_resources.to_dict(),
                "template": {
                    "pod": {"securityContext": restricted_pod_security_context()},
                    "container": _hardened_container(),
                },
            },
        },
    )


def node_pool_body(cluster: KafkaCluster, pool: NodePool) -> dict[str, Any]:
    """The ``KafkaNodePool``: JBOD claims kept on deletion, restricted pods spread over zones."""
    pod_template: dict[str, Any] = {}
    if cluster.use_stork:
        pod_template["schedulerName"] = STORK_SCHEDULER
    pod_template["securityContext"] = restricted_pod_security_context(fs_group=KAFKA_FS_GROUP)
    pod_template["topologySpreadConstraints"] = zone_spread(
        {CLUSTER_LABEL: cluster.name, POOL_LABEL: pool.name},
        cluster.topology_key,
        strict=cluster.strict_zone_spread,
    )
    volumes = [
        {
            "id": volume,
            "type": "persistent-claim",
            "size": pool.volume_size,
            "class": pool.storage_class,
            "deleteClaim": False,
        }
        for volume in range(pool.volumes)
    ]
    volumes[0]["kraftMetadata"] = "shared"
    heap = pool.jvm_heap()
    return resource_body(
        cluster,
        "KafkaNodePool",
        pool.name,
        labels={CLUSTER_LABEL: cluster.name},
        annotations={NEXT_NODE_IDS_ANNOTATION: _id_range(pool.node_ids)},
        spec={
            "replicas": pool.replicas,
            "roles": [role.value for role in Role if role in pool.roles],
            "storage": {"type": "jbod", "volumes": volumes},
            "resources": pool.resources.to_dict(),
            "jvmOptions": {"-Xms": heap, "-Xmx": heap},
            "template": {
                "pod": pod_template,
                "kafkaContainer": _hardened_container(),
                # Runs only for rack awareness (topology-label), to read the node's zone.
                "initContainer": _hardened_container(),
            },
        },
    )


def topic_body(cluster: KafkaCluster, topic: Topic) -> dict[str, Any]:
    """The ``KafkaTopic``, stating its replicas even when they come from the broker default."""
    return resource_body(
        cluster,
        "KafkaTopic",
        topic_resource_name(topic.name),
        labels={CLUSTER_LABEL: cluster.name},
        spec={
            "topicName": topic.name,
            "partitions": topic.partitions,
            "replicas": _topic_replicas(cluster, topic),
            "config": dict(topic.config),
        },
    )


def user_body(cluster: KafkaCluster, user: User) -> dict[str, Any]:
    """The ``KafkaUser``, authenticated like the cluster's listeners, with its ACLs only."""
    return resource_body(
        cluster,
        "KafkaUser",
        user.name,
        labels={CLUSTER_LABEL: cluster.name},
        spec={
            "authentication": {"type": cluster.authentication.value},
            "authorization": {"type": "simple", "acls": user.acls()},
        },
    )


def topic_resource_name(topic: str) -> str:
    """A Kubernetes name for a topic: the topic's own name when valid, else a safe one.

    Kafka allows ``_`` and capitals, Kubernetes does not; a digest of the real name keeps
    ``Orders_v1`` and ``orders-v1`` apart.
    """
    if _DNS_SUBDOMAIN.fullmatch(topic) and len(topic) <= 253:
        return topic
    safe = re.sub(r"[^a-z0-9.-]+", "-", topic.lower()).strip("-.")
    digest = hashlib.sha256(topic.encode()).hexdigest()[:8]
    return f"{safe[:200]}-{digest}" if safe else f"topic-{digest}"


def check_cluster(
    cluster: KafkaCluster, pools: Sequence[NodePool], topics: Iterable[Topic] = ()
) -> None:
    """Raise ValueError naming every way the pools and topics can't work with the cluster.

    Checks what no single resource can: a KRaft quorum and at least one broker, node IDs and
    pod names Strimzi can use, and replication settings the brokers can satisfy.
    """
    problems = []
    names = [pool.name for pool in pools]
    problems += [f"node pool {name} is defined twice" for name in _duplicates(names)]
    controllers = sum(p.replicas for p in pools if Role.CONTROLLER in p.roles)
    brokers = sum(p.replicas for p in pools if Role.BROKER in p.roles)
    if controllers == 0:
        problems.append("no KRaft controller: give a pool the controller role and replicas")
    elif controllers % 2 == 0:
        problems.append(
            f"{controllers} KRaft controllers: use 1, 3 or 5, as a quorum of {controllers} "
            f"tolerates no more failures than one of {controllers - 1}"
        )
    if brokers == 0:
        problems.append("no broker: give a pool the broker role and replicas")
    for index, pool in enumerate(pools):
        problems += [
            f"node pools {pool.name} and {other.name} share node IDs"
            for other in pools[index + 1 :]
            if range(
                max(pool.node_ids.start, other.node_ids.start),
                min(pool.node_ids.stop, other.node_ids.stop),
            )
        ]
        longest = f"{cluster.name}-{pool.name}-{pool.node_ids[-1]}"
        if len(longest) > 63:
            problems.append(f"pod name {longest} is longer than 63 characters")
    config = cluster.broker_config()
    problems += [
        f"{key} {config[key]} exceeds the {brokers} broker(s)"
        for key in REPLICATION_FACTORS
        if int(config[key]) > brokers
    ]
    problems += [
        f"{key} {config[key]} exceeds {factor} {config[factor]}: every acks=all write would fail"
        for key, factor in MIN_ISR_BOUNDS.items()
        if int(config[key]) > int(config[factor])
    ]
    for topic in topics:
        replicas = _topic_replicas(cluster, topic)
        min_isr = int(topic.config.get("min.insync.replicas", config["min.insync.replicas"]))
        if replicas > brokers:
            problems.append(f"topic {topic.name}: {replicas} replicas exceed {brokers} broker(s)")
        if min_isr > replicas:
            problems.append(
                f"topic {topic.name}: min.insync.replicas {min_isr} exceeds its {replicas} "
                "replicas: every acks=all write would fail"
            )
    if problems:
        raise ValueError(f"Kafka {cluster.name}: " + "; ".join(problems))


def _listeners(cluster: KafkaCluster) -> list[dict[str, Any]]:
    listeners = [
        {
            "name": TLS_LISTENER,
            "port": TLS_PORT,
            "type": "internal",
            "tls": True,
            "authentication": {"type": cluster.authentication.value},
            "networkPolicyPeers": [peer.to_dict() for peer in cluster.client_peers],
        }
    ]
    if cluster.allow_plaintext:
        # Still authenticated: an anonymous listener would bypass every user's ACLs.
        listeners.append(
            {
                "name": PLAIN_LISTENER,
                "port": PLAIN_PORT,
                "type": "internal",
                "tls": False,
                "authentication": {"type": Authentication.SCRAM_SHA_512.value},
                "networkPolicyPeers": [peer.to_dict() for peer in cluster.client_peers],
            }
        )
    return listeners


class StrimziOwner(Protocol):
    """What every Strimzi resource of a cluster shares: a Kafka or a Kafka Connect cluster."""

    namespace: Any
    labels: Mapping[str, str]
    api_version: str


def resource_body(
    owner: StrimziOwner,
    kind: str,
    name: str,
    *,
    spec: dict[str, Any],
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A Strimzi resource of ``owner``'s cluster: its namespace, labels and apiVersion."""
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": owner.namespace,
        "labels": {**owner.labels, **(labels or {})},
    }
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": owner.api_version, "kind": kind, "metadata": metadata, "spec": spec}


def _hardened_container() -> dict[str, Any]:
    return {"securityContext": restricted_container_security_context()}


def _acl(kind: str, name: str, pattern: PatternType, operations: list[str]) -> dict[str, Any]:
    return {
        "resource": {"type": kind, "name": name, "patternType": pattern.value},
        "operations": operations,
    }


def _topic_replicas(cluster: KafkaCluster, topic: Topic) -> int:
    if topic.replicas is not None:
        return topic.replicas
    return int(cluster.broker_config()["default.replication.factor"])


def _id_range(ids: range) -> str:
    """Strimzi's node ID list notation: ``[0-2]``, or ``[5]`` for a single ID."""
    if len(ids) == 1:
        return f"[{ids.start}]"
    return f"[{ids.start}-{ids[-1]}]"


def _check_name(what: str, name: str, pattern: re.Pattern[str], max_length: int) -> None:
    if not pattern.fullmatch(name) or len(name) > max_length:
        raise ValueError(
            f"{what} name {name!r}: at most {max_length} characters, {_NAME_RULES[pattern]}"
        )


def _check_topic_name(name: str) -> None:
    if not _TOPIC_NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"topic name {name!r}: use 1-249 letters, digits, '.', '_' or '-'")


def _duplicates(names: Iterable[str]) -> list[str]:
    return sorted(name for name, count in Counter(names).items() if count > 1)


def _pairings() -> str:
    return ", ".join(f"{minor}.x with {meta}" for minor, meta in METADATA_VERSIONS.items())
