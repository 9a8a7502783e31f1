"""The ``archive`` section: the S3 bucket that Portworx cloud snapshots and Stork backups go to,
how the program reaches AWS, and which identity writes to the bucket."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.s3 import (
    ENCRYPTIONS,
    OBJECT_LOCK_MODES,
    STANDARD_IA_MINIMUM_DAYS,
    TRANSITION_STORAGE_CLASSES,
)
from pipeline.config.base import (
    ConfigModel,
    Problem,
    at_least_one,
    between,
    config_rule,
    matching,
    not_allowed,
    raise_problems,
)

Days = Annotated[int, AfterValidator(between(1, 36500))]
Region = Annotated[
    str,
    AfterValidator(matching(r"[a-z]{2}(-[a-z]+)+-[0-9]", "an AWS region such as eu-west-1")),
]
RoleArn = Annotated[
    str,
    AfterValidator(
        matching(
            r"arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}",
            "an IAM role ARN such as arn:aws:iam::123456789012:role/deployer",
        )
    ),
]
# AWS appends 26 characters to a prefix, and a bucket name has at most 63. No dots: a dotted name
# breaks TLS of virtual-hosted requests (the certificate covers one label). No reserved prefixes.
BucketPrefix = Annotated[
    str,
    AfterValidator(
        matching(
            r"(?!xn--|sthree-|amzn-s3-demo-)[a-z0-9][a-z0-9-]{2,36}",
            "3..37 lowercase letters, digits and '-', starting with a letter or digit, not "
            "xn--, sthree- or amzn-s3-demo-",
        )
    ),
]
BucketName = Annotated[
    str,
    AfterValidator(
        matching(
            r"(?!xn--|sthree-|amzn-s3-demo-)(?!.*(-s3alias|--ol-s3|\.\.))"
            r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
            "an S3 bucket name: 3..63 lowercase letters, digits, '.' and '-'",
        )
    ),
]
ServiceAccount = Annotated[
    str,
    AfterValidator(
        matching(
            r"(?=[^/]{1,63}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?/(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?",
            "namespace/name of a Kubernetes service account, e.g. portworx/stork",
        )
    ),
]
# Portworx nodes upload cloud snapshots; Stork writes application backups.
DEFAULT_SERVICE_ACCOUNTS = ("portworx/portworx", "portworx/stork")


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise not_allowed(f"each service account once; repeated: {', '.join(repeated)}")
    return values


ServiceAccounts = Annotated[
    tuple[ServiceAccount, ...], AfterValidator(at_least_one), AfterValidator(_unique)
]


class LifecycleConfig(ConfigModel):
    """How archived snapshots age: to colder storage, and old versions out."""

    transition_days: Days = 30
    """Days after upload when snapshots move to ``storageClass``."""
    storage_class: Literal[TRANSITION_STORAGE_CLASSES] = "GLACIER_IR"
    """GLACIER_IR keeps millisecond reads at a fraction of the price. GLACIER and DEEP_ARCHIVE
    are refused: nothing thaws their objects before Portworx or Stork reads them."""
    noncurrent_version_expiry_days: Days = 90
    """Days a replaced or deleted snapshot object is kept before S3 removes it for good."""
    abort_multipart_days: Annotated[int, AfterValidator(between(1, 365))] = 7
    """Days after which parts of an interrupted upload are removed (they are billed otherwise)."""

    @model_validator(mode="after")
    def _standard_ia_minimum(self) -> LifecycleConfig:
        if self.storage_class == "STANDARD_IA" and self.transition_days < STANDARD_IA_MINIMUM_DAYS:
            raise_problems(
                [
                    Problem(
                        ("transitionDays",),
                        self.transition_days,
                        f"at least {STANDARD_IA_MINIMUM_DAYS} with storageClass STANDARD_IA",
                    )
                ]
            )
        return self


class ObjectLockConfig(ConfigModel):
    """Write-once retention: no one (COMPLIANCE: not even the account's root) deletes or
    overwrites a snapshot version before ``days`` have passed."""

    mode: Literal[OBJECT_LOCK_MODES] = "GOVERNANCE"
    days: Days = 30


class AccessLoggingConfig(ConfigModel):
    """S3 server access logs of the archive, delivered to another bucket."""

    target_bucket: BucketName
    target_prefix: Annotated[str, Field(min_length=1, max_length=512)] = "snapshot-archive/"


class IrsaConfig(ConfigModel):
    """IAM roles for service accounts: the cluster's OIDC provider vouches for the pods."""

    oidc_provider_arn: Annotated[
        str,
        AfterValidator(
            matching(
                r"arn:aws(-[a-z]+)*:iam::[0-9]{12}:oidc-provider/[A-Za-z0-9.-]+(/[A-Za-z0-9._-]+)*",
                "an IAM OIDC provider ARN such as arn:aws:iam::123456789012:oidc-provider/"
                "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
            )
        ),
    ]
    service_accounts: ServiceAccounts = DEFAULT_SERVICE_ACCOUNTS


class PodIdentityConfig(ConfigModel):
    """EKS Pod Identity: the EKS Pod Identity Agent hands the role to the pods."""

    cluster_name: (
        Annotated[
            str,
            AfterValidator(
                matching(
                    r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}",
                    "an EKS cluster name: letters, digits, '-' and '_', at most 100 characters",
                )
            ),
        ]
        | None
    ) = None
    """Create the pod identity associations in this cluster; unset: they are made elsewhere."""
    service_accounts: ServiceAccounts = DEFAULT_SERVICE_ACCOUNTS


class WriterConfig(ConfigModel):
    """Who writes snapshots: an IAM role (IRSA or Pod Identity) or, with neither, an IAM user
    whose access key only exists as a Pulumi secret."""

    irsa: IrsaConfig | None = None
    pod_identity: PodIdentityConfig | None = None

    @model_validator(mode="after")
    def _one_identity(self) -> WriterConfig:
        if self.irsa is not None and self.pod_identity is not None:
            raise config_rule("set at most one of irsa, podIdentity (neither: an IAM user)")
        return self


class ArchiveConfig(ConfigModel):
    """The snapshot archive: a versioned, encrypted, private S3 bucket that the stack never
    deletes."""

    region: Region
    profile: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    """A profile of the AWS shared config files; unset: the environment's credentials."""
    role_arn: RoleArn | None = None
    """A role the program assumes to manage the archive (e.g. in a separate backup account)."""
    bucket_prefix: BucketPrefix
    """AWS completes the bucket's name with a unique suffix."""
    encryption: Literal[ENCRYPTIONS] = "kms"
    """kms: a customer key the program creates (rotated yearly); AES256: S3-managed keys, which
    the policy pack allows only where its config says so."""
    lifecycle: LifecycleConfig = LifecycleConfig()
    object_lock: ObjectLockConfig | None = None
    """Unset: no object lock. Once on, object lock can never be turned off."""
    access_logging: AccessLoggingConfig | None = None
    writer: WriterConfig = WriterConfig()
