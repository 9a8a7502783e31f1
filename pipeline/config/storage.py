"""The ``storage`` section: the Portworx StorageClass catalog, keyed by role."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, model_validator

from components.portworx import FILESYSTEMS, IO_PRIORITIES, IO_PROFILES, MAX_REPL
from pipeline.config.base import (
    ConfigModel,
    DnsLabel,
    LabelKey,
    ShortName,
    between,
    config_rule,
)

Replication = Annotated[int, AfterValidator(between(1, MAX_REPL))]
# Every value Portworx accepts: whether a deprecated one is acceptable is the policy pack's call.
IoProfile = Literal[IO_PROFILES]
IoPriority = Literal[IO_PRIORITIES]
Filesystem = Literal[FILESYSTEMS]


class PlacementConfig(ConfigModel):
    """Spread of volume replicas across failure domains (a Portworx VolumePlacementStrategy)."""

    zone_spread: bool = False
    """Default for every class: place each replica of a volume in a different zone."""
    topology_key: LabelKey = "topology.kubernetes.io/zone"
    """Node label that names a zone; also the rack key of Kafka and the spread key of pods."""
    enforcement: Literal["required", "preferred"] = "required"
    """required: provisioning fails rather than put two replicas in one zone."""


class ExistingSecretConfig(ConfigModel):
    """A Kubernetes Secret, created outside this program, that holds a passphrase."""

    name: DnsLabel
    key: Annotated[str, Field(min_length=1)]


class EncryptionKeyConfig(ConfigModel):
    """A per-class encryption key; classes without one use Portworx's cluster-wide key."""

    namespace: DnsLabel = "portworx"
    """Namespace of the key's Secrets; the Portworx CSI driver must be able to read it."""
    passphrase: SecretStr | None = None
    """The passphrase as a Pulumi secret: the program creates the Secret that holds it."""
    existing_secret: ExistingSecretConfig | None = None
    """Or a Secret that already holds the passphrase (e.g. synced from a vault)."""
    rotation: Annotated[int, AfterValidator(between(1, 999))] = 1
    """Raise by one to rotate: a new key means new Secrets and new classes; volumes made with
    the old key keep reading it through the old, retained ones."""

    @model_validator(mode="after")
    def _exactly_one_source(self) -> EncryptionKeyConfig:
        if (self.passphrase is None) == (self.existing_secret is None):
            raise config_rule("set exactly one of passphrase, existingSecret")
        return self


class StorageClassConfig(ConfigModel):
    """One Portworx StorageClass of the catalog. Defaults follow the Portworx tuning guide."""

    repl: Replication = 3
    """Copies of each volume. Apps that replicate themselves (Kafka, Elasticsearch) may use 2."""
    secure: bool = True
    """Encrypt volumes (Portworx ``secure``)."""
    io_profile: IoProfile = "auto"
    """Portworx picks db_remote for repl >= 2, none otherwise."""
    priority_io: IoPriority = "high"
    """Portworx defaults to low; its tuning guide uses high for data services."""
    fs: Filesystem = "ext4"
    """ext4 is Portworx's preferred filesystem (the only one PX-StoreV2 supports)."""
    sharedv4: bool = False
    """ReadWriteMany volumes served by Portworx sharedv4."""
    nodiscard: bool = False
    """The tuning guide sets nodiscard for speed; Kafka and Elasticsearch delete segment files
    all the time, and without discard that space never returns to the pool, so it stays off."""
    reclaim_policy: Literal["Retain", "Delete"] = "Retain"
    allow_volume_expansion: bool = True
    zone_spread: bool | None = None
    """Overrides storage.placement.zoneSpread for this class."""
    encryption_key: ShortName | None = None
    """A key of storage.encryptionKeys; unset means the cluster-wide key."""


class SnapshotClassConfig(ConfigModel):
    enabled: bool = True
    deletion_policy: Literal["Retain", "Delete"] = "Retain"
    """Retain keeps the snapshot data when its VolumeSnapshot object is deleted."""


class CloudSnapshotClassConfig(SnapshotClassConfig):
    enabled: bool = False
    credential_id: str | None = None
    """Portworx cloud credential (``pxctl credentials create``); unset uses the only one defined."""


class SnapshotsConfig(ConfigModel):
    local: SnapshotClassConfig = SnapshotClassConfig()
    cloud: CloudSnapshotClassConfig = CloudSnapshotClassConfig()


class StorageConfig(ConfigModel):
    """The Portworx storage catalog, keyed by role (db, shared, scratch, ...)."""

    classes: Annotated[dict[ShortName, StorageClassConfig], Field(min_length=1)]
    class_prefix: ShortName | None = None
    """Prefix of class, placement and snapshot class names; ``px-<stack>`` when unset."""
    encryption_keys: Annotated[dict[ShortName, EncryptionKeyConfig], Field(default_factory=dict)]
    placement: PlacementConfig = PlacementConfig()
    snapshots: SnapshotsConfig = SnapshotsConfig()
    stork: bool = False
    """Schedule every stateful pod with Stork, next to a replica of its volume (Stork installed
    with Portworx; its admission webhook can do the same cluster-wide)."""

    def zone_spread(self, role: str) -> bool:
        """Whether the class of ``role`` spreads its replicas across zones."""
        own = self.classes[role].zone_spread
        return self.placement.zone_spread if own is None else own
