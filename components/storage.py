"""Portworx storage: the StorageClass catalog, replica placement, snapshot classes and keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.alerting.portworx import portworx_alert_groups, portworx_service_monitor_spec
from components.k8s import CustomObject
from components.labels import ROLE_LABEL
from components.monitoring import Monitoring
from components.portworx import CSI_DRIVER

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
class StorageClassArgs:
    """One class of the catalog. Every field but ``allow_volume_expansion`` is immutable."""

    repl: int
    """Copies of each volume (1..3)."""
    secure: bool
    """Encrypt volumes."""
    io_profile: str
    priority_io: str
    fs: str
    sharedv4: bool
    """ReadWriteMany volumes served by Portworx sharedv4."""
    nodiscard: bool
    reclaim_policy: str
    """Retain or Delete."""
    allow_volume_expansion: bool
    zone_spread: bool
    """Place each replica in a different zone through the placement strategy."""
    encryption_key: str | None
    """A key of ``PortworxStorageArgs.encryption_keys``; None uses the cluster-wide key."""


@dataclass(frozen=True)
class EncryptionKeyArgs:
    """A per-class key: a passphrase the program stores, or a Secret that already holds one."""

    namespace: str
    """Namespace of the key's Secrets; the Portworx CSI driver must be able to read it."""
    rotation: int
    """Part of every name derived from the key, so that a new key never edits an old Secret."""
    passphrase: pulumi.Input[str] | None = None
    """The passphrase, as a Pulumi secret."""
    existing_secret: tuple[str, str] | None = None
    """Or (Secret name, key) of a Secret made outside the program."""


@dataclass(frozen=True)
class PlacementArgs:
    topology_key: str
    """Node label that names a zone."""
    enforcement: str
    """required or preferred."""


@dataclass(frozen=True)
class SnapshotClassArgs:
    kind: str
    """local or cloud (Portworx ``snapshot-type``)."""
    deletion_policy: str
    credential_id: str | None = None
    """Portworx cloud credential of cloud snapshots; None uses the only one defined."""


@dataclass(frozen=True)
class PortworxStorageArgs:
    """Inputs of :class:`PortworxStorage`."""

    name_prefix: str
    """Prefix of every cluster-scoped name; keeps stacks that share a cluster apart."""
    labels: dict[str, str]
    """Labels put on every object."""
    classes: Mapping[str, StorageClassArgs]
    """The catalog, by role."""
    placement: PlacementArgs
    encryption_keys: Mapping[str, EncryptionKeyArgs] = field(default_factory=dict)
    snapshot_classes: tuple[SnapshotClassArgs, ...] = ()
    monitoring: Monitoring | None = None
    """Scrape Portworx and alert on it; None: monitoring disabled for the stack."""
    portworx_namespace: str = "portworx"
    """Namespace of the Portworx service (its metrics port, px-api)."""


@dataclass(frozen=True)
class ProvisionedClass:
    """A StorageClass of the catalog, as later components ask for it: by role.

    ``name`` is the class's own output, so whatever uses it waits for the class to exist.
    """

    role: str
    name: pulumi.Output[str]
    digest: str
    """Digest of the class's immutable fields (the end of its name): what a volume that can never
    change its class (an operator's claim) is keyed by."""
    access_mode: str
    repl: int
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

        placement = (
            self._create_placement_strategy()
            if any(c.zone_spread for c in args.classes.values())
            else None
        )
        self.placement_strategy = placement.name if placement else None
        keys = {
            key: self._create_encryption_key(key, key_args)
            for key, key_args in args.encryption_keys.items()
        }
        no_key = _Prerequisite("", {}, [])
        self.classes = {
            role: self._create_class(
                role,
                spec,
                placement if spec.zone_spread else None,
                keys[spec.encryption_key] if spec.encryption_key else no_key,
            )
            for role, spec in args.classes.items()
        }
        self.snapshot_classes = self._create_snapshot_classes()
        if args.monitoring is not None:
            self._create_monitoring(args.monitoring)

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
        placement = self._args.placement
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

    def _create_encryption_key(self, key: str, args: EncryptionKeyArgs) -> _Prerequisite:
        """Create the key's Secrets; return them with the StorageClass parameters that use them.

        Both Secrets are named from the key's name and rotation (never from the passphrase:
        a digest of a secret in an object name would leak it), are immutable, and are never
        updated in place: a changed key is a new rotation, so new Secrets and new classes, while
        volumes made with the old key keep reading the old, retained Secrets.
        """
        revision = f"{key}-r{args.rotation}"
        prefix = f"{self._args.name_prefix}-{revision}"
        # The key's data is fixed at creation: an update of an immutable Secret would be a
        # replace of a fixed name, which fails with AlreadyExists once the old one is retained.
        fixed = pulumi.ResourceOptions.merge(
            self._child_opts, pulumi.ResourceOptions(ignore_changes=["stringData", "data"])
        )

        def create_secret(part: str, name: str, data: dict[str, Any]) -> k8s.core.v1.Secret:
            return k8s.core.v1.Secret(
                f"{self._name}-{revision}-{part}",
                metadata={**self._metadata(name), "namespace": args.namespace},
                type="Opaque",
                immutable=True,
                string_data=data,
                opts=fixed,
            )

        secrets = []
        if args.passphrase is not None:
            passphrase_secret, passphrase_key = f"{prefix}-passphrase", _PASSPHRASE_KEY
            passphrase = {passphrase_key: pulumi.Output.secret(args.passphrase)}
            secrets.append(create_secret("passphrase", passphrase_secret, passphrase))
        else:
            assert args.existing_secret is not None  # one source, guaranteed by the config
            passphrase_secret, passphrase_key = args.existing_secret
        reference = {
            "SECRET_NAME": passphrase_secret,
            "SECRET_KEY": passphrase_key,
            "SECRET_CONTEXT": args.namespace,
        }
        # The pointer's name covers what it points at, so pointing a key at another Secret is a
        # new pointer (and a new class), never an edit under live volumes.
        pointer = f"{prefix}-{_digest(reference)}"
        secrets.append(create_secret("csi", pointer, reference))
        parameters = {}
        for operation in _CSI_SECRET_PARAMETERS:
            parameters[f"csi.storage.k8s.io/{operation}-secret-name"] = pointer
            parameters[f"csi.storage.k8s.io/{operation}-secret-namespace"] = args.namespace
        return _Prerequisite(pointer, parameters, secrets)

    def _create_class(
        self,
        role: str,
        spec: StorageClassArgs,
        placement: _Prerequisite | None,
        key: _Prerequisite,
    ) -> ProvisionedClass:
        placement_parameters = placement.parameters if placement else {}
        immutable = {
            "provisioner": CSI_DRIVER,
            "parameters": {
                **portworx_parameters(spec),
                **placement_parameters,
                **key.parameters,
            },
            "reclaimPolicy": spec.reclaim_policy,
            "volumeBindingMode": "WaitForFirstConsumer",
        }
        # The role is part of the digest: two roles with equal parameters are still two classes,
        # and a volume keyed by the digest (a Kafka pool) follows its role's class.
        digest = _digest({"role": role, **immutable})
        name = f"{self._args.name_prefix}-{role}-{digest}"
        resource = k8s.storage.v1.StorageClass(
            f"{self._name}-{role}",
            metadata=self._metadata(name, **{ROLE_LABEL: role}),
            provisioner=immutable["provisioner"],
            parameters=immutable["parameters"],
            reclaim_policy=immutable["reclaimPolicy"],
            volume_binding_mode=immutable["volumeBindingMode"],
            allow_volume_expansion=spec.allow_volume_expansion,
            # Provisioning through the class needs its placement strategy and key to exist.
            opts=pulumi.ResourceOptions.merge(
                self._child_opts,
                pulumi.ResourceOptions(
                    depends_on=[*(placement.resources if placement else []), *key.resources]
                ),
            ),
        )
        access_mode = "ReadWriteMany" if spec.sharedv4 else "ReadWriteOnce"
        return ProvisionedClass(
            role, resource.metadata.name, digest, access_mode, spec.repl, resource
        )

    def _create_monitoring(self, monitoring: Monitoring) -> None:
        # Monitors hold no data: unlike the catalog, they go with the stack.
        in_component = pulumi.ResourceOptions(parent=self)
        namespace = self._args.portworx_namespace
        monitoring.create_monitor(
            f"{self._name}-portworx-monitor",
            kind="ServiceMonitor",
            name=f"{self._args.name_prefix}-portworx",
            namespace=namespace,
            labels=self._args.labels,
            spec=portworx_service_monitor_spec(namespace),
            opts=in_component,
        )
        monitoring.create_alert_rules(
            f"{self._name}-portworx-alerts",
            name=f"{self._args.name_prefix}-portworx",
            namespace=namespace,
            labels=self._args.labels,
            groups=portworx_alert_groups(),
            opts=in_component,
        )

    def _create_snapshot_classes(self) -> dict[str, str]:
        names = {}
        for spec in self._args.snapshot_classes:
            name = f"{self._args.name_prefix}-{spec.kind}-snapshots"
            extra_parameters = (
                {"csi.openstorage.org/credential-id": spec.credential_id}
                if spec.credential_id
                else {}
            )
            CustomObject(
                f"{self._name}-{spec.kind}-snapshots",
                SNAPSHOT_API,
                "VolumeSnapshotClass",
                {
                    "metadata": self._metadata(name),
                    "driver": CSI_DRIVER,
                    "deletionPolicy": spec.deletion_policy,
                    "parameters": {
                        "csi.openstorage.org/snapshot-type": spec.kind,
                        **extra_parameters,
                    },
                },
                self._child_opts,
            )
            names[spec.kind] = name
        return names


def portworx_parameters(cfg: StorageClassArgs) -> dict[str, str]:
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


def _digest(value: Any) -> str:
    """Eight hex digits that change whenever ``value`` (plain JSON data) does: a class is named
    ``<prefix>-<role>-<digest of its immutable fields>``, so such a change is a new class."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:8]


def _flag(value: bool) -> str:
    return "true" if value else "false"
