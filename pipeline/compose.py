"""Composition: build the stack's components from its validated configuration."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.k8s import common_labels
from components.namespace import PipelineNamespace, PipelineNamespaceArgs
from components.storage import PortworxStorage, PortworxStorageArgs
from pipeline.config import StackConfig


def compose_stack(config: StackConfig) -> None:
    """Register every resource of the stack. ``config`` is already valid as a whole."""
    labels = common_labels(config.environment)
    provider = _create_provider(config)
    with_provider = pulumi.ResourceOptions(providers=[provider])

    storage = PortworxStorage(
        "storage",
        PortworxStorageArgs(
            storage=config.storage,
            name_prefix=config.storage.class_prefix or f"px-{config.environment}",
            labels=labels,
        ),
        with_provider,
    )
    namespaces = {
        pipeline: PipelineNamespace(
            pipeline,
            PipelineNamespaceArgs(
                pipeline=pipeline,
                namespace=f"{config.kubernetes.namespace}-{pipeline}",
                storage_quotas={
                    storage.class_for(role).name: quota
                    for role, quota in pipeline_config.storage.items()
                },
                catalog_classes=[c.name for c in storage.classes.values()],
                labels=labels,
                retain_on_delete=config.kubernetes.retain_on_delete,
            ),
            with_provider,
        )
        for pipeline, pipeline_config in config.pipelines.items()
    }

    pulumi.export("environment", config.environment)
    pulumi.export("storageClasses", {role: c.name for role, c in storage.classes.items()})
    pulumi.export("placementStrategy", storage.placement_strategy)
    pulumi.export("snapshotClasses", storage.snapshot_classes)
    pulumi.export("namespaces", {pipeline: ns.name for pipeline, ns in namespaces.items()})


def _create_provider(config: StackConfig) -> k8s.Provider:
    # One explicit provider, so that a stack never deploys to whatever the ambient kubeconfig
    # happens to point at when a context is configured, and so that rendering to a directory
    # covers every object.
    kubernetes = config.kubernetes
    return k8s.Provider(
        "kubernetes",
        context=kubernetes.context,
        render_yaml_to_directory=kubernetes.render_directory,
    )
