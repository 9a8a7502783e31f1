"""The policies of the data-pipeline pack, in the order they are reported.

This is the pack's public interface: the policy names and their settings are what
``policies/config/*.json`` and ``--policy-pack-config`` files refer to. The rules themselves live
in modules by concern; each policy lists, by kind, the check that applies to it.
"""

from __future__ import annotations

from components.portworx import CSI_DRIVER, DEPRECATED_IO_PROFILES, FILESYSTEMS, MAX_REPL
from policies import claims, eck, snapshot_classes, storage_classes, strimzi
from policies.capacity import quota_policy
from policies.catalog import approved_classes_policy
from policies.engine import Policy, ResourcePolicy, list_setting
from policies.snapshot_classes import SNAPSHOT_CLASS
from policies.storage_classes import STORAGE_CLASS

PACK_NAME = "data-pipeline-storage"


# Kind -> how many volumes of which size and class it claims (capacity plan and quota policy).
VOLUME_READERS = {**claims.VOLUME_READERS, **strimzi.VOLUME_READERS}

POLICIES: tuple[Policy, ...] = (
    ResourcePolicy(
        name="portworx-csi-driver",
        description="StorageClasses and VolumeSnapshotClasses use the Portworx CSI driver "
        f"({CSI_DRIVER}).",
        checks={
            STORAGE_CLASS: storage_classes.check_provisioner,
            SNAPSHOT_CLASS: snapshot_classes.check_driver,
        },
    ),
    ResourcePolicy(
        name="portworx-replication",
        description="Portworx StorageClasses keep repl copies within [minimum for the class's "
        f"role, {MAX_REPL}].",
        checks={STORAGE_CLASS: storage_classes.check_replication},
        config={
            "minimum": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_REPL,
                "default": 2,
                "description": "Fewest copies for a class whose role has no minimum of its own.",
            },
            "roleMinimums": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": MAX_REPL},
                "default": {},
                "description": 'Fewest copies by storage role, e.g. {"db": 3, "scratch": 1}.',
            },
        },
    ),
    ResourcePolicy(
        name="portworx-encryption",
        description='Portworx StorageClasses encrypt their volumes (secure: "true").',
        checks={STORAGE_CLASS: storage_classes.check_encryption},
    ),
    ResourcePolicy(
        name="storage-volume-expansion",
        description="StorageClasses allow volume expansion.",
        checks={STORAGE_CLASS: storage_classes.check_expansion},
    ),
    ResourcePolicy(
        name="storage-reclaim-retain",
        description="Data classes reclaim with Retain and snapshot classes delete with Retain, so "
        "deleting a claim, a snapshot object or a stack never deletes data.",
        checks={
            STORAGE_CLASS: storage_classes.check_reclaim,
            SNAPSHOT_CLASS: snapshot_classes.check_deletion_policy,
        },
        config={
            "exemptRoles": list_setting(
                {"type": "string"}, ["scratch"], "Storage roles whose volumes hold no data."
            )
        },
    ),
    ResourcePolicy(
        name="portworx-io-settings",
        description="Portworx io_profile, priority_io and fs take supported values; db_remote "
        "only with repl >= 2.",
        checks={STORAGE_CLASS: storage_classes.check_io_settings},
        config={
            "allowedFilesystems": list_setting(
                {"enum": list(FILESYSTEMS)}, list(FILESYSTEMS), "Filesystems classes may use."
            )
        },
    ),
    ResourcePolicy(
        name="portworx-io-profile-current",
        description="Portworx StorageClasses avoid the deprecated io_profiles "
        f"{' and '.join(DEPRECATED_IO_PROFILES)}.",
        checks={STORAGE_CLASS: storage_classes.check_current_io_profile},
        level="advisory",
    ),
    approved_classes_policy({**claims.CLASS_READERS, **strimzi.CLASS_READERS, **eck.CLASS_READERS}),
    quota_policy(VOLUME_READERS),
)
