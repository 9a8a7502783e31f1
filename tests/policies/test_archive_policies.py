"""Each archive policy, passing and failing, through the engine and through pulumi_policy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.record import Resource
from tests.policies.helpers import messages, pulumi_messages

BUCKET_URN = "urn:bucket"
ARN = "arn:aws:s3:::dp-archive-1"


def bucket(**props: Any) -> Resource:
    return Resource(
        "aws:s3/bucket:Bucket", "archive-bucket", {"bucketPrefix": "dp-", **props}, BUCKET_URN
    )


def companion(kind: str, props: dict[str, Any], name: str = "c") -> Resource:
    token = f"aws:s3/{kind[0].lower()}{kind[1:]}:{kind}"
    return Resource(
        token,
        name,
        {"bucket": "dp-archive-1", **props},
        f"urn:{kind}:{name}",
        dependencies=(BUCKET_URN,),
    )


def policy_json(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TLS_DENY = {
    "Effect": "Deny",
    "Action": "s3:*",
    "Principal": "*",
    "Resource": [ARN, f"{ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
KMS = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:aws:kms:eu-west-1:1:key/k"}
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def iam(kind: str, *statements: dict[str, Any]) -> Resource:
    token = f"aws:iam/{kind[0].lower()}{kind[1:]}:{kind}"
    return Resource(token, "writer", {"policy": policy_json(*statements)}, f"urn:{kind}")


# (policy, settings, resources that pass, resources that fail, the failing messages)
CASES = [
    (
        "archive-bucket-versioning",
        {},
        [
            bucket(),
            companion("BucketVersioning", {"versioningConfiguration": {"status": "Enabled"}}),
        ],
        [
            bucket(),
            companion("BucketVersioning", {"versioningConfiguration": {"status": "Suspended"}}),
        ],
        [
            'S3 bucket "archive-bucket" has versioning Suspended; set status Enabled so that an '
            "overwritten or deleted snapshot can be brought back"
        ],
    ),
    (
        "archive-bucket-versioning",
        {},
        [
            bucket(),
            companion("BucketVersioningV2", {"versioningConfiguration": {"status": "Enabled"}}),
        ],
        [bucket()],
        [
            'S3 bucket "archive-bucket" has no BucketVersioning; set status Enabled so that an '
            "overwritten or deleted snapshot can be brought back"
        ],
    ),
    (
        "archive-bucket-encryption",
        {},
        [
            bucket(),
            companion(
                "BucketServerSideEncryptionConfiguration",
                {"rules": [{"applyServerSideEncryptionByDefault": KMS}]},
            ),
        ],
        [
            bucket(),
            companion(
                "BucketServerSideEncryptionConfiguration",
                {
                    "rules": [
                        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}},
                        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}},
                    ]
                },
            ),
        ],
        [
            'S3 bucket "archive-bucket" is encrypted with AES256; allowed here: aws:kms, '
            "aws:kms:dsse",
            'S3 bucket "archive-bucket" is encrypted with aws:kms under the AWS-managed key; set '
            "kmsMasterKeyId to a customer key, whose policy says who may read",
        ],
    ),
    (
        "archive-bucket-encryption",
        {"allowAes256": True},
        [
            bucket(),
            companion(
                "BucketServerSideEncryptionConfiguration",
                {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
            ),
        ],
        [bucket()],
        [
            'S3 bucket "archive-bucket" has no default encryption; encrypt it with SSE-KMS and a '
            "customer key"
        ],
    ),
    (
        "archive-public-access-block",
        {},
        [bucket(), companion("BucketPublicAccessBlock", dict.fromkeys(FLAGS, True))],
        [
            bucket(),
            companion(
                "BucketPublicAccessBlock",
                {
                    **dict.fromkeys(FLAGS, True),
                    "blockPublicPolicy": False,
                    "ignorePublicAcls": None,
                },
            ),
        ],
        [
            'S3 bucket "archive-bucket"\'s public access block leaves blockPublicPolicy, '
            "ignorePublicAcls off; set all four true"
        ],
    ),
    (
        "archive-public-access-block",
        {},
        [bucket(), companion("BucketPublicAccessBlock", dict.fromkeys(FLAGS, True))],
        [bucket()],
        [
            'S3 bucket "archive-bucket" has no BucketPublicAccessBlock; block public access with '
            "all four flags (blockPublicAcls, blockPublicPolicy, ignorePublicAcls, "
            "restrictPublicBuckets)"
        ],
    ),
    (
        "archive-tls-only",
        {},
        [bucket(), companion("BucketPolicy", {"policy": policy_json(TLS_DENY)})],
        [
            bucket(),
            companion(
                "BucketPolicy",
                {
                    "policy": policy_json(
                        {**TLS_DENY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
                        {**TLS_DENY, "Resource": f"{ARN}/*"},
                        {**TLS_DENY, "Effect": "Allow"},
                        {**TLS_DENY, "Action": "s3:GetObject"},
                    )
                },
            ),
        ],
        [
            'S3 bucket "archive-bucket" has no bucket policy statement denying requests without '
            "TLS (Deny s3:* to every principal on the bucket and its objects when "
            'aws:SecureTransport is "false")'
        ],
    ),
    (
        "archive-lifecycle",
        {},
        [
            bucket(),
            companion(
                "BucketLifecycleConfiguration", {"rules": [{"id": "a", "status": "Enabled"}]}
            ),
        ],
        [
            bucket(),
            companion(
                "BucketLifecycleConfiguration", {"rules": [{"id": "a", "status": "Disabled"}]}
            ),
        ],
        [
            'S3 bucket "archive-bucket" has no enabled lifecycle rule; age snapshots into colder '
            "storage and expire noncurrent versions and unfinished uploads"
        ],
    ),
    (
        "archive-no-force-destroy",
        {},
        [bucket(), bucket(forceDestroy=False)],
        [bucket(forceDestroy=True)],
        [
            'S3 bucket "archive-bucket" sets forceDestroy; remove it, so that deleting the bucket '
            "can never delete the snapshots in it"
        ],
    ),
    (
        "archive-object-lock",
        {"required": True},
        [
            bucket(objectLockEnabled=True),
            companion(
                "BucketObjectLockConfiguration",
                {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 30}}},
            ),
        ],
        [bucket()],
        [
            'S3 bucket "archive-bucket" has no object lock with a default retention; this stack '
            "requires snapshots that nobody can delete before their retention ends"
        ],
    ),
    (
        "archive-writer-least-privilege",
        {},
        [
            iam(
                "RolePolicy", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{ARN}/*"}
            ),
            iam("Policy", {"Effect": "Deny", "Action": "*", "Resource": "*"}),
        ],
        [
            iam(
                "RolePolicy",
                {
                    "Sid": "Objects",
                    "Effect": "Allow",
                    "Action": ["s3:*", "s3:GetObject"],
                    "Resource": "*",
                },
            ),
            iam("UserPolicy", {"Effect": "Allow", "NotAction": "iam:*", "Resource": ARN}),
            iam(
                "Policy",
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:*:*"},
            ),
        ],
        [
            "IAM RolePolicy \"writer\" statement Objects allows the wildcard action 's3:*'; list "
            "the actions needed",
            "IAM RolePolicy \"writer\" statement Objects allows on the wildcard resource '*'; name "
            "the bucket, its objects or the key",
            'IAM UserPolicy "writer" statement 1 allows with NotAction: everything but a list; '
            "name what it allows",
            'IAM Policy "writer" statement 1 allows on the wildcard resource '
            "'arn:aws:kms:*:*:*'; name the bucket, its objects or the key",
        ],
    ),
]


@pytest.mark.parametrize(("name", "settings", "good", "bad", "expected"), CASES)
def test_policy_passes_and_fails_with_exact_messages(name, settings, good, bad, expected):
    assert messages(name, good, settings) == []
    assert messages(name, bad, settings) == expected
    assert pulumi_messages(name, good, settings) == []
    assert pulumi_messages(name, bad, settings) == expected


def test_object_lock_is_not_judged_unless_required():
    assert messages("archive-object-lock", [bucket()]) == []


def test_companions_of_another_bucket_do_not_count():
    other = Resource("aws:s3/bucket:Bucket", "other", {}, "urn:other")
    resources = [
        bucket(),
        other,
        companion("BucketVersioning", {"versioningConfiguration": {"status": "Enabled"}}),
    ]
    assert messages("archive-bucket-versioning", resources) == [
        'S3 bucket "other" has no BucketVersioning; set status Enabled so that an overwritten '
        "or deleted snapshot can be brought back"
    ]


def test_a_policy_that_is_not_json_is_an_input_error():
    from policies.record import InputError

    with pytest.raises(InputError, match="should be a JSON policy document"):
        messages(
            "archive-writer-least-privilege",
            [Resource("aws:iam/policy:Policy", "p", {"policy": "{"}, "urn:p")],
        )
