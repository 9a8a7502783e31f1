"""The capacity plan: what the stack's volumes claim, per StorageClass, per zone and per pipeline.

Which fields of which kinds claim volumes, and how many, is known by the rule module of each kind
(a :data:`VolumeReader` per kind, like the catalog's class readers): built-in claims in
``policies.claims``, Strimzi node pools in ``policies.strimzi``. From them this module builds the
plan the offline check prints, and the policy that stops a pipeline whose elements claim more
than its namespace's quota allows (such a stack would deploy, then fail to provision).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.labels import ROLE_LABEL
from components.quantities import format_bytes, parse_quantity
from policies.engine import ReportStack, Stack, StackPolicy
from policies.record import Field, Kind, Resource
from policies.storage_classes import STORAGE_CLASS

RESOURCE_QUOTA = Kind("core", "ResourceQuota")
_PER_CLASS = ".storageclass.storage.k8s.io/requests.storage"
_TOTAL = "requests.storage"
ANY_CLASS = "(any class)"
POLICY_NAME = "storage-claims-within-quota"


@dataclass(frozen=True)
class Volumes:
    """``count`` volumes of ``size`` bytes on one class, claimed at one place of a resource."""

    where: str
    class_name: str | None
    """None: the cluster's default class."""
    size: int
    count: int

    @classmethod
    def at(cls, claim_class: Field, size: Field, count: int) -> Volumes:
        """Volumes whose class and requested size are read from two fields of a claim."""
        return cls(size.path, claim_class.text(), _bytes(size), count)


VolumeReader = Callable[[Resource], Iterable[Volumes]]
"""Every group of volumes one resource of the kind claims."""


@dataclass(frozen=True)
class ClassRow:
    class_name: str
    role: str | None
    repl: int
    volumes: int
    requested: int
    """Bytes the claims request."""
    raw: int
    """Bytes Portworx stores for them: requested x repl."""


@dataclass(frozen=True)
class ZoneRow:
    zone: str
    volumes: int
    requested: int
    raw: int


@dataclass(frozen=True)
class QuotaRow:
    namespace: str
    class_name: str
    """A class, or ANY_CLASS for the namespace's total."""
    claimed: int
    quota: int | None
    """None: the namespace sets no quota for it."""

    @property
    def over(self) -> bool:
        return self.quota is not None and self.claimed > self.quota


@dataclass(frozen=True)
class CapacityPlan:
    classes: list[ClassRow]
    zones: list[ZoneRow]
    quotas: list[QuotaRow]

    def as_json(self) -> dict[str, Any]:
        return {
            "classes": [
                {
                    "class": row.class_name,
                    "role": row.role,
                    "repl": row.repl,
                    "volumes": row.volumes,
                    **_sizes(requested=row.requested, raw=row.raw),
                }
                for row in self.classes
            ],
            "zones": [
                {
                    "zone": row.zone,
                    "volumes": row.volumes,
                    **_sizes(requested=row.requested, raw=row.raw),
                }
                for row in self.zones
            ],
            "quotas": [
                {
                    "namespace": row.namespace,
                    "class": row.class_name,
                    **_sizes(claimed=row.claimed),
                    "quota": None if row.quota is None else format_bytes(row.quota),
                    "quotaBytes": row.quota,
                    "overQuota": row.over,
                }
                for row in self.quotas
            ],
        }

    def as_text(self) -> list[str]:
        lines = ["Capacity (requested, and raw = requested x repl)"]
        for row in self.classes:
            lines.append(
                f"  {row.class_name:<40} repl {row.repl}  {row.volumes:>3} volumes  "
                f"{format_bytes(row.requested):>8}  raw {format_bytes(row.raw):>8}"
                + (f"  (role {row.role})" if row.role else "")
            )
        for row in self.zones:
            lines.append(
                f"  zone {row.zone:<35} {row.volumes:>3} volumes  "
                f"{format_bytes(row.requested):>8}  raw {format_bytes(row.raw):>8}"
            )
        for row in self.quotas:
            quota = "no quota" if row.quota is None else f"quota {format_bytes(row.quota)}"
            lines.append(
                f"  {row.namespace} {row.class_name}: claims {format_bytes(row.claimed)}, {quota}"
                + ("  OVER QUOTA" if row.over else "")
            )
        return lines


def plan(
    resources: Sequence[Resource], readers: Mapping[Kind, VolumeReader], zones: Sequence[str] = ()
) -> CapacityPlan:
    """The plan of ``resources``.

    Per zone, each group of volumes is shared out as the scheduler spreads its pods (one zone
    more than another at most); raw per zone is the raw capacity of the volumes whose pods run
    there (Portworx may hold their copies in other zones). Without ``zones`` the cluster is
    one zone, ``(all)``.
    """
    classes = _classes(resources)
    claimed: dict[tuple[str, str], int] = defaultdict(int)
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    zone_names = list(zones) or ["(all)"]
    per_zone = {zone: [0, 0, 0] for zone in zone_names}
    for resource in resources:
        reader = readers.get(resource.kind)
        if reader is None:
            continue
        namespace = resource.at("metadata", "namespace").text() or "default"
        for volumes in reader(resource):
            class_name = volumes.class_name or "(default class)"
            repl = classes.get(class_name, (None, 1))[1]
            requested = volumes.size * volumes.count
            _add(rows[class_name], volumes.count, requested, requested * repl)
            claimed[(namespace, class_name)] += requested
            claimed[(namespace, ANY_CLASS)] += requested
            for index, zone in enumerate(zone_names):
                share = volumes.count // len(zone_names) + (index < volumes.count % len(zone_names))
                _add(per_zone[zone], share, share * volumes.size, share * volumes.size * repl)
    return CapacityPlan(
        classes=[
            ClassRow(name, classes.get(name, (None, 1))[0], classes.get(name, (None, 1))[1], *row)
            for name, row in sorted(rows.items())
        ],
        zones=[ZoneRow(zone, *per_zone[zone]) for zone in zone_names],
        quotas=_quota_rows(resources, claimed),
    )


def quota_policy(readers: Mapping[Kind, VolumeReader]) -> StackPolicy:
    """The policy that a pipeline's claims fit its namespace's storage quota."""

    def check(stack: Stack, _settings: Mapping[str, Any], report: ReportStack) -> None:
        if not stack.complete:
            return  # a quota or a claim left out of the input would make any sum wrong
        if not any(resource.kind == RESOURCE_QUOTA for resource in stack.resources):
            return  # nothing to exceed: read no claim
        quotas = {
            resource.at("metadata", "namespace").text(): resource
            for resource in stack.resources
            if resource.kind == RESOURCE_QUOTA
        }
        for row in plan(stack.resources, readers).quotas:
            if row.over:
                what = "in all" if row.class_name == ANY_CLASS else f"on class {row.class_name!r}"
                report(
                    f"the claims of namespace {row.namespace!r} request "
                    f"{format_bytes(row.claimed)} {what}, more than its quota of "
                    f"{format_bytes(row.quota or 0)}: the volumes over it would never be "
                    "provisioned; raise the pipeline's storage quota for the role or claim less",
                    quotas[row.namespace],
                )

    return StackPolicy(
        name=POLICY_NAME,
        description="The volumes a pipeline's elements claim fit its namespace's storage quota, "
        "per class and in all.",
        check=check,
    )


def _classes(resources: Sequence[Resource]) -> dict[str, tuple[str | None, int]]:
    """StorageClass name -> (role, repl)."""
    classes = {}
    for resource in resources:
        if resource.kind != STORAGE_CLASS:
            continue
        name = resource.at("metadata", "name").text()
        repl = resource.at("parameters", "repl").text()
        role = resource.at("metadata", "labels", ROLE_LABEL).text()
        if name:
            classes[name] = (role, int(repl) if repl and repl.isdigit() else 1)
    return classes


def _quota_rows(
    resources: Sequence[Resource], claimed: Mapping[tuple[str, str], int]
) -> list[QuotaRow]:
    quotas: dict[tuple[str, str], int] = {}
    for resource in resources:
        if resource.kind != RESOURCE_QUOTA:
            continue
        namespace = resource.at("metadata", "namespace").text() or "default"
        hard = resource.at("spec", "hard").object() or {}
        for key in hard:
            if key == _TOTAL:
                quotas[(namespace, ANY_CLASS)] = _bytes(resource.at("spec", "hard", key))
            elif key.endswith(_PER_CLASS):
                class_name = key.removesuffix(_PER_CLASS)
                quotas[(namespace, class_name)] = _bytes(resource.at("spec", "hard", key))
    return [
        QuotaRow(namespace, class_name, amount, quotas.get((namespace, class_name)))
        for (namespace, class_name), amount in sorted(claimed.items())
    ]


def _bytes(field: Field) -> int:
    text = field.required_text()
    try:
        return int(parse_quantity(text))
    except ValueError:
        raise field.reject("a Kubernetes quantity such as 10Gi") from None


def _add(row: list[int], volumes: int, requested: int, raw: int) -> None:
    row[0] += volumes
    row[1] += requested
    row[2] += raw


def _sizes(**sizes: int) -> dict[str, Any]:
    """Each size as a quantity and in bytes: people read the one, scripts the other."""
    document: dict[str, Any] = {}
    for key, count in sizes.items():
        document[key] = format_bytes(count)
        document[f"{key}Bytes"] = count
    return document
