"""The S3 snapshot archive: where Portworx cloud snapshots and Stork backups are kept.

A private, versioned bucket encrypted with a customer KMS key, reachable only over TLS, that ages
snapshots into colder storage, optionally locks them write-once, and that ``pulumi destroy`` never
removes; and the one identity allowed to write to it, with nothing more than the backup needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.s3 import (
    SSE_ALGORITHMS,
    WRITER_BUCKET_ACTIONS,
    WRITER_KEY_ACTIONS,
    WRITER_OBJECT_ACTIONS,
)

# Names Portworx and EKS use on the wire.
_POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
_STS_AUDIENCE = "sts.amazonaws.com"
_SESSION_NAME = "data-pipeline"
_KEY_DELETION_WINDOW_DAYS = 30  # the longest AWS allows: time to notice and cancel


@dataclass(frozen=True)
class AwsAccessArgs:
    """How the program reaches the AWS account of the archive."""

    region: str
    profile: str | None = None
    """A profile of the AWS shared config files; None: the environment's credentials."""
    role_arn: str | None = None
    """A role to assume for every call (e.g. into a separate backup account)."""


@dataclass(frozen=True)
class LifecycleArgs:
    transition_days: int
    """Days after upload when objects move to ``storage_class``."""
    storage_class: str
    noncurrent_version_expiry_days: int
    """Days a replaced or deleted object version is kept."""
    abort_multipart_days: int
    """Days after which parts of an unfinished multipart upload are removed."""


@dataclass(frozen=True)
class ObjectLockArgs:
    mode: str
    """GOVERNANCE or COMPLIANCE."""
    days: int
    """Default retention of every new object version."""


@dataclass(frozen=True)
class AccessLoggingArgs:
    target_bucket: str
    """A bucket that accepts S3 server access logs (its policy admits logging.s3.amazonaws.com)."""
    target_prefix: str


@dataclass(frozen=True)
class IrsaWriterArgs:
    """An IAM role that pods assume through the cluster's OIDC provider (IRSA)."""

    oidc_provider_arn: str
    service_accounts: Sequence[str]
    """``namespace/name`` of each service account that may assume the role."""


@dataclass(frozen=True)
class PodIdentityWriterArgs:
    """An IAM role that the EKS Pod Identity Agent hands to pods."""

    service_accounts: Sequence[str]
    """``namespace/name`` of each service account that gets the role."""
    cluster_name: str | None = None
    """Create the pod identity associations in this EKS cluster; None: made elsewhere."""


@dataclass(frozen=True)
class SnapshotArchiveArgs:
    """Inputs of :class:`SnapshotArchive`."""

    aws: AwsAccessArgs
    bucket_prefix: str
    """AWS completes the bucket's name with a unique suffix."""
    lifecycle: LifecycleArgs
    encryption: str = "kms"
    """kms: SSE-KMS with a customer key made here; AES256: S3-managed keys."""
    object_lock: ObjectLockArgs | None = None
    access_logging: AccessLoggingArgs | None = None
    writer: IrsaWriterArgs | PodIdentityWriterArgs | None = None
    """The writer's identity; None: an IAM user with an access key."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags put on the bucket, the key and the writer."""


@dataclass(frozen=True)
class _Writer:
    """The backup writer: its ARN, and how a policy is attached to it."""

    arn: pulumi.Output[str]
    role: aws.iam.Role | None = None
    user: aws.iam.User | None = None


class SnapshotArchive(pulumi.ComponentResource):
    """The archive bucket with its companions, its KMS key and its writer's identity.

    Handles for the Portworx credential and Stork's BackupLocation: ``bucket_name``, ``region``,
    ``endpoint``, ``kms_key_arn``, and the writer's ``writer_role_arn`` (a role) or
    ``access_key_id`` / ``secret_access_key`` (a user; both Pulumi secrets).
    """

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    region: str
    endpoint: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str] | None
    writer_role_arn: pulumi.Output[str] | None
    access_key_id: pulumi.Output[str] | None
    secret_access_key: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: SnapshotArchiveArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:archive:SnapshotArchive", name, None, opts)
        self._name = name
        self._args = args
        provider = self._create_provider()
        self._in_aws = pulumi.ResourceOptions(parent=self, provider=provider)
        self._invoke = pulumi.InvokeOutputOptions(parent=self, provider=provider)
        identity = aws.get_caller_identity_output(opts=self._invoke)
        partition = aws.get_partition_output(opts=self._invoke)

        writer = self._create_writer()
        key = (
            self._create_key(identity.account_id, partition.partition, writer.arn)
            if args.encryption == "kms"
            else None
        )
        bucket = self._create_bucket()
        self._create_companions(bucket, key)
        self._create_writer_policy(writer, bucket, key)

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.region = args.aws.region
        self.endpoint = partition.dns_suffix.apply(lambda suffix: f"s3.{args.aws.region}.{suffix}")
        self.kms_key_arn = key.arn if key else None
        self.writer_role_arn = writer.role.arn if writer.role else None
        self.access_key_id = self.secret_access_key = None
        if writer.user is not None:
            access_key = aws.iam.AccessKey(
                f"{name}-writer", user=writer.user.name, opts=self._in_aws
            )
            self.access_key_id = pulumi.Output.secret(access_key.id)
            self.secret_access_key = pulumi.Output.secret(access_key.secret)

        self.register_outputs(
            {
                "bucketName": self.bucket_name,
                "bucketArn": self.bucket_arn,
                "region": self.region,
                "endpoint": self.endpoint,
                "kmsKeyArn": self.kms_key_arn,
                "writerRoleArn": self.writer_role_arn,
                "accessKeyId": self.access_key_id,
                "secretAccessKey": self.secret_access_key,
            }
        )

    def _create_provider(self) -> aws.Provider:
        access = self._args.aws
        return aws.Provider(
            f"{self._name}-aws",
            region=access.region,
            profile=access.profile,
            assume_roles=(
                [aws.ProviderAssumeRoleArgs(role_arn=access.role_arn, session_name=_SESSION_NAME)]
                if access.role_arn
                else None
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _policy(self, statements: list[dict[str, Any]]) -> pulumi.Output[str]:
        """A policy document rendered by the provider, from statements that may hold Outputs."""
        return aws.iam.get_policy_document_output(statements=statements, opts=self._invoke).json

    def _create_writer(self) -> _Writer:
        writer = self._args.writer
        tags = dict(self._args.tags)
        if writer is None:
            user = aws.iam.User(f"{self._name}-writer", tags=tags, opts=self._in_aws)
            return _Writer(user.arn, user=user)
        if isinstance(writer, IrsaWriterArgs):
            issuer = writer.oidc_provider_arn.split(":oidc-provider/", 1)[1]
            trust = {
                "actions": ["sts:AssumeRoleWithWebIdentity"],
                "principals": [{"type": "Federated", "identifiers": [writer.oidc_provider_arn]}],
                "conditions": [
                    {
                        "test": "StringEquals",
                        "variable": f"{issuer}:sub",
                        "values": [
                            f"system:serviceaccount:{account.replace('/', ':')}"
                            for account in writer.service_accounts
                        ],
                    },
                    {
                        "test": "StringEquals",
                        "variable": f"{issuer}:aud",
                        "values": [_STS_AUDIENCE],
                    },
                ],
            }
        else:
            trust = {
                "actions": ["sts:AssumeRole", "sts:TagSession"],
                "principals": [{"type": "Service", "identifiers": [_POD_IDENTITY_SERVICE]}],
            }
        role = aws.iam.Role(
            f"{self._name}-writer",
            assume_role_policy=self._policy([trust]),
            tags=tags,
            opts=self._in_aws,
        )
        if isinstance(writer, PodIdentityWriterArgs) and writer.cluster_name:
            for account in writer.service_accounts:
                namespace, service_account = account.split("/")
                aws.eks.PodIdentityAssociation(
                    f"{self._name}-writer-{namespace}-{service_account}",
                    cluster_name=writer.cluster_name,
                    namespace=namespace,
                    service_account=service_account,
                    role_arn=role.arn,
                    tags=tags,
                    opts=self._in_aws,
                )
        return _Writer(role.arn, role=role)

    def _create_key(
        self, account: pulumi.Output[str], partition: pulumi.Output[str], writer: pulumi.Output[str]
    ) -> aws.kms.Key:
        administrators = pulumi.Output.concat("arn:", partition, ":iam::", account, ":root")
        policy = self._policy(
            [
                # The account's administrators manage the key through IAM (AWS's default key
                # policy); without this statement the key would become unmanageable.
                {
                    "sid": "AccountAdministrators",
                    "actions": ["kms:*"],
                    "principals": [{"type": "AWS", "identifiers": [administrators]}],
                    "resources": ["*"],
                },
                {
                    "sid": "BackupWriter",
                    "actions": list(WRITER_KEY_ACTIONS),
                    "principals": [{"type": "AWS", "identifiers": [writer]}],
                    "resources": ["*"],
                },
            ]
        )
        return aws.kms.Key(
            f"{self._name}-key",
            description=f"Encrypts the snapshot archive {self._args.bucket_prefix}*",
            enable_key_rotation=True,
            deletion_window_in_days=_KEY_DELETION_WINDOW_DAYS,
            policy=policy,
            tags=dict(self._args.tags),
            opts=pulumi.ResourceOptions.merge(
                self._in_aws,
                pulumi.ResourceOptions(
                    # Every archived snapshot is readable only with this key.
                    protect=True,
                    # Should protection be lifted, destroy still leaves the key (and the data).
                    retain_on_delete=True,
                ),
            ),
        )

    def _create_bucket(self) -> aws.s3.Bucket:
        return aws.s3.Bucket(
            f"{self._name}-bucket",
            bucket_prefix=self._args.bucket_prefix,
            # Fixed at creation. A later switch-on is made by BucketObjectLockConfiguration, which
            # S3 accepts on an existing versioned bucket; ignoring this field keeps that switch
            # from replacing (which protect refuses) the bucket that holds the data.
            object_lock_enabled=self._args.object_lock is not None,
            tags=dict(self._args.tags),
            opts=pulumi.ResourceOptions.merge(
                self._in_aws,
                pulumi.ResourceOptions(
                    # `pulumi destroy` and a replace must never remove archived snapshots.
                    protect=True,
                    # Should protection be lifted, destroy still leaves the bucket in AWS.
                    retain_on_delete=True,
                    ignore_changes=["objectLockEnabled"],
                ),
            ),
        )

    def _create_companions(self, bucket: aws.s3.Bucket, key: aws.kms.Key | None) -> None:
        args, name = self._args, self._name
        # The bucket's safeguards stay with it: a destroy that gets past `protect` (e.g. with
        # --exclude-protected) must not strip its encryption, policy, lifecycle or versioning
        # (deleting a BucketVersioning suspends versioning) while the data remains.
        kept = pulumi.ResourceOptions.merge(
            self._in_aws, pulumi.ResourceOptions(retain_on_delete=True)
        )
        at_bucket = {"bucket": bucket.id, "opts": kept}
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", rule={"object_ownership": "BucketOwnerEnforced"}, **at_bucket
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            **at_bucket,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", versioning_configuration={"status": "Enabled"}, **at_bucket
        )
        algorithm = SSE_ALGORITHMS[args.encryption]
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": algorithm,
                        **({"kms_master_key_id": key.arn} if key else {}),
                    },
                    # One data key per bucket instead of one KMS call per object.
                    "bucket_key_enabled": key is not None,
                }
            ],
            **at_bucket,
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=self._bucket_policy(bucket.arn, algorithm, key),
            # S3 rejects a policy written while the public access block is being changed.
            opts=pulumi.ResourceOptions.merge(
                kept, pulumi.ResourceOptions(depends_on=[public_access])
            ),
        )
        after_versioning = pulumi.ResourceOptions.merge(
            kept, pulumi.ResourceOptions(depends_on=[versioning])
        )
        lifecycle = args.lifecycle
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "archive-snapshots",
                    "status": "Enabled",
                    "filter": {},
                    "transitions": [
                        {
                            "days": lifecycle.transition_days,
                            "storage_class": lifecycle.storage_class,
                        }
                    ],
                    "noncurrent_version_expiration": {
                        "noncurrent_days": lifecycle.noncurrent_version_expiry_days
                    },
                    "abort_incomplete_multipart_upload": {
                        "days_after_initiation": lifecycle.abort_multipart_days
                    },
                }
            ],
            opts=after_versioning,
        )
        if args.object_lock is not None:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule={
                    "default_retention": {
                        "mode": args.object_lock.mode,
                        "days": args.object_lock.days,
                    }
                },
                opts=after_versioning,
            )
        if args.access_logging is not None:
            aws.s3.BucketLogging(
                f"{name}-logging",
                target_bucket=args.access_logging.target_bucket,
                target_prefix=args.access_logging.target_prefix,
                **at_bucket,
            )

    def _bucket_policy(
        self, bucket_arn: pulumi.Output[str], algorithm: str, key: aws.kms.Key | None
    ) -> pulumi.Output[str]:
        everyone = [{"type": "*", "identifiers": ["*"]}]
        objects = pulumi.Output.concat(bucket_arn, "/*")
        statements: list[dict[str, Any]] = [
            {
                "sid": "DenyInsecureTransport",
                "effect": "Deny",
                "actions": ["s3:*"],
                "principals": everyone,
                "resources": [bucket_arn, objects],
                "conditions": [
                    {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
                ],
            },
            # An upload without encryption headers gets the bucket's default encryption (the key
            # above); these refuse an upload that asks for any other encryption. Requiring the
            # header itself would refuse the parts of multipart uploads, which never carry it.
            {
                "sid": "DenyOtherEncryption",
                "effect": "Deny",
                "actions": ["s3:PutObject"],
                "principals": everyone,
                "resources": [objects],
                "conditions": [
                    {
                        "test": "StringNotEquals",
                        "variable": "s3:x-amz-server-side-encryption",
                        "values": [algorithm],
                    },
                    {
                        "test": "Null",
                        "variable": "s3:x-amz-server-side-encryption",
                        "values": ["false"],
                    },
                ],
            },
        ]
        if key is not None:
            statements.append(
                {
                    "sid": "DenyOtherKeys",
                    "effect": "Deny",
                    "actions": ["s3:PutObject"],
                    "principals": everyone,
                    "resources": [objects],
                    "conditions": [
                        {
                            "test": "StringNotEquals",
                            "variable": "s3:x-amz-server-side-encryption-aws-kms-key-id",
                            "values": [key.arn],
                        },
                        {
                            "test": "Null",
                            "variable": "s3:x-amz-server-side-encryption-aws-kms-key-id",
                            "values": ["false"],
                        },
                    ],
                }
            )
        return self._policy(statements)

    def _create_writer_policy(
        self, writer: _Writer, bucket: aws.s3.Bucket, key: aws.kms.Key | None
    ) -> None:
        statements = [
            {
                "sid": "ArchiveBucket",
                "actions": list(WRITER_BUCKET_ACTIONS),
                "resources": [bucket.arn],
            },
            {
                "sid": "ArchiveObjects",
                "actions": list(WRITER_OBJECT_ACTIONS),
                "resources": [pulumi.Output.concat(bucket.arn, "/*")],
            },
        ]
        if key is not None:
            statements.append(
                {"sid": "ArchiveKey", "actions": list(WRITER_KEY_ACTIONS), "resources": [key.arn]}
            )
        policy = self._policy(statements)
        if writer.role is not None:
            aws.iam.RolePolicy(
                f"{self._name}-writer", role=writer.role.id, policy=policy, opts=self._in_aws
            )
        else:
            assert writer.user is not None  # a writer is a role or a user
            aws.iam.UserPolicy(
                f"{self._name}-writer", user=writer.user.name, policy=policy, opts=self._in_aws
            )
