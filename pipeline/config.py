"""Typed configuration of one stack: everything under the ``data-pipeline:`` namespace.

The stack file is validated as a whole before anything is registered. A bad value becomes one
``ConfigError`` whose lines each name the full key path, the bad value and what is allowed, e.g.
``data-pipeline:storage.classes.db.repl: 5 is not allowed (1..3)``.

Validation checks shape and ranges only. Whether a value is acceptable in an environment (for
example encryption off in prod) is the policy pack's decision, so that one rule set judges every
program and every stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components.portworx import FILESYSTEMS, IO_PRIORITIES, IO_PROFILES, MAX_REPL

NAMESPACE = "data-pipeline"

# Fields whose values are never echoed in an error message.
_SECRET_FIELDS = frozenset({"passphrase"})


class ConfigError(pulumi.RunError):
    """An invalid stack configuration.

    A ``RunError`` so that the Pulumi language host reports it as a clean message, not a traceback.
    """


def _not_allowed(allowed: str) -> PydanticCustomError:
    return PydanticCustomError("not_allowed", "{allowed}", {"allowed": allowed})


def _matching(pattern: str, allowed: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise _not_allowed(allowed)
        return value

    return check


def _between(low: int, high: int) -> Callable[[int], int]:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise _not_allowed(f"{low}..{high}")
        return value

    return check


def _declared_in(context_key: str, described_as: str) -> Callable[[str, ValidationInfo], str]:
    """A reference to a key declared elsewhere in the stack (e.g. a storage role)."""

    def check(value: str, info: ValidationInfo) -> str:
        declared = (info.context or {}).get(context_key)
        # None: the declaring section is itself missing or malformed, and reported there.
        if declared is not None and value not in declared:
            names = ", ".join(sorted(declared)) or "none declared"
            raise _not_allowed(f"{described_as}: {names}")
        return value

    return check


_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"

DnsLabel = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"(?=.{{1,63}}$){_DNS_LABEL}",
            "a DNS label: lowercase letters, digits and '-', at most 63 characters",
        )
    ),
]
# Short enough that "<namespace>-<pipeline>" and "<prefix>-<role>-<digest>" stay valid names.
ShortName = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"(?=.{{1,30}}$){_DNS_LABEL}",
            "a DNS label of at most 30 characters: lowercase letters, digits and '-'",
        )
    ),
]
LabelKey = Annotated[
    str,
    AfterValidator(
        _matching(
            r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?",
            "a Kubernetes label key such as topology.kubernetes.io/zone",
        )
    ),
]
Quantity = Annotated[
    str,
    AfterValidator(
        _matching(
            r"(0|[1-9][0-9]*)(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?",
            "a Kubernetes quantity such as 100Gi",
        )
    ),
]
Replication = Annotated[int, AfterValidator(_between(1, MAX_REPL))]
StorageRole = Annotated[
    str, AfterValidator(_declared_in("storage_roles", "a role declared in storage.classes"))
]
EncryptionKeyName = Annotated[
    str, AfterValidator(_declared_in("encryption_keys", "a key declared in storage.encryptionKeys"))
]

# Every value Portworx accepts: whether a deprecated one is acceptable is the policy pack's call.
IoProfile = Literal[IO_PROFILES]
IoPriority = Literal[IO_PRIORITIES]
Filesystem = Literal[FILESYSTEMS]


class _Model(BaseModel):
    """Base of every config model: camelCase keys as in the stack file, unknown keys rejected."""

    model_config = ConfigDict(alias_generator=to_camel, frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        # Done here rather than with pydantic's own extra="forbid" error so that the message
        # can list the keys that are allowed at this level.
        if isinstance(data, Mapping):
            allowed = sorted(field.alias or name for name, field in cls.model_fields.items())
            unknown = sorted(str(key) for key in data if key not in allowed)
            if unknown:
                raise PydanticCustomError(
                    "unknown_key", "unknown key", {"keys": unknown, "allowed": ", ".join(allowed)}
                )
        return data


class KubernetesConfig(_Model):
    """Where and how the program talks to Kubernetes."""

    namespace: ShortName = "data-pipeline"
    """Base name of the stack's namespaces: each pipeline gets ``<namespace>-<pipeline>``."""
    context: str | None = None
    """kubeconfig context to deploy to; the ambient current context when unset."""
    render_directory: str | None = None
    """Write manifests to this directory instead of applying them (renderYamlToDirectory)."""
    retain_on_delete: bool = True
    """Leave namespaces (and so their volume claims) in the cluster on ``pulumi destroy``."""


class PlacementConfig(_Model):
    """Spread of volume replicas across failure domains (a Portworx VolumePlacementStrategy)."""

    zone_spread: bool = False
    """Default for every class: place each replica of a volume in a different zone."""
    topology_key: LabelKey = "topology.kubernetes.io/zone"
    enforcement: Literal["required", "preferred"] = "required"
    """required: provisioning fails rather than put two replicas in one zone."""


class ExistingSecretConfig(_Model):
    """A Kubernetes Secret, created outside this program, that holds a passphrase."""

    name: DnsLabel
    key: Annotated[str, Field(min_length=1)]


class EncryptionKeyConfig(_Model):
    """A per-class encryption key; classes without one use Portworx's cluster-wide key."""

    namespace: DnsLabel = "portworx"
    """Namespace of the key's Secrets; the Portworx CSI driver must be able to read it."""
    passphrase: SecretStr | None = None
    """The passphrase as a Pulumi secret: the program creates the Secret that holds it."""
    existing_secret: ExistingSecretConfig | None = None
    """Or a Secret that already holds the passphrase (e.g. synced from a vault)."""

    @model_validator(mode="after")
    def _exactly_one_source(self) -> EncryptionKeyConfig:
        if (self.passphrase is None) == (self.existing_secret is None):
            raise PydanticCustomError(
                "config_rule", "set exactly one of passphrase, existingSecret"
            )
        return self


class StorageClassConfig(_Model):
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
    encryption_key: EncryptionKeyName | None = None
    """A key of storage.encryptionKeys; unset means the cluster-wide key."""


class SnapshotClassConfig(_Model):
    enabled: bool = True
    deletion_policy: Literal["Retain", "Delete"] = "Retain"
    """Retain keeps the snapshot data when its VolumeSnapshot object is deleted."""


class CloudSnapshotClassConfig(SnapshotClassConfig):
    enabled: bool = False
    credential_id: str | None = None
    """Portworx cloud credential (``pxctl credentials create``); unset uses the only one defined."""


class SnapshotsConfig(_Model):
    local: SnapshotClassConfig = SnapshotClassConfig()
    cloud: CloudSnapshotClassConfig = CloudSnapshotClassConfig()


class StorageConfig(_Model):
    """The Portworx storage catalog, keyed by role (db, shared, scratch, ...)."""

    classes: Annotated[dict[ShortName, StorageClassConfig], Field(min_length=1)]
    class_prefix: ShortName | None = None
    """Prefix of class, placement and snapshot class names; ``px-<environment>`` when unset."""
    encryption_keys: dict[ShortName, EncryptionKeyConfig] = {}
    placement: PlacementConfig = PlacementConfig()
    snapshots: SnapshotsConfig = SnapshotsConfig()


class PipelineConfig(_Model):
    """One pipeline of the stack, deployed into a namespace of its own."""

    storage: Annotated[dict[StorageRole, Quantity], Field(min_length=1)]
    """Storage roles the pipeline may claim, each with its capacity quota (e.g. db: 200Gi)."""


class StackConfig(_Model):
    """Everything under the ``data-pipeline:`` config namespace."""

    environment: Literal["dev", "staging", "prod"]
    storage: StorageConfig
    pipelines: Annotated[dict[ShortName, PipelineConfig], Field(min_length=1)]
    kubernetes: KubernetesConfig = KubernetesConfig()


def parse_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the raw ``data-pipeline:`` keys (objects already JSON-decoded)."""
    storage = raw.get("storage")
    if isinstance(storage, Mapping):
        context = {
            "storage_roles": _mapping_keys(storage.get("classes")),
            "encryption_keys": _mapping_keys(storage.get("encryptionKeys")),
        }
    else:
        context = {"storage_roles": None, "encryption_keys": None}
    try:
        return StackConfig.model_validate(raw, context=context)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc)) from None


def read_stack_config() -> StackConfig:
    """Read and validate this stack's configuration from the Pulumi runtime, once."""
    return parse_config(_namespace_values())


def _namespace_values() -> dict[str, Any]:
    # pulumi.Config can only look keys up, not list them; listing them is what lets a misspelt
    # top-level key (data-pipeline:storge) be an error instead of a silently ignored setting.
    from pulumi.runtime import config as runtime_config

    known = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    config = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    for full_key in known:
        if full_key.startswith(prefix):
            key = full_key.removeprefix(prefix)
            values[key] = _decode(config.get(key))
    return values


def _decode(value: str | None) -> Any:
    """Structured values reach the program as JSON text, scalars as plain strings."""
    if value is not None and value.lstrip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _mapping_keys(value: Any) -> frozenset[str] | None:
    if value is None:
        return frozenset()
    return frozenset(value) if isinstance(value, Mapping) else None


def format_errors(exc: ValidationError) -> str:
    """One line per problem: ``<full key path>: <bad value> is not allowed (<what is>)``."""
    return "\n".join(_format_error(error) for error in exc.errors(include_url=False))


def _format_error(error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "unknown_key":
        keys = ctx["keys"]
        if len(keys) == 1:
            return f"{_path((*loc, keys[0]))}: unknown key (allowed here: {ctx['allowed']})"
        listed = ", ".join(keys)
        return f"{_path(loc)}: unknown keys {listed} (allowed here: {ctx['allowed']})"
    if kind == "missing":
        return f"{_path(loc)}: required but not set"
    if kind == "config_rule":
        return f"{_path(loc)}: {error['msg']}"
    if kind == "not_allowed":
        allowed = ctx["allowed"]
    elif kind == "literal_error":
        allowed = f"one of {ctx['expected']}"
    elif kind == "too_short":
        allowed = "at least one entry"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        allowed = "expected an object of keys and values"
    else:
        allowed = error["msg"].replace("Input should be", "expected")
    value = "[secret]" if _SECRET_FIELDS.intersection(map(str, loc)) else _show(error["input"])
    return f"{_path(loc)}: {value} is not allowed ({allowed})"


def _path(loc: tuple[Any, ...]) -> str:
    # Dict keys validated as keys show up as "<key>.[key]": the key itself is the bad value.
    parts = [part for part in loc if part != "[key]"]
    text = NAMESPACE + ":"
    for index, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if index else "") + str(part)
    return text


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object" if value else "an empty object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
