"""S3 archive rules: buckets that keep every snapshot version, encrypted, private, TLS-only,
aged by a lifecycle and never emptied by a delete; and IAM policies without wildcards.

A bucket's settings are separate resources (pulumi-aws 7: BucketVersioning, ...), so most rules
are stack rules: they find each bucket's companions by what depends on the bucket. The deprecated
``...V2`` names of pulumi-aws 6 are judged as their pulumi-aws 7 twins.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.engine import ReportResource, ReportStack, Stack
from policies.record import Field, Kind, Resource

BUCKET = Kind("aws:s3", "Bucket")
BUCKET_V2 = Kind("aws:s3", "BucketV2")
IAM_POLICIES = (
    Kind("aws:iam", "Policy"),
    Kind("aws:iam", "RolePolicy"),
    Kind("aws:iam", "UserPolicy"),
)

_PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
_KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def _s3_kind(resource: Resource) -> str | None:
    """The pulumi-aws 7 name of an S3 resource's kind (V2 names folded onto it); None for
    everything else."""
    kind = resource.kind
    if kind is None or kind.group != "aws:s3":
        return None
    return kind.kind.removesuffix("V2")


def _buckets(stack: Stack, companion: str) -> Iterator[tuple[Resource, list[Resource]]]:
    """Each bucket of the stack with its companions of kind ``companion`` (those that depend
    on it)."""
    companions = [r for r in stack.resources if _s3_kind(r) == companion]
    for resource in stack.resources:
        if _s3_kind(resource) == "Bucket":
            yield resource, [c for c in companions if resource.urn in c.dependencies]


def _bucket(resource: Resource) -> str:
    return f'S3 bucket "{resource.name}"'


def check_versioning(stack: Stack, _settings: Mapping[str, Any], report: ReportStack) -> None:
    for bucket, versionings in _buckets(stack, "BucketVersioning"):
        statuses = [v.at("versioningConfiguration", "status").text() for v in versionings]
        if "Enabled" not in statuses:
            shown = f"versioning {statuses[0]}" if statuses else "no BucketVersioning"
            report(
                f"{_bucket(bucket)} has {shown}; set status Enabled so that an overwritten or "
                "deleted snapshot can be brought back",
                bucket,
            )


def check_encryption(stack: Stack, settings: Mapping[str, Any], report: ReportStack) -> None:
    allowed = (*_KMS_ALGORITHMS, "AES256") if settings["allowAes256"] else _KMS_ALGORITHMS
    for bucket, configurations in _buckets(stack, "BucketServerSideEncryptionConfiguration"):
        defaults = [
            rule.at("applyServerSideEncryptionByDefault")
            for configuration in configurations
            for rule in configuration.at("rules").items()
        ]
        if not defaults:
            report(
                f"{_bucket(bucket)} has no default encryption; encrypt it with SSE-KMS and a "
                "customer key",
                bucket,
            )
        for default in defaults:
            algorithm = default.at("sseAlgorithm").required_text()
            if algorithm not in allowed:
                report(
                    f"{_bucket(bucket)} is encrypted with {algorithm}; allowed here: "
                    f"{', '.join(allowed)}",
                    bucket,
                )
            elif algorithm in _KMS_ALGORITHMS and default.at("kmsMasterKeyId").text() is None:
                report(
                    f"{_bucket(bucket)} is encrypted with {algorithm} under the AWS-managed key; "
                    "set kmsMasterKeyId to a customer key, whose policy says who may read",
                    bucket,
                )


def check_public_access(stack: Stack, _settings: Mapping[str, Any], report: ReportStack) -> None:
    for bucket, blocks in _buckets(stack, "BucketPublicAccessBlock"):
        if not blocks:
            report(
                f"{_bucket(bucket)} has no BucketPublicAccessBlock; block public access with all "
                f"four flags ({', '.join(_PUBLIC_ACCESS_FLAGS)})",
                bucket,
            )
        for block in blocks:
            off = [flag for flag in _PUBLIC_ACCESS_FLAGS if block.at(flag).flag() is not True]
            if off:
                report(
                    f"{_bucket(bucket)}'s public access block leaves {', '.join(off)} off; set "
                    "all four true",
                    bucket,
                )


def check_tls_only(stack: Stack, _settings: Mapping[str, Any], report: ReportStack) -> None:
    for bucket, policies in _buckets(stack, "BucketPolicy"):
        statements = (
            statement
            for policy in policies
            for statement in _statements(policy.at("policy").required())
        )
        if not any(_denies_insecure_transport(statement) for statement in statements):
            report(
                f"{_bucket(bucket)} has no bucket policy statement denying requests without TLS "
                "(Deny s3:* to every principal on the bucket and its objects when "
                'aws:SecureTransport is "false")',
                bucket,
            )


def check_lifecycle(stack: Stack, _settings: Mapping[str, Any], report: ReportStack) -> None:
    for bucket, lifecycles in _buckets(stack, "BucketLifecycleConfiguration"):
        statuses = [
            rule.at("status").text()
            for lifecycle in lifecycles
            for rule in lifecycle.at("rules").items()
        ]
        if "Enabled" not in statuses:
            shown = "no enabled lifecycle rule" if statuses else "no BucketLifecycleConfiguration"
            report(
                f"{_bucket(bucket)} has {shown}; age snapshots into colder storage and expire "
                "noncurrent versions and unfinished uploads",
                bucket,
            )


def check_object_lock(stack: Stack, settings: Mapping[str, Any], report: ReportStack) -> None:
    if not settings["required"]:
        return
    for bucket, locks in _buckets(stack, "BucketObjectLockConfiguration"):
        if not any(
            lock.at("objectLockEnabled").text() in (None, "Enabled")
            and lock.at("rule", "defaultRetention", "mode").text() is not None
            for lock in locks
        ):
            report(
                f"{_bucket(bucket)} has no object lock with a default retention; this stack "
                "requires snapshots that nobody can delete before their retention ends",
                bucket,
            )


def check_no_force_destroy(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    if resource.at("forceDestroy").flag():
        report(
            f"{_bucket(resource)} sets forceDestroy; remove it, so that deleting the bucket can "
            "never delete the snapshots in it"
        )


def check_no_wildcards(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    kind = resource.type.rsplit(":", 1)[-1]
    for index, statement in enumerate(_statements(resource.at("policy").required())):
        if statement.get("Effect") != "Allow":
            continue
        where = f'IAM {kind} "{resource.name}" statement {statement.get("Sid") or index + 1}'
        for negated in ("NotAction", "NotResource"):
            if negated in statement:
                report(f"{where} allows with {negated}: everything but a list; name what it allows")
        for action in _as_list(statement.get("Action")):
            if "*" in str(action):
                report(f"{where} allows the wildcard action {action!r}; list the actions needed")
        for target in _as_list(statement.get("Resource")):
            if target == "*" or str(target).endswith(":*"):
                report(
                    f"{where} allows on the wildcard resource {target!r}; name the bucket, its "
                    "objects or the key"
                )


def _statements(field: Field) -> list[Mapping[str, Any]]:
    """The statements of a policy document given as JSON text (or as an object)."""
    document = field.value
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            raise field.reject("a JSON policy document") from None
    if not isinstance(document, Mapping):
        raise field.reject("a JSON policy document")
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, Sequence) or isinstance(statements, str):
        raise field.reject("a policy document with a Statement list")
    return [statement for statement in statements if isinstance(statement, Mapping)]


def _as_list(value: Any) -> list[Any]:
    """A policy element that IAM lets be one value or a list of them."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal != "*" and not (
        isinstance(principal, Mapping) and _as_list(principal.get("AWS")) == ["*"]
    ):
        return False
    resources = [str(target) for target in _as_list(statement.get("Resource"))]
    covers_all = "*" in resources or (
        any(target.endswith("/*") for target in resources)
        and any(not target.endswith("/*") for target in resources)
    )
    condition = statement.get("Condition")
    secure = (
        condition.get("Bool", {}).get("aws:SecureTransport")
        if isinstance(condition, Mapping) and isinstance(condition.get("Bool"), Mapping)
        else None
    )
    return (
        statement.get("Effect") == "Deny"
        and bool({"s3:*", "*"} & set(_as_list(statement.get("Action"))))
        and covers_all
        and [str(value).lower() for value in _as_list(secure)] == ["false"]
    )
