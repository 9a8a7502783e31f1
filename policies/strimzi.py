"""Strimzi rules: partitions kept on enough brokers, writes acknowledged by more than one of them,
no out-of-sync leader, storage that outlives pods and Kafka nodes, listeners that authenticate.

Also where Strimzi's custom resources claim volumes, for the catalog policy: node pools'
storage, and the Kafka resource's own storage in the ZooKeeper-era ``v1beta2`` (no longer in
``v1``, where pools hold it).

Kafka reads its config from strings as well as from numbers and booleans (``"3"``, ``"true"``)
and Strimzi passes values on as written, so the config readers here take both. A topic's config
overrides its brokers', so a topic is judged on what it sets and, for what it leaves out, on the
config of its cluster: the ``Kafka`` its ``strimzi.io/cluster`` label names in its namespace.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from components.stork import strimzi_claim
from components.strimzi import CLUSTER_LABEL, NEXT_NODE_IDS_ANNOTATION
from policies.capacity import VolumeReader, Volumes
from policies.catalog import ClassReader, ClassReference
from policies.claim_names import ClaimNamer, ClaimNames
from policies.engine import ReportResource, ReportStack, Stack
from policies.objects import class_problems, describe
from policies.record import Field, InputError, Kind, Resource
from policies.storage_classes import STORAGE_CLASS

KAFKA = Kind("kafka.strimzi.io", "Kafka")
KAFKA_NODE_POOL = Kind("kafka.strimzi.io", "KafkaNodePool")
KAFKA_TOPIC = Kind("kafka.strimzi.io", "KafkaTopic")

REPLICATION_POLICY = "kafka-replication"
MIN_ISR_POLICY = "kafka-min-insync-replicas"

REPLICATION_FACTOR = "default.replication.factor"
MIN_ISR = "min.insync.replicas"
UNCLEAN_ELECTION = "unclean.leader.election.enable"
# What Kafka itself uses for both default.replication.factor and min.insync.replicas when the
# config leaves them out: a single copy, acknowledged by a single broker.
KAFKA_DEFAULT_COUNT = 1
# Fewest in-sync replicas that must hold a write before acks=all producers see it acknowledged,
# wherever a partition has enough replicas to afford it and still lose a broker.
DURABLE_MIN_ISR = 2

_WHOLE_NUMBER = re.compile(r"\s*-?[0-9]+\s*")

StorageReader = Callable[[Resource], Iterator[Field]]


def _of_kind(stack: Stack, kind: Kind) -> Iterator[Resource]:
    return (resource for resource in stack.resources if resource.kind == kind)


def storage_volumes(storage: Field) -> Iterator[Field]:
    """The volumes of a Strimzi storage spec: itself, or each volume of a JBOD spec."""
    storage_type = storage.at("type")
    if storage_type.required_text() == "jbod":
        for volume in storage.at("volumes").required().items():
            yield from storage_volumes(volume)
    elif storage_type.text() in ("persistent-claim", "ephemeral"):
        yield storage
    else:
        raise storage_type.reject("one of ephemeral, persistent-claim, jbod")


def volume_classes(volume: Field) -> Iterator[ClassReference]:
    """Classes of one volume: a persistent claim names its class in ``class`` (and, before
    Strimzi 1.0, per broker in ``overrides``); ephemeral storage is an emptyDir and names none."""
    if volume.at("type").text() != "persistent-claim":
        return
    yield ClassReference.at(volume.at("class"))
    for override in volume.at("overrides").items():
        if override.at("class").text() is not None:
            yield ClassReference.at(override.at("class"))


def _node_pool_storage(resource: Resource) -> Iterator[Field]:
    yield resource.at("spec", "storage").required()


def _kafka_storage(resource: Resource) -> Iterator[Field]:
    for part in ("kafka", "zookeeper"):
        storage = resource.at("spec", part, "storage")
        if storage.object() is not None:
            yield storage


STORAGE_READERS: dict[Kind, StorageReader] = {
    KAFKA_NODE_POOL: _node_pool_storage,
    KAFKA: _kafka_storage,
}
"""Every storage spec of a resource of the kind, by kind."""


def _class_reader(read_storage: StorageReader) -> ClassReader:
    def read(resource: Resource) -> Iterator[ClassReference]:
        for storage in read_storage(resource):
            for volume in storage_volumes(storage):
                yield from volume_classes(volume)

    return read


CLASS_READERS: dict[Kind, ClassReader] = {
    kind: _class_reader(read) for kind, read in STORAGE_READERS.items()
}


def check_storage(stack: Stack, settings: Mapping[str, Any], report: ReportStack) -> None:
    """Volumes that keep Kafka's data: persistent, kept when a node goes, and on a class of an
    allowed role that is not sharedv4. Classes outside the stack's catalog are left to the
    catalog policy, which names them."""
    classes = {
        name: resource
        for resource in _of_kind(stack, STORAGE_CLASS)
        if (name := resource.at("metadata", "name").text())
    }
    for resource in stack.resources:
        read_storage = STORAGE_READERS.get(resource.kind)
        if read_storage is None:
            continue
        for storage in read_storage(resource):
            for volume in storage_volumes(storage):
                for problem in _volume_problems(volume, classes, settings):
                    report(f"{describe(resource)} {problem}", resource)


def _volume_problems(
    volume: Field, classes: Mapping[str, Resource], settings: Mapping[str, Any]
) -> Iterator[str]:
    if volume.at("type").text() == "ephemeral" and not settings["allowEphemeral"]:
        yield (
            f"keeps {volume.path} on ephemeral storage (an emptyDir), which is lost whenever its "
            "pod restarts or moves; use type persistent-claim"
        )
    if volume.at("deleteClaim").flag():
        yield (
            f"sets {volume.path}.deleteClaim: true, so Strimzi deletes the claim whenever its "
            "Kafka node is deleted (scale-down or cluster deletion); set it false"
        )
    for where, class_name in volume_classes(volume):
        storage_class = classes.get(class_name or "")
        if storage_class is not None:
            for problem in class_problems(
                storage_class,
                settings["allowedRoles"],
                "Kafka",
                "Kafka needs block volumes of its own for its logs",
            ):
                yield f"has {where} {class_name!r}, {problem}"


def _config_count(field: Field) -> int | None:
    """A count in Kafka config, which takes a number or a string of one."""
    if not isinstance(field.value, str):
        return field.whole_number()
    text = field.text()
    if not _WHOLE_NUMBER.fullmatch(text):
        raise field.reject("a whole number")
    return int(text)


def _config_flag(field: Field) -> bool | None:
    """A boolean in Kafka config, which also takes "true" and "false" in any case."""
    if not isinstance(field.value, str):
        return field.flag()
    text = field.text().strip().lower()
    if text not in ("true", "false"):
        raise field.reject("true or false")
    return text == "true"


def _broker_config(kafka: Resource) -> Field:
    return kafka.at("spec", "kafka", "config")


@dataclass(frozen=True)
class _Count:
    """A replica count in force for a cluster or a topic, and how a message tells it."""

    value: int
    told: str


def _broker_count(kafka: Resource, key: str) -> _Count:
    """The count the brokers' config gives ``key``, Kafka's default when it is left out."""
    value = _config_count(_broker_config(kafka).at(key))
    if value is None:
        return _Count(KAFKA_DEFAULT_COUNT, f"{key} {KAFKA_DEFAULT_COUNT} (unset: Kafka's default)")
    return _Count(value, f"{key} {value}")


class _TopicCounts:
    """The counts in force for a stack's topics: their own, else their cluster's."""

    def __init__(self, stack: Stack, policy: str) -> None:
        self._stack = stack
        self._policy = policy

    def replicas(self, topic: Resource) -> _Count | None:
        """The topic's replicas; None when it sets none and its cluster is not in the stack."""
        own = topic.at("spec", "replicas").whole_number()
        if own is not None:
            return _Count(own, f"replicas {own}")
        return self._inherited(topic, REPLICATION_FACTOR, "replicas", "spec.replicas")

    def min_isr(self, topic: Resource) -> _Count | None:
        """The topic's min.insync.replicas; None when it sets none and its cluster is not in the
        stack."""
        field = topic.at("spec", "config", MIN_ISR)
        own = _config_count(field)
        if own is not None:
            return _Count(own, f"{MIN_ISR} {own}")
        return self._inherited(topic, MIN_ISR, MIN_ISR, field.path)

    def unresolved(self, topic: Resource, unset: str) -> str:
        """What a message says of a topic whose cluster is not there to give ``unset``."""
        name = self._cluster_name(topic)
        if name is None:
            return f"sets no {unset}, nor a {CLUSTER_LABEL} label naming the cluster that gives it"
        return f'sets no {unset}, and its cluster Kafka "{name}" is not in the stack to give it'

    @functools.cached_property
    def _clusters(self) -> dict[tuple[str | None, str], Resource]:
        return {
            (resource.at("metadata", "namespace").text(), name): resource
            for resource in _of_kind(self._stack, KAFKA)
            if (name := resource.at("metadata", "name").text())
        }

    @staticmethod
    def _cluster_name(topic: Resource) -> str | None:
        return topic.at("metadata", "labels", CLUSTER_LABEL).text()

    def _inherited(self, topic: Resource, key: str, shown: str, unset: str) -> _Count | None:
        name = self._cluster_name(topic)
        if name is None:
            return None
        kafka = self._clusters.get((topic.at("metadata", "namespace").text(), name))
        if kafka is None:
            if not self._stack.complete:
                raise InputError(
                    f"{self._policy} cannot judge {topic.label}: it sets no {unset}, so its "
                    f'cluster Kafka "{name}" gives it, and the preview leaves out the resources '
                    "it does not change, which may include that cluster. Run "
                    "`pulumi preview --json --show-sames`."
                )
            return None
        value = _config_count(_broker_config(kafka).at(key))
        cluster = describe(kafka)
        if value is None:
            return _Count(
                KAFKA_DEFAULT_COUNT,
                f"{shown} {KAFKA_DEFAULT_COUNT} (Kafka's default, as {cluster} sets no {key})",
            )
        return _Count(value, f"{shown} {value} (from {cluster}'s {key})")


def check_replication(stack: Stack, settings: Mapping[str, Any], report: ReportStack) -> None:
    minimum = settings["minimum"]
    for kafka in _of_kind(stack, KAFKA):
        factor = _broker_count(kafka, REPLICATION_FACTOR)
        if factor.value < minimum:
            where = _broker_config(kafka).at(REPLICATION_FACTOR).path
            report(f"{describe(kafka)} has {factor.told}; set {where} to at least {minimum}", kafka)
    counts = _TopicCounts(stack, REPLICATION_POLICY)
    for topic in _of_kind(stack, KAFKA_TOPIC):
        replicas = counts.replicas(topic)
        if replicas is None:
            told = counts.unresolved(topic, "spec.replicas")
        elif replicas.value < minimum:
            told = f"has {replicas.told}"
        else:
            continue
        report(f"{describe(topic)} {told}; set spec.replicas to at least {minimum}", topic)


def check_min_isr(stack: Stack, _settings: Mapping[str, Any], report: ReportStack) -> None:
    for kafka in _of_kind(stack, KAFKA):
        min_isr = _broker_count(kafka, MIN_ISR)
        replicas = _broker_count(kafka, REPLICATION_FACTOR)
        problem = _min_isr_problem(min_isr, replicas)
        if problem:
            report(f"{describe(kafka)} {problem}", kafka)
    counts = _TopicCounts(stack, MIN_ISR_POLICY)
    for topic in _of_kind(stack, KAFKA_TOPIC):
        replicas = counts.replicas(topic)
        if replicas is None:
            continue  # kafka-replication names the topic: there is no count to judge against
        min_isr = counts.min_isr(topic)
        if min_isr is None:
            unset = topic.at("spec", "config", MIN_ISR).path
            problem = (
                f"{counts.unresolved(topic, unset)}; set it to {_allowed_min_isr(replicas.value)}"
            )
        else:
            problem = _min_isr_problem(min_isr, replicas)
        if problem:
            report(f"{describe(topic)} {problem}", topic)


def _allowed_min_isr(replicas: int) -> str:
    """In-sync replicas that let one broker go without stopping producers, and that put each
    acknowledged write on two brokers wherever the replicas allow both."""
    low = DURABLE_MIN_ISR if replicas > DURABLE_MIN_ISR else 1
    high = max(replicas - 1, 1)
    return str(low) if low == high else f"{low}..{high}"


def _min_isr_problem(min_isr: _Count, replicas: _Count) -> str | None:
    if min_isr.value > replicas.value:
        consequence = "so every acks=all write fails"
    elif replicas.value > 1 and min_isr.value == replicas.value:
        consequence = "so losing one broker stops acks=all producers"
    elif replicas.value > DURABLE_MIN_ISR and min_isr.value < DURABLE_MIN_ISR:
        consequence = "so an acks=all write may be acknowledged by a single broker"
    elif min_isr.value < 1:
        consequence = "which Kafka refuses"
    else:
        return None
    return (
        f"has {min_isr.told} for {replicas.told}, {consequence}; allowed: "
        f"{_allowed_min_isr(replicas.value)}"
    )


def _check_unclean_election(resource: Resource, config: Field, report: ReportResource) -> None:
    field = config.at(UNCLEAN_ELECTION)
    if _config_flag(field):
        report(
            f"{describe(resource)} enables unclean leader election ({field.path}), so a replica "
            "that missed acknowledged writes may become leader and lose them; set it false"
        )


def check_broker_unclean_election(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    _check_unclean_election(resource, _broker_config(resource), report)


def check_topic_unclean_election(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    _check_unclean_election(resource, resource.at("spec", "config"), report)


def check_listener_authentication(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    for listener in resource.at("spec", "kafka", "listeners").required().items():
        if listener.at("authentication").object() is None:
            name = listener.at("name").required_text()
            report(
                f'{describe(resource)} has listener "{name}" ({listener.path}) without '
                "authentication, so any client that reaches it connects as User:ANONYMOUS; set "
                f"{listener.path}.authentication (type tls, scram-sha-512 or custom)"
            )


def _node_pool_volumes(resource: Resource) -> Iterator[Volumes]:
    """The claims of a node pool: each persistent volume once per node (ephemeral claims none)."""
    replicas = resource.at("spec", "replicas").whole_number() or 0
    for volume in storage_volumes(resource.at("spec", "storage").required()):
        if volume.at("type").text() == "persistent-claim":
            yield Volumes.at(volume.at("class"), volume.at("size"), replicas)


VOLUME_READERS: dict[Kind, VolumeReader] = {KAFKA_NODE_POOL: _node_pool_volumes}


_NODE_ID_ITEM = re.compile(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?")


def _node_ids(pool: Resource, replicas: int) -> list[int] | None:
    """The IDs of a pool's nodes, from ``strimzi.io/next-node-ids`` (``[0-2]``, ``[0-2, 7]``),
    lowest first as Strimzi hands them out; None where the pool does not pin them."""
    annotation = pool.at("metadata", "annotations", NEXT_NODE_IDS_ANNOTATION).text()
    if annotation is None or not annotation.strip().startswith("["):
        return None
    ids: list[int] = []
    for item in annotation.strip().removeprefix("[").removesuffix("]").split(","):
        match = _NODE_ID_ITEM.fullmatch(item)
        if match is None:
            return None
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        ids.extend(range(first, last + 1))
    return ids[:replicas] if len(ids) >= replicas else None


def _node_pool_claim_names(resource: Resource) -> Iterator[ClaimNames]:
    """Each persistent volume's claims: ``data-<volume id>-<cluster>-<pool>-<node id>`` in JBOD
    storage, ``data-<cluster>-<pool>-<node id>`` otherwise. A pool of no cluster (no
    ``strimzi.io/cluster`` label) runs no nodes, and Strimzi refuses a JBOD volume without an
    id: neither claims anything."""
    cluster = resource.at("metadata", "labels", CLUSTER_LABEL).text()
    if cluster is None:
        return
    pool = resource.at("metadata", "name").required_text()
    replicas = resource.at("spec", "replicas").whole_number(minimum=0) or 0
    storage = resource.at("spec", "storage").required()
    jbod = storage.at("type").required_text() == "jbod"
    node_ids = _node_ids(resource, replicas)
    for volume in storage_volumes(storage):
        if volume.at("type").text() != "persistent-claim":
            continue
        volume_id = volume.at("id").whole_number(minimum=0) if jbod else None
        if jbod and volume_id is None:
            continue
        class_name = volume.at("class").text()
        if node_ids is None:
            prefix = strimzi_claim(cluster, pool, 0, volume_id).removesuffix("0")
            yield ClaimNames(
                volume.path, class_name, pattern=re.escape(prefix) + "[0-9]+", count=replicas
            )
        else:
            names = tuple(strimzi_claim(cluster, pool, node, volume_id) for node in node_ids)
            yield ClaimNames(volume.path, class_name, names)


CLAIM_NAMERS: dict[Kind, ClaimNamer] = {KAFKA_NODE_POOL: _node_pool_claim_names}
