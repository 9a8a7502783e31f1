"""``pipelines.<name>.kafka``: the pipeline's Kafka cluster (Strimzi, KRaft), topics and clients.

Defaults follow Strimzi's and Apache Kafka's guidance (REFERENCE.md, "Tuning guidance"): three
dedicated controllers and three brokers, replication factor 3 with min ISR 2, heap at half the
memory limit (the page cache does the real work), JBOD volumes on a self-replicating role.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.quantities import parse_quantity
from components.strimzi import DURABLE_BROKER_CONFIG, MIN_ISR_BOUNDS, REPLICATION_FACTORS
from pipeline.config.base import (
    ConfigModel,
    DnsLabel,
    Problem,
    Quantity,
    ShortName,
    between,
    config_rule,
    matching,
    no_duplicates,
    raise_problems,
)
from pipeline.config.compute import MemoryQuantity, ResourcesConfig, resources

TopicName = Annotated[
    str,
    AfterValidator(
        matching(
            r"(?=.{1,100}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?",
            "a topic name of at most 100 characters: lowercase letters, digits, '.' and '-'",
        )
    ),
]
KafkaVersion = Annotated[
    str, AfterValidator(matching(r"[0-9]+\.[0-9]+\.[0-9]+", "a Kafka version such as 4.3.1"))
]
ConfigValue = str | int | float | bool


class KafkaNodesConfig(ConfigModel):
    """One node pool: how many nodes, their volumes, resources and heap."""

    replicas: Annotated[int, AfterValidator(between(1, 99))]
    storage: Quantity
    """Size of each volume."""
    resources: ResourcesConfig
    heap: MemoryQuantity
    """JVM heap (-Xms = -Xmx). At most half the memory limit: the page cache needs the rest."""
    volumes: Annotated[int, AfterValidator(between(1, 8))] = 1
    """JBOD volumes per node (brokers): each one a claim on the storage role's class."""

    @model_validator(mode="after")
    def _heap_leaves_room_for_the_page_cache(self) -> KafkaNodesConfig:
        limit = self.resources.limits.memory
        if parse_quantity(self.heap) * 2 > parse_quantity(limit):
            raise config_rule(
                f"heap {self.heap} is more than half of resources.limits.memory {limit} "
                "(Kafka needs the rest for the page cache)"
            )
        return self


class KafkaTopicConfig(ConfigModel):
    partitions: Annotated[int, AfterValidator(between(1, 10000))] = 12
    """Can only grow: Kafka cannot take partitions away from a topic."""
    replicas: Annotated[int, AfterValidator(between(1, 99))] = 3
    config: dict[str, ConfigValue] = Field(default_factory=dict)
    """Topic config, e.g. retention.ms, cleanup.policy."""


class KafkaClientConfig(ConfigModel):
    """A stage that talks to Kafka: it gets a KafkaUser allowed exactly these topics."""

    produces: Annotated[tuple[TopicName, ...], AfterValidator(no_duplicates)] = ()
    consumes: Annotated[tuple[TopicName, ...], AfterValidator(no_duplicates)] = ()
    group: DnsLabel | None = None
    """Consumer group; ``<pipeline>-<client>`` when unset."""


class KafkaConfig(ConfigModel):
    """The pipeline's Kafka: one Strimzi cluster in the pipeline's namespace."""

    version: KafkaVersion = "4.3.1"
    """Kafka version; Strimzi 1.2.0 supports 4.2.0 to 4.3.1."""
    storage_role: ShortName = "replicated"
    """Catalog role of every Kafka volume; the pipeline must claim it (pipelines.<p>.storage)."""
    node_pools: Literal["dedicated", "combined"] = "dedicated"
    """dedicated: separate controller and broker pools (production); combined: one pool of
    nodes that are both (small and dev clusters only); it uses the brokers' settings."""
    controllers: KafkaNodesConfig = KafkaNodesConfig(
        replicas=3, storage="20Gi", resources=resources("500m", "2Gi", "1"), heap="1Gi"
    )
    brokers: KafkaNodesConfig = KafkaNodesConfig(
        replicas=3, storage="100Gi", resources=resources("1", "8Gi", "2"), heap="4Gi"
    )
    authentication: Literal["tls", "scram-sha-512"] = "tls"
    """How clients authenticate on the TLS listener (mutual TLS or SCRAM over TLS)."""
    plaintext_listener: bool = False
    """Also open an unauthenticated, unencrypted listener (9092). Never in prod."""
    client_namespaces: Annotated[tuple[DnsLabel, ...], AfterValidator(no_duplicates)] = ()
    """Other namespaces whose pods may reach the client listener (the pipeline's own may)."""
    config: dict[str, ConfigValue] = Field(default_factory=dict)
    """Broker config over the durable defaults (default.replication.factor 3, min.insync.replicas
    2, unclean.leader.election.enable false, ...)."""
    topics: Annotated[dict[TopicName, KafkaTopicConfig], Field(min_length=1)]
    clients: dict[ShortName, KafkaClientConfig] = Field(default_factory=dict)
    """Client stages of the pipeline (producers now; the loader and ML stages ask for theirs)."""
    max_consumer_lag: Annotated[int, AfterValidator(between(1, 10**9))] = 10000
    """Alert when a consumer group of the pipeline lags more messages than this."""

    @model_validator(mode="after")
    def _check_the_cluster(self) -> KafkaConfig:
        raise_problems(self._problems())
        return self

    def _problems(self) -> Iterator[Problem]:
        """What Strimzi or Kafka would refuse, or run unsafely, once deployed."""
        brokers = self.brokers.replicas
        controllers = brokers if self.node_pools == "combined" else self.controllers.replicas
        quorum = "brokers" if self.node_pools == "combined" else "controllers"
        if controllers % 2 == 0:
            yield Problem(
                (quorum, "replicas"),
                controllers,
                "an odd number of KRaft controllers: a quorum of "
                f"{controllers} tolerates no more failures than one of {controllers - 1}",
            )
        if self.plaintext_listener and self.authentication != "scram-sha-512":
            yield Problem(
                ("plaintextListener",),
                rule="needs authentication scram-sha-512 (TLS client certificates need TLS)",
            )
        config = {**DURABLE_BROKER_CONFIG, **self.config}
        counts = {
            key: _whole_number(config[key]) for key in (*REPLICATION_FACTORS, *MIN_ISR_BOUNDS)
        }
        for key, count in counts.items():
            if count is None:
                yield Problem(("config", key), config[key], "a whole number")
        for key in REPLICATION_FACTORS:
            if (counts[key] or 0) > brokers:
                yield Problem(("config", key), config[key], f"at most the {brokers} brokers")
        for key, factor in MIN_ISR_BOUNDS.items():
            if None not in (counts[key], counts[factor]) and counts[key] > counts[factor]:
                yield Problem(("config", key), config[key], f"at most {factor} {config[factor]}")
        for name, topic in self.topics.items():
            if topic.replicas > brokers:
                yield Problem(
                    ("topics", name, "replicas"),
                    topic.replicas,
                    f"at most the {brokers} brokers: each replica needs a broker of its own",
                )
            where = ("topics", name, "config", "min.insync.replicas")
            if "min.insync.replicas" in topic.config:
                min_isr = _whole_number(topic.config["min.insync.replicas"])
                if min_isr is None:
                    yield Problem(where, topic.config["min.insync.replicas"], "a whole number")
                    continue
            else:
                min_isr = counts["min.insync.replicas"]
            if min_isr is not None and min_isr > topic.replicas:
                yield Problem(where, min_isr, f"at most the topic's {topic.replicas} replicas")


def _whole_number(value: ConfigValue) -> int | None:
    """A count in Kafka's config: an integer, or its digits as text (Kafka reads both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
