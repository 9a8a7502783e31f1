"""Where spark-operator's custom resources keep their pods' settings and claim volumes.

Named ``spark_operator``: Pulumi runs the pack with this folder first on ``sys.path``, where a
``spark.py`` or ``pyspark.py`` would shadow the libraries of those names.

A ``SparkApplication`` (and the ``spec.template`` of a ``ScheduledSparkApplication``, which is the
same spec) describes two pods, the driver and the executors, each by ``spec.driver`` and
``spec.executor``; both mount from the one ``spec.volumes`` list, whose entries have the shape of
a pod spec's volumes.
"""

from __future__ import annotations

from collections.abc import Iterator

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


def _spark_classes(resource: Resource) -> Iterator[ClassReference]:
    # spec.volumes has the shape of a pod spec's volumes: its ephemeral volumes claim per pod.
    return pod_spec_classes(application_spec(resource))


CLASS_READERS: dict[Kind, ClassReader] = {kind: _spark_classes for kind in SPEC_PATHS}
