"""Composition: map the validated configuration onto the stack's components.

This is the only place that reads the config models; every component takes a small Args
dataclass of plain values, Inputs and other components' handles.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_kubernetes as k8s

from components.k8s import common_labels
from components.pipeline import Pipeline, PipelineArgs
from components.storage import (
    EncryptionKeyArgs,
    PlacementArgs,
    PortworxStorage,
    PortworxStorageArgs,
    SnapshotClassArgs,
    StorageClassArgs,
)
from pipeline.config import StackConfig
from pipeline.config.storage import StorageConfig


def compose_stack(config: StackConfig) -> None:
    """Register every resource of the stack. ``config`` is already valid as a whole."""
    labels = common_labels(config.environment)
    provider = _create_provider(config)
    with_provider = pulumi.ResourceOptions(providers=[provider])

    storage = PortworxStorage(
        "storage",
        _storage_args(config.storage, _class_prefix(config), labels),
        with_provider,
    )
    kubernetes = config.kubernetes
    pipelines = {
        name: Pipeline(
            name,
            PipelineArgs(
                namespace=f"{kubernetes.namespace}-{name}",
                storage_quotas=pipeline.storage,
                catalog=storage.classes,
                labels=labels,
                retain_on_delete=kubernetes.retain_on_delete,
                api_server_cidrs=kubernetes.api_server.cidrs,
                api_server_ports=kubernetes.api_server.ports,
            ),
            with_provider,
        )
        for name, pipeline in config.pipelines.items()
    }

    pulumi.export("environment", config.environment)
    pulumi.export("storageClasses", {role: c.name for role, c in storage.classes.items()})
    pulumi.export("placementStrategy", storage.placement_strategy)
    pulumi.export("snapshotClasses", storage.snapshot_classes)
    pulumi.export("namespaces", {name: p.namespace.name for name, p in pipelines.items()})
    pulumi.export("pipelines", {name: p.outputs() for name, p in pipelines.items()})


def _class_prefix(config: StackConfig) -> str:
    """Cluster-scoped names are unique per stack: two stacks of one environment may share a
    cluster. ``storage.classPrefix`` overrides."""
    if config.storage.class_prefix:
        return config.storage.class_prefix
    # Stack names allow characters (upper case, '_', '.') that object names do not.
    stack = re.sub(r"[^a-z0-9-]+", "-", pulumi.get_stack().lower()).strip("-")
    return f"px-{stack}"[:30].rstrip("-")


def _storage_args(
    storage: StorageConfig, name_prefix: str, labels: dict[str, str]
) -> PortworxStorageArgs:
    snapshots = storage.snapshots
    return PortworxStorageArgs(
        name_prefix=name_prefix,
        labels=labels,
        classes={
            role: StorageClassArgs(
                repl=cls.repl,
                secure=cls.secure,
                io_profile=cls.io_profile,
                priority_io=cls.priority_io,
                fs=cls.fs,
                sharedv4=cls.sharedv4,
                nodiscard=cls.nodiscard,
                reclaim_policy=cls.reclaim_policy,
                allow_volume_expansion=cls.allow_volume_expansion,
                zone_spread=storage.zone_spread(role),
                encryption_key=cls.encryption_key,
            )
            for role, cls in storage.classes.items()
        },
        placement=PlacementArgs(storage.placement.topology_key, storage.placement.enforcement),
        encryption_keys={
            name: EncryptionKeyArgs(
                namespace=key.namespace,
                rotation=key.rotation,
                passphrase=key.passphrase.get_secret_value() if key.passphrase else None,
                existing_secret=(
                    (key.existing_secret.name, key.existing_secret.key)
                    if key.existing_secret
                    else None
                ),
            )
            for name, key in storage.encryption_keys.items()
        },
        snapshot_classes=tuple(
            spec
            for enabled, spec in (
                (
                    snapshots.local.enabled,
                    SnapshotClassArgs("local", snapshots.local.deletion_policy),
                ),
                (
                    snapshots.cloud.enabled,
                    SnapshotClassArgs(
                        "cloud", snapshots.cloud.deletion_policy, snapshots.cloud.credential_id
                    ),
                ),
            )
            if enabled
        ),
    )


def _create_provider(config: StackConfig) -> k8s.Provider:
    # One explicit provider (default providers are disabled for the project in Pulumi.yaml), so
    # that a stack never deploys to whatever the ambient kubeconfig happens to point at, and so
    # that rendering to a directory covers every object.
    kubernetes = config.kubernetes
    return k8s.Provider(
        "kubernetes",
        context=kubernetes.context,
        render_yaml_to_directory=kubernetes.render_directory,
    )
