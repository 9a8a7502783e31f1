"""PX-Motion: the pipelines' namespaces migrated to a second cluster on a Stork schedule.

What it creates, in this order:

1. an explicit Kubernetes provider for the destination cluster (its kubeconfig a Pulumi secret);
2. on the destination, the stack's own StorageClasses, placement strategy and key Secrets, by
   the same :class:`~components.storage.PortworxStorage` the source uses, from the same Args:
   Stork migrates claims that name a class but never the class itself, and a claim whose class
   is missing, or differs, never binds;
3. on the source, in each pipeline namespace, a Stork ``ClusterPair`` holding how Stork reaches
   the destination (its API server, and Portworx's endpoint and token), and a
   ``MigrationSchedule`` that waits for the pair and for the destination's classes.

Stork creates a migrated namespace on the destination itself, with the source's labels and
annotations (so its Pod Security level goes along), and migrates the namespace's objects; the
operators (Strimzi, ECK) must already run there. The migrated applications never start
(``startApplications: false``): scaling them up is the deliberate cut-over (README runbook).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.k8s import CustomObject
from components.storage import PortworxStorage, PortworxStorageArgs

STORK_API = "stork.libopenstorage.org/v1alpha1"
CLUSTER_PAIR = "destination"
# Stork reports a pair usable once both the scheduler (Kubernetes) and the storage (Portworx)
# sides are paired; schedules that run before that only fail.
_WAIT_FOR_PAIR = {
    "pulumi.com/waitFor": json.dumps(
        ["jsonpath={.status.schedulerStatus}=Ready", "jsonpath={.status.storageStatus}=Ready"]
    )
}


@dataclass(frozen=True)
class PortworxPairArgs:
    """How Portworx here reaches Portworx on the destination (the ClusterPair's options)."""

    ip: str
    port: int
    token: pulumi.Input[str]
    """``pxctl cluster token show`` on the destination, as a Pulumi secret."""
    mode: str
    """DisasterRecovery or OneTimeMigration."""


@dataclass(frozen=True)
class MigrationArgs:
    """Inputs of :class:`Migration`."""

    kubeconfig: pulumi.Input[str]
    """The destination's kubeconfig (YAML), as a Pulumi secret."""
    context: str
    """The context of ``kubeconfig`` to use."""
    cluster_config: pulumi.Input[Mapping[str, Any]]
    """The ClusterPair's ``spec.config``: that context of the kubeconfig as Stork reads it
    (``components.kubeconfig.stork_cluster_config``), as a Pulumi secret."""
    storage: PortworxStorageArgs
    """The Args the source's catalog was made from: the destination gets the same classes."""
    namespaces: Mapping[str, pulumi.Input[str]]
    """Pipeline -> its namespace on the source (the Namespace's output, so objects wait)."""
    portworx: PortworxPairArgs
    schedule_policy: pulumi.Input[str]
    """The Stork SchedulePolicy of the MigrationSchedules."""
    include_volumes: bool
    purge_deleted_resources: bool
    auto_suspend: bool
    labels: dict[str, str]
    render_directory: str | None = None
    """Write the destination's manifests here instead of applying them (the source's renders
    to its own directory)."""
    ready: Sequence[pulumi.Resource] = ()
    """What the Stork objects wait for: Stork registers its CRDs itself when it starts."""


class Migration(pulumi.ComponentResource):
    """The destination cluster's catalog and, per pipeline, a ClusterPair and MigrationSchedule.

    The source side (pairs and schedules) uses the provider this component is given; everything
    on the destination uses a provider of its own, which every destination object names.
    """

    destination_storage: PortworxStorage
    schedules: dict[str, str]
    """Pipeline -> the name of its MigrationSchedule."""

    def __init__(
        self, name: str, args: MigrationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:migration:Migration", name, None, opts)
        self._name = name
        self._args = args
        destination = k8s.Provider(
            f"{name}-destination",
            kubeconfig=pulumi.Output.secret(args.kubeconfig),
            context=args.context,
            render_yaml_to_directory=args.render_directory,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The destination's Prometheus is not this stack's: monitors and alerts stay with the
        # source. Snapshot classes name a Portworx cloud credential, which is made per cluster:
        # they come with the cut-over, when a stack manages the destination as its own.
        self.destination_storage = PortworxStorage(
            f"{name}-storage",
            replace(args.storage, monitoring=None, snapshot_classes=()),
            pulumi.ResourceOptions(parent=self, providers=[destination]),
        )
        classes = [c.resource for c in self.destination_storage.classes.values()]
        cluster_config = pulumi.Output.secret(args.cluster_config)
        self.schedules = {}
        for pipeline, namespace in args.namespaces.items():
            pair = self._create_cluster_pair(pipeline, namespace, cluster_config)
            self.schedules[pipeline] = self._create_schedule(pipeline, namespace, [pair, *classes])
        self.register_outputs(
            {
                "destinationStorageClasses": {
                    role: c.name for role, c in self.destination_storage.classes.items()
                },
                "migrationSchedules": self.schedules,
            }
        )

    def _metadata(self, name: str, namespace: pulumi.Input[str], **extra: Any) -> dict[str, Any]:
        return {"name": name, "namespace": namespace, "labels": dict(self._args.labels), **extra}

    def _create_cluster_pair(
        self, pipeline: str, namespace: pulumi.Input[str], config: pulumi.Output[Any]
    ) -> CustomObject:
        portworx = self._args.portworx
        return CustomObject(
            f"{self._name}-{pipeline}-pair",
            STORK_API,
            "ClusterPair",
            {
                "metadata": self._metadata(CLUSTER_PAIR, namespace, annotations=_WAIT_FOR_PAIR),
                "spec": {
                    "config": config,
                    "options": {
                        "ip": portworx.ip,
                        "port": str(portworx.port),
                        "token": pulumi.Output.secret(portworx.token),
                        "mode": portworx.mode,
                    },
                },
            },
            pulumi.ResourceOptions(parent=self, depends_on=list(self._args.ready)),
        )

    def _create_schedule(
        self, pipeline: str, namespace: pulumi.Input[str], after: list[pulumi.Resource]
    ) -> str:
        args = self._args
        name = f"{pipeline}-to-{CLUSTER_PAIR}"
        CustomObject(
            f"{self._name}-{pipeline}-schedule",
            STORK_API,
            "MigrationSchedule",
            {
                "metadata": self._metadata(name, namespace),
                "spec": {
                    "schedulePolicyName": args.schedule_policy,
                    "autoSuspend": args.auto_suspend,
                    "template": {
                        "spec": {
                            "clusterPair": CLUSTER_PAIR,
                            "namespaces": [namespace],
                            "includeResources": True,
                            "includeVolumes": args.include_volumes,
                            # Never: the destination's copies start only at a cut-over.
                            "startApplications": False,
                            "purgeDeletedResources": args.purge_deleted_resources,
                        }
                    },
                },
            },
            # A migration needs the pair, and the destination's classes for its claims to bind.
            pulumi.ResourceOptions(parent=self, depends_on=[*args.ready, *after]),
        )
        return name
