"""The policies of the data-pipeline pack, in the order they are reported.

This is the pack's public interface: the policy names and their settings are what
``policies/config/*.json`` and ``--policy-pack-config`` files refer to. The rules themselves live
in modules by concern; each policy lists, by kind, the check that applies to it.
"""

from __future__ import annotations

from components.portworx import CSI_DRIVER, DEPRECATED_IO_PROFILES, FILESYSTEMS, MAX_REPL
from policies import (
    access_modes,
    archive,
    autopilot,
    claims,
    eck,
    kafka_connect,
    protection,
    snapshot_classes,
    spark_operator,
    storage_classes,
    strimzi,
    workloads,
)
from policies.autopilot import AUTOPILOT_RULE
from policies.capacity import quota_policy
from policies.catalog import approved_classes_policy
from policies.eck import ELASTICSEARCH
from policies.engine import Policy, ResourcePolicy, StackPolicy, list_setting
from policies.kafka_connect import KAFKA_CONNECT, KAFKA_CONNECTOR
from policies.protection import (
    APPLICATION_BACKUP,
    APPLICATION_BACKUP_SCHEDULE,
    VOLUME_SNAPSHOT_SCHEDULE,
    snapshot_coverage_policy,
)
from policies.snapshot_classes import SNAPSHOT_CLASS
from policies.spark_operator import SCHEDULED_SPARK_APPLICATION, SPARK_APPLICATION
from policies.storage_classes import STORAGE_CLASS
from policies.strimzi import KAFKA, KAFKA_TOPIC

PACK_NAME = "data-pipeline-storage"


# Kind -> how many volumes of which size and class it claims (capacity plan and quota policy).
# Spark applications count the claims Spark creates per executor (at the most it may run); their
# generic ephemeral volumes, like Deployments', come and go with pods and are not planned, and
# the claims they mount by name are PersistentVolumeClaims, counted as such.
VOLUME_READERS = {
    **claims.VOLUME_READERS,
    **strimzi.VOLUME_READERS,
    **eck.VOLUME_READERS,
    **spark_operator.VOLUME_READERS,
}
# Kind -> the names of the claims it makes (cloud snapshot coverage); the same kinds, for the
# same reasons.
CLAIM_NAMERS = {**claims.CLAIM_NAMERS, **strimzi.CLAIM_NAMERS, **eck.CLAIM_NAMERS}

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
    approved_classes_policy(
        {
            **claims.CLASS_READERS,
            **strimzi.CLASS_READERS,
            **eck.CLASS_READERS,
            **spark_operator.CLASS_READERS,
        }
    ),
    quota_policy(VOLUME_READERS),
    snapshot_coverage_policy(CLAIM_NAMERS),
    ResourcePolicy(
        name=protection.RECLAIM_POLICY,
        description="Stork snapshot schedules, application backup schedules and application "
        "backups reclaim with Retain, so deleting one (or the stack) never deletes the "
        "snapshots or archived backups it made.",
        checks={
            VOLUME_SNAPSHOT_SCHEDULE: protection.check_snapshot_schedule_reclaim,
            APPLICATION_BACKUP_SCHEDULE: protection.check_backup_schedule_reclaim,
            APPLICATION_BACKUP: protection.check_backup_reclaim,
        },
    ),
    StackPolicy(
        name=strimzi.REPLICATION_POLICY,
        description="Kafka keeps every partition on enough brokers: the brokers' "
        "default.replication.factor (unset: Kafka's 1) and each KafkaTopic's replicas (unset: "
        "its cluster's default).",
        check=strimzi.check_replication,
        config={
            "minimum": {
                "type": "integer",
                "minimum": 1,
                "default": 3,
                "description": "Fewest replicas of a partition.",
            }
        },
    ),
    StackPolicy(
        name=strimzi.MIN_ISR_POLICY,
        description="min.insync.replicas, of the brokers and of each KafkaTopic (whose own "
        "overrides its cluster's), is at least 2 wherever replicas are 3 or more, and below the "
        "replicas, so that losing one broker never stops acks=all producers.",
        check=strimzi.check_min_isr,
    ),
    ResourcePolicy(
        name="kafka-unclean-leader-election",
        description="Neither the brokers nor any KafkaTopic enable "
        "unclean.leader.election.enable, which lets an out-of-sync replica lead and lose "
        "acknowledged writes.",
        checks={
            KAFKA: strimzi.check_broker_unclean_election,
            KAFKA_TOPIC: strimzi.check_topic_unclean_election,
        },
    ),
    StackPolicy(
        name="kafka-storage",
        description="Strimzi storage (node pools, and a v1beta2 Kafka's own) is persistent, "
        "never deleteClaim: true, and on catalog classes of an allowed role that are not "
        "sharedv4.",
        check=strimzi.check_storage,
        config={
            "allowedRoles": {
                **list_setting(
                    {"type": "string"},
                    ["replicated", "db"],
                    "Storage roles whose classes may hold Kafka volumes.",
                ),
                "minItems": 1,
            },
            "allowEphemeral": {
                "type": "boolean",
                "default": False,
                "description": "Let Kafka nodes keep their data on emptyDir, lost with the pod "
                "(for throwaway clusters).",
            },
        },
    ),
    ResourcePolicy(
        name="kafka-listener-authentication",
        description="Every Kafka listener authenticates its clients.",
        checks={KAFKA: strimzi.check_listener_authentication},
    ),
    StackPolicy(
        name="elasticsearch-storage",
        description="Every Elasticsearch nodeSet's claim templates name catalog classes of an "
        "allowed role that are not sharedv4.",
        check=eck.check_storage,
        config={
            "allowedRoles": {
                **list_setting(
                    {"type": "string"},
                    ["replicated", "db"],
                    "Storage roles whose classes may hold Elasticsearch volumes.",
                ),
                "minItems": 1,
            }
        },
    ),
    ResourcePolicy(
        name="elasticsearch-topology",
        description="Elasticsearch runs enough data nodes for every shard to keep a replica, and "
        "an odd number of master-eligible nodes, at least 3, so the master survives a loss.",
        checks={ELASTICSEARCH: eck.check_topology},
        config={
            "minimumDataNodes": {
                "type": "integer",
                "minimum": 1,
                "default": 2,
                "description": "Fewest nodes of nodeSets with a data role.",
            },
            "minimumMasterNodes": {
                "type": "integer",
                "minimum": 1,
                "default": 3,
                "description": "Fewest master-eligible nodes (dedicated or combined); the count "
                "must also be odd.",
            },
        },
    ),
    ResourcePolicy(
        name="elasticsearch-http-tls",
        description="Elasticsearch keeps TLS on its HTTP layer: the self-signed certificate is "
        "never disabled without a certificate of its own.",
        checks={ELASTICSEARCH: eck.check_http_tls},
    ),
    ResourcePolicy(
        name="connector-secrets-by-reference",
        description="KafkaConnectors and KafkaConnect workers take credentials (keys ending in "
        "password, .secret, secret.key or sasl.jaas.config) only as config-provider references "
        "${provider:...}, never in clear.",
        checks={
            KAFKA_CONNECTOR: kafka_connect.check_secrets_by_reference,
            KAFKA_CONNECT: kafka_connect.check_secrets_by_reference,
        },
    ),
    StackPolicy(
        name=access_modes.POLICY_NAME,
        description="ReadWriteMany and ReadOnlyMany claims name sharedv4 classes, which alone "
        "serve several nodes, and sharedv4 classes serve only such claims.",
        check=access_modes.check_access_modes,
    ),
    ResourcePolicy(
        name=workloads.POLICY_NAME,
        description="Every pod the program writes (built-in workloads and Spark applications' "
        'driver and executors) passes the "restricted" Pod Security Standard, and every '
        "container sets CPU and memory limits and a memory request.",
        checks={
            **{kind: workloads.check_pod_spec for kind in claims.POD_SPEC_PATHS},
            SPARK_APPLICATION: workloads.check_spark_application,
            SCHEDULED_SPARK_APPLICATION: workloads.check_spark_application,
        },
    ),
    StackPolicy(
        name="archive-bucket-versioning",
        description="Every S3 bucket keeps versions (BucketVersioning status Enabled), so that "
        "an overwritten or deleted snapshot can be brought back.",
        check=archive.check_versioning,
    ),
    StackPolicy(
        name="archive-bucket-encryption",
        description="Every S3 bucket encrypts by default with SSE-KMS under a customer key "
        "(AES256, S3-managed keys, only where allowAes256 says so).",
        check=archive.check_encryption,
        config={
            "allowAes256": {
                "type": "boolean",
                "default": False,
                "description": "Also accept S3-managed keys (AES256), e.g. in dev.",
            }
        },
    ),
    StackPolicy(
        name="archive-public-access-block",
        description="Every S3 bucket has a public access block with all four flags true.",
        check=archive.check_public_access,
    ),
    StackPolicy(
        name="archive-tls-only",
        description="Every S3 bucket has a bucket policy denying s3:* to everyone on the bucket "
        'and its objects when aws:SecureTransport is "false".',
        check=archive.check_tls_only,
    ),
    StackPolicy(
        name="archive-lifecycle",
        description="Every S3 bucket has a lifecycle configuration with an enabled rule.",
        check=archive.check_lifecycle,
    ),
    ResourcePolicy(
        name="archive-no-force-destroy",
        description="No S3 bucket sets forceDestroy, which lets a delete empty it first.",
        checks={
            archive.BUCKET: archive.check_no_force_destroy,
            archive.BUCKET_V2: archive.check_no_force_destroy,
        },
    ),
    StackPolicy(
        name="archive-object-lock",
        description="Where required, every S3 bucket has object lock with a default retention.",
        check=archive.check_object_lock,
        config={
            "required": {
                "type": "boolean",
                "default": False,
                "description": "Require object lock (write-once retention) on every bucket.",
            }
        },
    ),
    ResourcePolicy(
        name="archive-writer-least-privilege",
        description="IAM policies (managed, role and user inline) allow no wildcard action and no "
        "wildcard resource, and never allow by NotAction or NotResource.",
        checks=dict.fromkeys(archive.IAM_POLICIES, archive.check_no_wildcards),
    ),
    ResourcePolicy(
        name=autopilot.APPROVAL_POLICY,
        description="AutopilotRules wait for an approved ActionApproval before they act "
        "(enforcement: approvalRequired) where the stack requires it.",
        checks={AUTOPILOT_RULE: autopilot.check_approval},
        config={
            "required": {
                "type": "boolean",
                "default": False,
                "description": "Every AutopilotRule must have enforcement: approvalRequired.",
            }
        },
    ),
    ResourcePolicy(
        name=autopilot.CLAIM_GROWTH_POLICY,
        description="AutopilotRules that grow claims select them by label and exclude "
        "Strimzi's, which Strimzi would patch back to their node pool's size.",
        checks={AUTOPILOT_RULE: autopilot.check_claim_growth_targets},
    ),
)
