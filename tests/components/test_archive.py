"""SnapshotArchive under the offline mocks: every resource's inputs, the policy documents as AWS
renders them, protection of the bucket and key, and nothing unknown."""

from __future__ import annotations

import json
from dataclasses import replace

import pulumi
import pytest

from components.archive import (
    AccessLoggingArgs,
    AwsAccessArgs,
    IrsaWriterArgs,
    LifecycleArgs,
    ObjectLockArgs,
    PodIdentityWriterArgs,
    SnapshotArchive,
    SnapshotArchiveArgs,
)
from pipeline.offline import ProgramRun, run_program
from policies.engine import evaluate, load_pack_config, resolve
from policies.pack import POLICIES
from policies.record import UNKNOWN_VALUES
from tests.conftest import PROJECT_DIR, by_name

ACCOUNT = "210987654321"
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
PROD = SnapshotArchiveArgs(
    aws=AwsAccessArgs("eu-west-1", role_arn=f"arn:aws:iam::{ACCOUNT}:role/deployer"),
    bucket_prefix="dp-prod-archive-",
    lifecycle=LifecycleArgs(30, "GLACIER_IR", 90, 7),
    object_lock=ObjectLockArgs("COMPLIANCE", 30),
    access_logging=AccessLoggingArgs("dp-access-logs", "snapshot-archive/"),
    writer=IrsaWriterArgs(OIDC, ("portworx/portworx", "portworx/stork")),
    tags={"environment": "prod"},
)
DEV = SnapshotArchiveArgs(
    aws=AwsAccessArgs("us-west-2", profile="dev"),
    bucket_prefix="dp-dev-archive-",
    lifecycle=LifecycleArgs(14, "GLACIER_IR", 30, 3),
)
HANDLES = (
    "bucket_name",
    "bucket_arn",
    "region",
    "endpoint",
    "kms_key_arn",
    "writer_role_arn",
    "access_key_id",
    "secret_access_key",
)


def run(args: SnapshotArchiveArgs, reveal_secrets: bool = False) -> ProgramRun:
    def program() -> None:
        archive = SnapshotArchive("archive", args)
        for handle in HANDLES:
            pulumi.export(handle, getattr(archive, handle))

    return run_program(program, project="p", stack="s", config={}, reveal_secrets=reveal_secrets)


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run(PROD)


ROLE = "aws:iam/role:Role"


def props(result: ProgramRun, name: str, kind: str | None = None) -> dict:
    """The inputs of the resource ``name`` (of type ``kind``, where names are shared)."""
    (resource,) = [r for r in result.resources if r.name == name and kind in (None, r.type)]
    return dict(resource.props)


def document(result: ProgramRun, name: str, key: str = "policy", kind: str | None = None) -> dict:
    return json.loads(props(result, name, kind)[key])


def test_nothing_is_unknown_and_handles_are_real_values(prod):
    text = json.dumps([r.props for r in prod.resources]) + json.dumps(prod.outputs)
    assert not any(unknown in text for unknown in UNKNOWN_VALUES)
    outputs = prod.outputs
    bucket = outputs["bucket_name"]
    assert bucket.startswith("dp-prod-archive-") and len(bucket) == len("dp-prod-archive-") + 26
    assert outputs["bucket_arn"] == f"arn:aws:s3:::{bucket}"
    assert (outputs["region"], outputs["endpoint"]) == ("eu-west-1", "s3.eu-west-1.amazonaws.com")
    assert outputs["kms_key_arn"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")
    assert outputs["writer_role_arn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/archive-writer-")
    # A user's handles are None for a role: nothing exported.
    assert "access_key_id" not in outputs and "secret_access_key" not in outputs


def test_resources_registered_with_the_explicit_provider(prod):
    kinds = sorted(r.type for r in prod.resources if r.custom)
    assert kinds == [
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLogging:BucketLogging",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "pulumi:providers:aws",
    ]
    provider = by_name(prod.resources)["archive-aws"]
    assert provider.props["region"] == "eu-west-1"
    assert json.loads(provider.props["assumeRoles"]) == [
        {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/deployer", "sessionName": "data-pipeline"}
    ]
    for resource in prod.resources:
        if resource.type.startswith("aws:"):
            assert resource.provider.split("::")[-2] == "archive-aws", resource.name


def test_bucket_and_key_are_protected_and_the_bucket_keeps_its_safeguards(prod):
    guarded = {r.name for r in prod.resources if r.protect and r.retain_on_delete}
    assert guarded == {"archive-bucket", "archive-key"}
    # Retained, not protected: a destroy leaves them on the bucket that outlives it.
    kept = {r.name for r in prod.resources if r.retain_on_delete and not r.protect}
    assert kept == {
        "archive-ownership",
        "archive-public-access",
        "archive-versioning",
        "archive-encryption",
        "archive-policy",
        "archive-lifecycle",
        "archive-object-lock",
        "archive-logging",
    }
    # The writer's identity goes with the stack.
    assert not any(r.protect or r.retain_on_delete for r in prod.resources if "writer" in r.name)
    bucket = by_name(prod.resources)["archive-bucket"]
    assert bucket.ignore_changes == ("objectLockEnabled",)
    assert bucket.props == {
        "bucketPrefix": "dp-prod-archive-",
        "objectLockEnabled": True,
        "tags": {"environment": "prod"},
    }


def test_bucket_companions_exactly(prod):
    bucket = prod.outputs["bucket_name"]
    key = prod.outputs["kms_key_arn"]
    assert props(prod, "archive-ownership") == {
        "bucket": bucket,
        "rule": {"objectOwnership": "BucketOwnerEnforced"},
    }
    assert props(prod, "archive-public-access") == {
        "bucket": bucket,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert props(prod, "archive-versioning") == {
        "bucket": bucket,
        "versioningConfiguration": {"status": "Enabled"},
    }
    assert props(prod, "archive-encryption") == {
        "bucket": bucket,
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": "aws:kms",
                    "kmsMasterKeyId": key,
                },
                "bucketKeyEnabled": True,
            }
        ],
    }
    assert props(prod, "archive-lifecycle") == {
        "bucket": bucket,
        "rules": [
            {
                "id": "archive-snapshots",
                "status": "Enabled",
                "filter": {},
                "transitions": [{"days": 30, "storageClass": "GLACIER_IR"}],
                "noncurrentVersionExpiration": {"noncurrentDays": 90},
                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
            }
        ],
    }
    assert props(prod, "archive-object-lock") == {
        "bucket": bucket,
        "objectLockEnabled": "Enabled",
        "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 30}},
    }
    assert props(prod, "archive-logging") == {
        "bucket": bucket,
        "targetBucket": "dp-access-logs",
        "targetPrefix": "snapshot-archive/",
    }


def test_bucket_policy_denies_plain_http_and_other_encryption(prod):
    arn, key = prod.outputs["bucket_arn"], prod.outputs["kms_key_arn"]
    assert document(prod, "archive-policy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Principal": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyOtherEncryption",
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Principal": "*",
                "Condition": {
                    "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                },
            },
            {
                "Sid": "DenyOtherKeys",
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Principal": "*",
                "Condition": {
                    "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key},
                    "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                },
            },
        ],
    }


def test_key_rotates_and_admits_only_the_administrators_and_the_writer(prod):
    key = props(prod, "archive-key")
    assert (key["enableKeyRotation"], key["deletionWindowInDays"]) == (True, 30)
    assert json.loads(key["policy"])["Statement"] == [
        {
            "Sid": "AccountAdministrators",
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": "*",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        },
        {
            "Sid": "BackupWriter",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": "*",
            "Principal": {"AWS": prod.outputs["writer_role_arn"]},
        },
    ]


def test_irsa_role_trusts_the_oidc_provider_for_each_service_account(prod):
    assert document(prod, "archive-writer", "assumeRolePolicy", ROLE)["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": OIDC},
            "Condition": {
                "StringEquals": {
                    "oidc.eks.eu-west-1.amazonaws.com/id/ABC123:sub": [
                        "system:serviceaccount:portworx:portworx",
                        "system:serviceaccount:portworx:stork",
                    ],
                    "oidc.eks.eu-west-1.amazonaws.com/id/ABC123:aud": "sts.amazonaws.com",
                }
            },
        }
    ]


def writer_statements(result: ProgramRun, kind: str) -> list[dict]:
    (policy,) = [r for r in result.resources if r.type == kind]
    return json.loads(policy.props["policy"])["Statement"]


def test_writer_policy_is_the_least_privilege_list_on_this_bucket_and_key(prod):
    arn = prod.outputs["bucket_arn"]
    assert writer_statements(prod, "aws:iam/rolePolicy:RolePolicy") == [
        {
            "Sid": "ArchiveBucket",
            "Effect": "Allow",
            "Action": [
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:ListBucketMultipartUploads",
                "s3:GetBucketAcl",
                "s3:GetBucketObjectLockConfiguration",
            ],
            "Resource": arn,
        },
        {
            "Sid": "ArchiveObjects",
            "Effect": "Allow",
            "Action": [
                "s3:ListMultipartUploadParts",
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:GetObjectAcl",
                "s3:PutObjectAcl",
                "s3:GetObjectVersionAcl",
            ],
            "Resource": f"{arn}/*",
        },
        {
            "Sid": "ArchiveKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": prod.outputs["kms_key_arn"],
        },
    ]
    assert props(prod, "archive-writer", ROLE)["tags"] == {"environment": "prod"}


def test_a_user_writer_has_an_access_key_kept_secret():
    result = run(DEV)
    outputs = result.outputs
    assert (outputs["access_key_id"], outputs["secret_access_key"]) == ("[secret]", "[secret]")
    assert "writer_role_arn" not in outputs
    revealed = run(DEV, reveal_secrets=True).outputs
    assert (
        revealed["access_key_id"].startswith("AKIAOFFLINE") and len(revealed["access_key_id"]) == 20
    )
    assert revealed["secret_access_key"].startswith("offline-secret-")
    assert sorted(r.type for r in result.resources if r.name == "archive-writer") == [
        "aws:iam/accessKey:AccessKey",
        "aws:iam/user:User",
        "aws:iam/userPolicy:UserPolicy",
    ]
    key_statements = json.loads(props(result, "archive-key")["policy"])["Statement"]
    assert key_statements[1]["Principal"] == {
        "AWS": f"arn:aws:iam::123456789012:user/{user_policy_name(result)}"
    }
    assert [s["Sid"] for s in writer_statements(result, "aws:iam/userPolicy:UserPolicy")] == [
        "ArchiveBucket",
        "ArchiveObjects",
        "ArchiveKey",
    ]
    assert outputs["endpoint"] == "s3.us-west-2.amazonaws.com"
    assert by_name(result.resources)["archive-aws"].props["profile"] == "dev"
    assert "archive-object-lock" not in by_name(result.resources)
    assert props(result, "archive-bucket")["objectLockEnabled"] is False


def user_policy_name(result: ProgramRun) -> str:
    (policy,) = [r for r in result.resources if r.type == "aws:iam/userPolicy:UserPolicy"]
    return policy.props["user"]


def test_pod_identity_role_and_associations():
    writer = PodIdentityWriterArgs(("portworx/portworx", "portworx/stork"), "prod-eks")
    result = run(replace(PROD, writer=writer))
    assert document(result, "archive-writer", "assumeRolePolicy", ROLE)["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Principal": {"Service": "pods.eks.amazonaws.com"},
        }
    ]
    associations = sorted(
        (
            r.props["namespace"],
            r.props["serviceAccount"],
            r.props["clusterName"],
            r.props["roleArn"],
        )
        for r in result.resources
        if r.type == "aws:eks/podIdentityAssociation:PodIdentityAssociation"
    )
    role = result.outputs["writer_role_arn"]
    assert associations == [
        ("portworx", "portworx", "prod-eks", role),
        ("portworx", "stork", "prod-eks", role),
    ]
    without_cluster = run(replace(PROD, writer=replace(writer, cluster_name=None)))
    assert not [r for r in without_cluster.resources if "podIdentity" in r.type]


def test_aes256_makes_no_key_and_asks_for_none():
    result = run(replace(DEV, encryption="AES256"))
    assert not [r for r in result.resources if r.type == "aws:kms/key:Key"]
    assert "kms_key_arn" not in result.outputs
    assert props(result, "archive-encryption")["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"},
            "bucketKeyEnabled": False,
        }
    ]
    assert [s["Sid"] for s in writer_statements(result, "aws:iam/userPolicy:UserPolicy")] == [
        "ArchiveBucket",
        "ArchiveObjects",
    ]
    assert [s["Sid"] for s in document(result, "archive-policy")["Statement"]] == [
        "DenyInsecureTransport",
        "DenyOtherEncryption",
    ]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_archive_passes_each_stacks_policies(prod, stack):
    config = load_pack_config(PROJECT_DIR / "policies" / "config" / f"{stack}.json")
    evaluation = evaluate(resolve(POLICIES, config), prod.resources)
    assert (evaluation.violations, evaluation.skipped) == ([], [])


def test_prod_policies_require_the_object_lock():
    config = load_pack_config(PROJECT_DIR / "policies" / "config" / "prod.json")
    evaluation = evaluate(resolve(POLICIES, config), run(replace(PROD, object_lock=None)).resources)
    assert [(v.policy, v.resource.name) for v in evaluation.violations] == [
        ("archive-object-lock", "archive-bucket")
    ]
