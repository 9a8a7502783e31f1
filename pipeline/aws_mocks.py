"""What the AWS provider would compute, synthesized for the offline run.

Under Pulumi's mocks a resource only has the outputs the mocks return: anything else (an ARN, a
bucket's generated name, a key id) stays unknown, and so would every policy document built from
it. Here each AWS resource gets the ids and outputs the provider computes, derived from its
logical name so that runs are repeatable, in the account and region of its provider; and the data
sources the program reads (caller identity, region, partition, IAM policy documents) answer as AWS
does. The account is AWS's documentation account unless the provider assumes a role, whose
account it then is; access keys are visibly fake.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

OFFLINE_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
_UUID_NAMESPACE = uuid.UUID("6f1d1c1e-2d6b-4f0e-9d43-3f2a51b0c7a1")
_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class _Place:
    """Where a provider's resources live."""

    region: str
    account: str

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def dns_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account if account else ''}:{resource}"
        )


def _digest(name: str, length: int, alphabet: str = "0123456789abcdef") -> str:
    """``length`` characters of ``alphabet`` that only depend on ``name``."""
    raw = hashlib.sha256(name.encode()).digest()
    while len(raw) < length:
        raw += hashlib.sha256(raw).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in raw[:length])


def _auto_name(name: str, inputs: Mapping[str, Any], key: str = "name") -> str:
    """The physical name: as given, or the engine's ``<logical name>-<7 hex>`` auto-name."""
    given = inputs.get(key)
    return given if isinstance(given, str) else f"{name}-{_digest(name, 7)}"


def _bucket(name: str, inputs: Mapping[str, Any], place: _Place) -> tuple[str, dict[str, Any]]:
    bucket = inputs.get("bucket")
    if not isinstance(bucket, str):
        # AWS completes a prefix with 26 digits (a timestamp and a counter).
        prefix = inputs.get("bucketPrefix")
        bucket = (prefix if isinstance(prefix, str) else "terraform-") + _digest(
            name, 26, "0123456789"
        )
    return bucket, {
        "bucket": bucket,
        "arn": f"arn:{place.partition}:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.{place.dns_suffix}",
        "bucketRegionalDomainName": f"{bucket}.s3.{place.region}.{place.dns_suffix}",
        "region": place.region,
    }


def _kms_key(name: str, _inputs: Mapping[str, Any], place: _Place) -> tuple[str, dict[str, Any]]:
    key_id = str(uuid.uuid5(_UUID_NAMESPACE, name))
    return key_id, {"keyId": key_id, "arn": place.arn("kms", f"key/{key_id}")}


def _iam_principal(kind: str, unique_prefix: str) -> Callable[..., tuple[str, dict[str, Any]]]:
    def outputs(name: str, inputs: Mapping[str, Any], place: _Place) -> tuple[str, dict[str, Any]]:
        physical = _auto_name(name, inputs)
        path = inputs.get("path") if isinstance(inputs.get("path"), str) else "/"
        return physical, {
            "name": physical,
            "arn": place.arn("iam", f"{kind}{path}{physical}", region=False),
            "uniqueId": unique_prefix + _digest(name, 17, _ALPHANUMERIC),
        }

    return outputs


def _inline_policy(owner: str) -> Callable[..., tuple[str, dict[str, Any]]]:
    def outputs(name: str, inputs: Mapping[str, Any], _place: _Place) -> tuple[str, dict[str, Any]]:
        physical = _auto_name(name, inputs)
        return f"{inputs.get(owner)}:{physical}", {"name": physical}

    return outputs


def _access_key(name: str, _inputs: Mapping[str, Any], _place: _Place) -> tuple[str, dict]:
    # Shaped like real keys (AKIA + 16, 40 characters) and plainly not one.
    key_id = "AKIAOFFLINE" + _digest(name, 9, _ALPHANUMERIC)
    secret = "offline-secret-" + _digest(f"secret:{name}", 25)
    return key_id, {"secret": secret, "status": "Active"}


def _pod_identity(name: str, inputs: Mapping[str, Any], place: _Place) -> tuple[str, dict]:
    association = "a-" + _digest(name, 17, "0123456789abcdefghijklmnopqrstuvwxyz")
    arn = place.arn("eks", f"podidentityassociation/{inputs.get('clusterName')}/{association}")
    return f"{inputs.get('clusterName')},{association}", {
        "associationId": association,
        "associationArn": arn,
    }


def _of_bucket(_name: str, inputs: Mapping[str, Any], _place: _Place) -> tuple[str, dict]:
    # The bucket's companions are identified by the bucket.
    return str(inputs.get("bucket")), {}


_RESOURCES: dict[str, Callable[[str, Mapping[str, Any], _Place], tuple[str, dict[str, Any]]]] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:iam/role:Role": _iam_principal("role", "AROA"),
    "aws:iam/user:User": _iam_principal("user", "AIDA"),
    "aws:iam/rolePolicy:RolePolicy": _inline_policy("role"),
    "aws:iam/userPolicy:UserPolicy": _inline_policy("user"),
    "aws:iam/accessKey:AccessKey": _access_key,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _pod_identity,
    **{
        f"aws:s3/{kind[0].lower()}{kind[1:]}:{kind}": _of_bucket
        for kind in (
            "BucketOwnershipControls",
            "BucketPublicAccessBlock",
            "BucketVersioning",
            "BucketServerSideEncryptionConfiguration",
            "BucketPolicy",
            "BucketLifecycleConfiguration",
            "BucketObjectLockConfiguration",
            "BucketLogging",
        )
    },
}


class AwsMocks:
    """The AWS provider's part of the mocks: providers, resources and data sources."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._places: dict[str, _Place] = {}
        """By provider id: providers register before the resources that use them."""

    def new_provider(self, name: str, inputs: Mapping[str, Any]) -> str:
        """Remember where the provider's resources live; return its id."""
        region = inputs.get("region") or self._default_region()
        provider_id = str(uuid.uuid5(_UUID_NAMESPACE, f"provider:{name}"))
        with self._lock:
            self._places[provider_id] = _Place(region, _assumed_account(inputs.get("assumeRoles")))
        return provider_id

    def new_resource(
        self, typ: str, name: str, inputs: Mapping[str, Any], provider: str
    ) -> tuple[str, dict[str, Any]]:
        """The resource's id and the outputs the provider computes (inputs win over them)."""
        outputs = _RESOURCES.get(typ)
        if outputs is None:
            return f"{name}-id", {}
        resource_id, computed = outputs(name, inputs, self._place(provider))
        return resource_id, {key: value for key, value in computed.items() if key not in inputs}

    def call(self, token: str, args: Mapping[str, Any], provider: str) -> dict[str, Any]:
        place = self._place(provider)
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": place.account,
                "arn": place.arn("iam", "user/offline-check", region=False),
                "id": place.account,
                "userId": "AIDAOFFLINECHECK00000",
            }
        if token == "aws:index/getRegion:getRegion":
            return {
                "id": place.region,
                "name": place.region,
                "region": place.region,
                "endpoint": f"ec2.{place.region}.{place.dns_suffix}",
                "description": place.region,
            }
        if token == "aws:index/getPartition:getPartition":
            return {
                "id": place.partition,
                "partition": place.partition,
                "dnsSuffix": place.dns_suffix,
                "reverseDnsPrefix": ".".join(reversed(place.dns_suffix.split("."))),
            }
        if token == "aws:iam/getPolicyDocument:getPolicyDocument":
            document = render_policy_document(args)
            return {
                "id": _digest(json.dumps(document), 10, "0123456789"),
                "json": json.dumps(document, indent=2),
                "minifiedJson": json.dumps(document, separators=(",", ":")),
                "statements": args.get("statements", []),
            }
        raise NotImplementedError(f"the offline run has no answer for {token}")

    def _place(self, provider: str) -> _Place:
        # A provider reference is "<urn>::<id>"; a default provider is not registered.
        place = self._places.get(provider.rsplit("::", 1)[-1]) if provider else None
        return place or _Place(self._default_region(), OFFLINE_ACCOUNT)

    @staticmethod
    def _default_region() -> str:
        return pulumi.Config("aws").get("region") or DEFAULT_REGION


def _assumed_account(assume_roles: Any) -> str:
    """The account of the role the provider assumes; the offline account otherwise."""
    if isinstance(assume_roles, str):  # provider inputs of object type arrive as JSON text
        assume_roles = json.loads(assume_roles)
    for role in assume_roles or ():
        parts = str(role.get("roleArn", "")).split(":")
        if len(parts) > 4 and parts[4].isdigit():
            return parts[4]
    return OFFLINE_ACCOUNT


# How getPolicyDocument writes a statement: keys in this order, a one-element list as its
# element, principals grouped by type (the anonymous "*" as a bare "*"), conditions by test.
_STATEMENT_LISTS = (
    ("actions", "Action"),
    ("notActions", "NotAction"),
    ("resources", "Resource"),
    ("notResources", "NotResource"),
)
_UNSUPPORTED = ("sourcePolicyDocuments", "overridePolicyDocuments")


def render_policy_document(args: Mapping[str, Any]) -> dict[str, Any]:
    """The IAM policy document that ``aws.iam.get_policy_document`` renders from ``args``."""
    for key in _UNSUPPORTED:
        if args.get(key):
            raise NotImplementedError(f"the offline run does not merge policy documents ({key})")
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = [_statement(statement) for statement in args.get("statements") or ()]
    return document


def _statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    if statement.get("sid"):
        rendered["Sid"] = statement["sid"]
    rendered["Effect"] = statement.get("effect") or "Allow"
    for key, name in _STATEMENT_LISTS:
        if statement.get(key):
            rendered[name] = _one_or_many(statement[key])
    for key, name in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        if statement.get(key):
            rendered[name] = _principals(statement[key])
    if statement.get("conditions"):
        conditions: dict[str, dict[str, Any]] = {}
        for condition in statement["conditions"]:
            conditions.setdefault(condition["test"], {})[condition["variable"]] = _one_or_many(
                condition["values"]
            )
        rendered["Condition"] = conditions
    return rendered


def _principals(principals: list[Mapping[str, Any]]) -> Any:
    if len(principals) == 1 and principals[0]["type"] == "*":
        return "*"
    grouped: dict[str, list[str]] = {}
    for principal in principals:
        grouped.setdefault(principal["type"], []).extend(principal["identifiers"])
    return {kind: _one_or_many(identifiers) for kind, identifiers in grouped.items()}


def _one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else list(values)
