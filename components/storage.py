"""Portworx storage: the StorageClass catalog, replica placement, snapshot classes and keys."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.k8s import CustomObject
from components.labels import ROLE_LABEL
from components.portworx import CSI_DRIVER
from pipeline.config import EncryptionKeyConfig, StorageClassConfig, StorageConfig

SNAPSHOT_API = "snapshot.storage.k8s.io/v1"
PLACEMENT_API = "portworx.io/v1beta2"
# Portworx reads a per-class key through a CSI secret that names the Secret holding the passphrase.
_CSI_SECRET_PARAMETERS = ("provisioner", "node-publish", "controller-expand")
_PASSPHRASE_KEY = "passphrase"


@dataclass(frozen=True)
class _Prerequisite:
    """Something a StorageClass refers to: its name, the parameters that select it, and the
    resources that must exist before the class is used."""

    name: str
    parameters: dict[str, str]
    resources: list[pulumi.Resource]


@dataclass(frozen=True)
class PortworxStorageArgs:
    """Inputs of :class:`PortworxStorage`."""

    storage: StorageConfig
    """The catalog and its placement, encryption and snapshot settings."""
    name_prefix: str
    """Prefix of every cluster-scoped name; keeps stacks that share a cluster apart."""
    labels: dict[str, str]
    """Labels put on every object."""


@dataclass(frozen=True)
class ProvisionedClass:
    """A StorageClass of the catalog, as later components ask for it: by role."""

    role: str
    name: str
    access_mode: str
    resource: k8s.storage.v1.StorageClass


class PortworxStorage(pulumi.ComponentResource):
    """The stack's Portworx StorageClasses, keyed by role, with what they depend on.

    Class names are derived from the role and a digest of the class's immutable fields.
    Kubernetes cannot edit a StorageClass's parameters in place (and replacing one in use fails),
    so a change of repl, secure or io_profile yields a new class beside the old one; volumes
    already provisioned keep the class they were made with.

    Everything here is cluster-scoped and referenced by live volumes (a volume expands through its
    class, an encrypted volume is read through its key), so it is retained on ``pulumi destroy``.
    """

    classes: dict[str, ProvisionedClass]
    placement_strategy: str | None
    snapshot_classes: dict[str, str]

    def __init__(
        self, name: str, args: PortworxStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:storage:PortworxStorage", name, None, opts)
        self._name = name
        self._args = args
        self._child_opts = pulumi.ResourceOptions(parent=self, retain_on_delete=True)

        storage = args.storage
        spread = {
            role: storage.placement.zone_spread if cfg.zone_spread is None else cfg.zone_spread
            for role, cfg in storage.classes.items()
        }
        placement = self._create_placement_strategy() if any(spread.values()) else None
        self.placement_strategy = placement.name if placement else None
        keys = {
            key: self._create_encryption_key(key, cfg)
            for key, cfg in storage.encryption_keys.items()
        }
        no_key = _Prerequisite("", {}, [])
        self.classes = {
            role: self._create_class(
                role,
                cfg,
                placement if spread[role] else None,
                keys[cfg.encryption_key] if cfg.encryption_key else no_key,
            )
            for role, cfg in storage.classes.items()
        }
        self.snapshot_classes = self._create_snapshot_classes()

        self.register_outputs(
            {
                "storageClasses": {role: c.name for role, c in self.classes.items()},
                "placementStrategy": self.placement_strategy,
                "snapshotClasses": self.snapshot_classes,
            }
        )

    def class_for(self, role: str) -> ProvisionedClass:
        """The class of a role; config validation guarantees every referenced role exists."""
        return self.classes[role]

    def _metadata(self, name: str, **extra_labels: str) -> dict[str, Any]:
        return {"name": name, "labels": {**self._args.labels, **extra_labels}}

    def _create_placement_strategy(self) -> _Prerequisite:
        placement = self._args.storage.placement
        name = f"{self._args.name_prefix}-zone-spread"
        strategy = CustomObject(
            f"{self._name}-zone-spread",
            PLACEMENT_API,
            "VolumePlacementStrategy",
            {
                "metadata": self._metadata(name),
                "spec": {
                    "replicaAntiAffinity": [
                        {
                            "enforcement": placement.enforcement,
                            "topologyKey": placement.topology_key,
                        }
                    ]
                },
            },
            self._child_opts,
        )
        return _Prerequisite(name, {"placement_strategy": name}, [strategy])

    def _create_encryption_key(self, key: str, cfg: EncryptionKeyConfig) -> _Prerequisite:
        """Create the key's Secrets; return them with the StorageClass parameters that use them."""
        prefix = f"{self._args.name_prefix}-{key}"
        secrets = []
        if cfg.passphrase is not None:
            passphrase_secret, passphrase_key = f"{prefix}-passphrase", _PASSPHRASE_KEY
            passphrase = k8s.core.v1.Secret(
                f"{self._name}-{key}-passphrase",
                metadata={**self._metadata(passphrase_secret), "namespace": cfg.namespace},
                type="Opaque",
                # Immutable: changing the passphrase under existing volumes would lock them out,
                # so such a change fails loudly instead of being applied.
                immutable=True,
                string_data={
                    passphrase_key: pulumi.Output.secret(cfg.passphrase.get_secret_value())
                },
                opts=self._child_opts,
            )
            secrets.append(passphrase)
        else:
            assert cfg.existing_secret is not None  # guaranteed by EncryptionKeyConfig
            passphrase_secret = cfg.existing_secret.name
            passphrase_key = cfg.existing_secret.key
        pointer = f"{prefix}-csi"
        pointer_secret = k8s.core.v1.Secret(
            f"{self._name}-{key}-csi",
            metadata={**self._metadata(pointer), "namespace": cfg.namespace},
            type="Opaque",
            string_data={
                "SECRET_NAME": passphrase_secret,
                "SECRET_KEY": passphrase_key,
                "SECRET_CONTEXT": cfg.namespace,
            },
            opts=self._child_opts,
        )
        secrets.append(pointer_secret)
        parameters = {}
        for operation in _CSI_SECRET_PARAMETERS:
            parameters[f"csi.storage.k8s.io/{operation}-secret-name"] = pointer
            parameters[f"csi.storage.k8s.io/{operation}-secret-namespace"] = cfg.namespace
        return _Prerequisite(pointer, parameters, secrets)

    def _create_class(
        self,
        role: str,
        cfg: StorageClassConfig,
        placement: _Prerequisite | None,
        key: _Prerequisite,
    ) -> ProvisionedClass:
        placement_parameters = placement.parameters if placement else {}
        immutable = {
            "provisioner": CSI_DRIVER,
            "parameters": {
                **portworx_parameters(cfg),
                **placement_parameters,
                **key.parameters,
            },
            "reclaimPolicy": cfg.reclaim_policy,
            "volumeBindingMode": "WaitForFirstConsumer",
        }
        name = derived_class_name(self._args.name_prefix, role, immutable)
        resource = k8s.storage.v1.StorageClass(
            f"{self._name}-{role}",
            metadata=self._metadata(name, **{ROLE_LABEL: role}),
            provisioner=immutable["provisioner"],
            parameters=immutable["parameters"],
            reclaim_policy=immutable["reclaimPolicy"],
            volume_binding_mode=immutable["volumeBindingMode"],
            allow_volume_expansion=cfg.allow_volume_expansion,
            # Provisioning through the class needs its placement strategy and key to exist.
            opts=pulumi.ResourceOptions.merge(
                self._child_opts,
                pulumi.ResourceOptions(
                    depends_on=[*(placement.resources if placement else []), *key.resources]
                ),
            ),
        )
        access_mode = "ReadWriteMany" if cfg.sharedv4 else "ReadWriteOnce"
        return ProvisionedClass(role, name, access_mode, resource)

    def _create_snapshot_classes(self) -> dict[str, str]:
        snapshots = self._args.storage.snapshots
        wanted = {
            "local": (snapshots.local, {}),
            "cloud": (
                snapshots.cloud,
                {"csi.openstorage.org/credential-id": snapshots.cloud.credential_id}
                if snapshots.cloud.credential_id
                else {},
            ),
        }
        names = {}
        for kind, (cfg, extra_parameters) in wanted.items():
            if not cfg.enabled:
                continue
            name = f"{self._args.name_prefix}-{kind}-snapshots"
            CustomObject(
                f"{self._name}-{kind}-snapshots",
                SNAPSHOT_API,
                "VolumeSnapshotClass",
                {
                    "metadata": self._metadata(name),
                    "driver": CSI_DRIVER,
                    "deletionPolicy": cfg.deletion_policy,
                    "parameters": {"csi.openstorage.org/snapshot-type": kind, **extra_parameters},
                },
                self._child_opts,
            )
            names[kind] = name
        return names


def portworx_parameters(cfg: StorageClassConfig) -> dict[str, str]:
    """The Portworx StorageClass parameters of a class (all values are strings in Kubernetes)."""
    parameters = {
        "repl": str(cfg.repl),
        "secure": _flag(cfg.secure),
        "io_profile": cfg.io_profile,
        "priority_io": cfg.priority_io,
        "fs": cfg.fs,
    }
    if cfg.sharedv4:
        parameters["sharedv4"] = "true"
    if cfg.nodiscard:
        parameters["nodiscard"] = "true"
    return parameters


def derived_class_name(prefix: str, role: str, immutable: dict[str, Any]) -> str:
    """``<prefix>-<role>-<digest>``: a new name whenever an immutable field changes."""
    digest = hashlib.sha256(json.dumps(immutable, sort_keys=True).encode()).hexdigest()[:8]
    return f"{prefix}-{role}-{digest}"


def _flag(value: bool) -> str:
    return "true" if value else "false"
