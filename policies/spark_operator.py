"""Where spark-operator's custom resources keep their pods' settings and claim volumes.

Named ``spark_operator``: Pulumi runs the pack with this folder first on ``sys.path``, where a
``spark.py`` or ``pyspark.py`` would shadow the libraries of those names.

A ``SparkApplication`` (and the ``spec.template`` of a ``ScheduledSparkApplication``, which is the
same spec) describes two pods, the driver and the executors, each by ``spec.driver`` and
``spec.executor``; both mount from the one ``spec.volumes`` list, whose entries have the shape of
a pod spec's volumes.

Spark itself claims volumes too: a ``sparkConf`` entry
``spark.kubernetes.<role>.volumes.persistentVolumeClaim.<volume>.options.claimName: OnDemand``
makes Spark create a claim per pod of that role, on the class and of the size the volume's
``options.storageClass`` and ``options.sizeLimit`` name (scratch space, ``spark.local.dir``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from policies.capacity import VolumeReader, Volumes
from policies.catalog import ClassReader, ClassReference
from policies.claims import pod_spec_classes
from policies.record import Field, Kind, Resource

SPARK_APPLICATION = Kind("sparkoperator.k8s.io", "SparkApplication")
SCHEDULED_SPARK_APPLICATION = Kind("sparkoperator.k8s.io", "ScheduledSparkApplication")

SPEC_PATHS: dict[Kind, tuple[str, ...]] = {
    SPARK_APPLICATION: ("spec",),
    SCHEDULED_SPARK_APPLICATION: ("spec", "template"),
}
"""Where each kind keeps its application spec."""

ROLES = ("driver", "executor")
# The names Spark gives the main container of each role's pods.
MAIN_CONTAINERS = {"driver": "spark-kubernetes-driver", "executor": "spark-kubernetes-executor"}


def application_spec(resource: Resource) -> Field:
    """The application spec of a SparkApplication or ScheduledSparkApplication."""
    return resource.at(*SPEC_PATHS[resource.kind]).required()


_ON_DEMAND_CLAIM = re.compile(
    r"spark\.kubernetes\.(driver|executor)\.volumes\.persistentVolumeClaim\.([^.]+)"
    r"\.options\.claimName"
)


class OnDemandClaim(NamedTuple):
    """A claim Spark creates per pod of ``role``: the sparkConf entries of its class and size."""

    role: str
    storage_class: Field
    size: Field


def on_demand_claims(spec: Field) -> Iterator[OnDemandClaim]:
    """Each claim Spark creates per pod of a role (``options.claimName: OnDemand``)."""
    conf = spec.at("sparkConf")
    for key in sorted(conf.object() or {}):
        match = _ON_DEMAND_CLAIM.fullmatch(key)
        if match and conf.at(key).text() == "OnDemand":
            options = key.removesuffix("claimName")
            yield OnDemandClaim(
                match[1], conf.at(f"{options}storageClass"), conf.at(f"{options}sizeLimit")
            )


def pods_of(spec: Field, role: str) -> int:
    """How many pods of the role an application runs at most: one driver; the executors'
    instances, or the most dynamic allocation may start."""
    if role == "driver":
        return 1
    allocation = spec.at("dynamicAllocation")
    if allocation.at("enabled").flag():
        most = allocation.at("maxExecutors").whole_number(minimum=0)
        if most is not None:
            return most
    return spec.at("executor", "instances").whole_number(minimum=0) or 1


def _spark_classes(resource: Resource) -> Iterator[ClassReference]:
    spec = application_spec(resource)
    # spec.volumes has the shape of a pod spec's volumes: its ephemeral volumes claim per pod.
    yield from pod_spec_classes(spec)
    for claim in on_demand_claims(spec):
        yield ClassReference.at(claim.storage_class)


def _spark_volumes(resource: Resource) -> Iterator[Volumes]:
    # A scheduled application's claims exist while a run does: planned as if one always did.
    spec = application_spec(resource)
    for claim in on_demand_claims(spec):
        yield Volumes.at(claim.storage_class, claim.size, pods_of(spec, claim.role))


CLASS_READERS: dict[Kind, ClassReader] = {kind: _spark_classes for kind in SPEC_PATHS}
VOLUME_READERS: dict[Kind, VolumeReader] = {kind: _spark_volumes for kind in SPEC_PATHS}
