"""The archive section: defaults and the exact message per bad value.

The lead wires ``archive`` into the stack; the model is validated on its own here, so paths start
at the section (``data-pipeline:region``...).
"""

from __future__ import annotations

import pytest

from pipeline.config import ConfigError
from pipeline.config.archive import ArchiveConfig
from pipeline.config.base import validate

MINIMAL = {"region": "eu-west-1", "bucketPrefix": "dp-prod-archive-"}
OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123"


def error_of(**changes) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate(ArchiveConfig, {**MINIMAL, **changes})
    return str(caught.value).splitlines()


def test_defaults_are_kms_a_cold_lifecycle_no_lock_and_a_user_writer():
    config = validate(ArchiveConfig, MINIMAL)
    assert (config.region, config.profile, config.role_arn) == ("eu-west-1", None, None)
    assert (config.bucket_prefix, config.encryption) == ("dp-prod-archive-", "kms")
    lifecycle = config.lifecycle
    assert (
        lifecycle.transition_days,
        lifecycle.storage_class,
        lifecycle.noncurrent_version_expiry_days,
        lifecycle.abort_multipart_days,
    ) == (30, "GLACIER_IR", 90, 7)
    assert (config.object_lock, config.access_logging) == (None, None)
    assert (config.writer.irsa, config.writer.pod_identity) == (None, None)


def test_a_full_section():
    config = validate(
        ArchiveConfig,
        {
            **MINIMAL,
            "profile": "backup",
            "roleArn": "arn:aws:iam::210987654321:role/archive-admin",
            "encryption": "AES256",
            "lifecycle": {"storageClass": "STANDARD_IA", "transitionDays": 30},
            "objectLock": {"mode": "COMPLIANCE", "days": 365},
            "accessLogging": {"targetBucket": "dp-access-logs"},
            "writer": {"podIdentity": {"clusterName": "prod-eks"}},
        },
    )
    assert (config.object_lock.mode, config.object_lock.days) == ("COMPLIANCE", 365)
    assert config.access_logging.target_prefix == "snapshot-archive/"
    assert config.writer.pod_identity.cluster_name == "prod-eks"
    assert config.writer.pod_identity.service_accounts == ("portworx/portworx", "portworx/stork")
    irsa = validate(ArchiveConfig, {**MINIMAL, "writer": {"irsa": {"oidcProviderArn": OIDC}}})
    assert irsa.writer.irsa.service_accounts == ("portworx/portworx", "portworx/stork")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"region": "Europe"},
            'data-pipeline:region: "Europe" is not allowed (an AWS region such as eu-west-1)',
        ),
        (
            {"bucketPrefix": "Archive"},
            'data-pipeline:bucketPrefix: "Archive" is not allowed (3..37 lowercase letters, '
            "digits and '-', starting with a letter or digit, not xn--, sthree- or "
            "amzn-s3-demo-)",
        ),
        (
            {"bucketPrefix": "a" * 38},
            f'data-pipeline:bucketPrefix: "{"a" * 38}" is not allowed (3..37 lowercase letters, '
            "digits and '-', starting with a letter or digit, not xn--, sthree- or "
            "amzn-s3-demo-)",
        ),
        (
            {"roleArn": "deployer"},
            'data-pipeline:roleArn: "deployer" is not allowed (an IAM role ARN such as '
            "arn:aws:iam::123456789012:role/deployer)",
        ),
        (
            {"profile": ""},
            'data-pipeline:profile: "" is not allowed (String should have at least 1 character)',
        ),
        (
            {"encryption": "none"},
            "data-pipeline:encryption: \"none\" is not allowed (one of 'kms' or 'AES256')",
        ),
        (
            {"lifecycle": {"storageClass": "DEEP_ARCHIVE"}},
            'data-pipeline:lifecycle.storageClass: "DEEP_ARCHIVE" is not allowed (one of '
            "'GLACIER_IR' or 'STANDARD_IA')",
        ),
        (
            {"lifecycle": {"storageClass": "STANDARD_IA", "transitionDays": 7}},
            "data-pipeline:lifecycle.transitionDays: 7 is not allowed (at least 30 with "
            "storageClass STANDARD_IA)",
        ),
        (
            {"lifecycle": {"noncurrentVersionExpiryDays": 0}},
            "data-pipeline:lifecycle.noncurrentVersionExpiryDays: 0 is not allowed (1..36500)",
        ),
        (
            {"lifecycle": {"abortMultipartDays": 400}},
            "data-pipeline:lifecycle.abortMultipartDays: 400 is not allowed (1..365)",
        ),
        (
            {"objectLock": {"mode": "LEGAL_HOLD"}},
            'data-pipeline:objectLock.mode: "LEGAL_HOLD" is not allowed (one of '
            "'GOVERNANCE' or 'COMPLIANCE')",
        ),
        (
            {"objectLock": {"days": 0}},
            "data-pipeline:objectLock.days: 0 is not allowed (1..36500)",
        ),
        (
            {"accessLogging": {"targetBucket": "Logs_Bucket"}},
            'data-pipeline:accessLogging.targetBucket: "Logs_Bucket" is not allowed (an S3 '
            "bucket name: 3..63 lowercase letters, digits, '.' and '-')",
        ),
        (
            {"writer": {"irsa": {"oidcProviderArn": OIDC}, "podIdentity": {}}},
            "data-pipeline:writer: set at most one of irsa, podIdentity (neither: an IAM user)",
        ),
        (
            {"writer": {"irsa": {"oidcProviderArn": "oidc.eks.eu-west-1.amazonaws.com"}}},
            'data-pipeline:writer.irsa.oidcProviderArn: "oidc.eks.eu-west-1.amazonaws.com" is '
            "not allowed (an IAM OIDC provider ARN such as arn:aws:iam::123456789012:"
            "oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE)",
        ),
        (
            {"writer": {"podIdentity": {"serviceAccounts": ["stork"]}}},
            'data-pipeline:writer.podIdentity.serviceAccounts[0]: "stork" is not allowed '
            "(namespace/name of a Kubernetes service account, e.g. portworx/stork)",
        ),
        (
            {"writer": {"podIdentity": {"serviceAccounts": []}}},
            "data-pipeline:writer.podIdentity.serviceAccounts: an empty list is not allowed "
            "(at least one entry)",
        ),
        (
            {"writer": {"podIdentity": {"serviceAccounts": ["a/b", "a/b"]}}},
            "data-pipeline:writer.podIdentity.serviceAccounts: a list is not allowed (each "
            "service account once; repeated: a/b)",
        ),
        (
            {"writer": {"podIdentity": {"clusterName": "-eks"}}},
            'data-pipeline:writer.podIdentity.clusterName: "-eks" is not allowed (an EKS '
            "cluster name: letters, digits, '-' and '_', at most 100 characters)",
        ),
        (
            {"writer": {"user": {}}},
            "data-pipeline:writer.user: unknown key (allowed here: irsa, podIdentity)",
        ),
    ],
)
def test_each_bad_value_has_its_exact_message(changes, expected):
    assert error_of(**changes) == [expected]


def test_region_and_prefix_are_required():
    with pytest.raises(ConfigError) as caught:
        validate(ArchiveConfig, {})
    assert str(caught.value).splitlines() == [
        "data-pipeline:region: required but not set",
        "data-pipeline:bucketPrefix: required but not set",
    ]
