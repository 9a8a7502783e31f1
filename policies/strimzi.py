"""Where Strimzi's custom resources claim volumes: node pools' storage, and the Kafka resource's
own storage in the ZooKeeper-era ``v1beta2`` (no longer in ``v1``, where pools hold it)."""

from __future__ import annotations

from collections.abc import Iterator

from policies.capacity import VolumeReader, Volumes
from policies.catalog import ClassReader, ClassReference
from policies.record import Field, Kind, Resource

KAFKA = Kind("kafka.strimzi.io", "Kafka")
KAFKA_NODE_POOL = Kind("kafka.strimzi.io", "KafkaNodePool")


def storage_classes(storage: Field) -> Iterator[ClassReference]:
    """Classes of a Strimzi storage spec.

    A persistent claim names its class in ``class`` (and, before Strimzi 1.0, per broker in
    ``overrides``); JBOD holds a storage spec per volume; ephemeral storage is an emptyDir.
    """
    storage_type = storage.at("type")
    if storage_type.required_text() == "persistent-claim":
        yield ClassReference.at(storage.at("class"))
        for override in storage.at("overrides").items():
            if override.at("class").text() is not None:
                yield ClassReference.at(override.at("class"))
    elif storage_type.text() == "jbod":
        for volume in storage.at("volumes").required().items():
            yield from storage_classes(volume)
    elif storage_type.text() != "ephemeral":
        raise storage_type.reject("one of ephemeral, persistent-claim, jbod")


def _node_pool_classes(resource: Resource) -> Iterator[ClassReference]:
    return storage_classes(resource.at("spec", "storage").required())


def _kafka_classes(resource: Resource) -> Iterator[ClassReference]:
    for part in ("kafka", "zookeeper"):
        storage = resource.at("spec", part, "storage")
        if storage.object() is not None:
            yield from storage_classes(storage)


CLASS_READERS: dict[Kind, ClassReader] = {
    KAFKA_NODE_POOL: _node_pool_classes,
    KAFKA: _kafka_classes,
}


def _storage_volumes(storage: Field, replicas: int) -> Iterator[Volumes]:
    """Volumes of a Strimzi storage spec for ``replicas`` nodes (ephemeral storage claims none)."""
    storage_type = storage.at("type").text()
    if storage_type == "persistent-claim":
        yield Volumes.at(storage.at("class"), storage.at("size"), replicas)
    elif storage_type == "jbod":
        for volume in storage.at("volumes").items():
            yield from _storage_volumes(volume, replicas)


def _node_pool_volumes(resource: Resource) -> Iterator[Volumes]:
    replicas = resource.at("spec", "replicas").number()
    return _storage_volumes(resource.at("spec", "storage"), int(replicas or 0))


VOLUME_READERS: dict[Kind, VolumeReader] = {KAFKA_NODE_POOL: _node_pool_volumes}
