"""Storage policies: Portworx classes that are replicated, encrypted, expandable and retained,
and volumes that only ever land on a class of the stack's catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from components.labels import ROLE_LABEL
from components.portworx import (
    CSI_DRIVER,
    DEPRECATED_IO_PROFILES,
    FILESYSTEMS,
    IO_PRIORITIES,
    IO_PROFILES,
    MAX_REPL,
)
from policies.engine import ReportResource, ReportStack, Resource, ResourcePolicy, StackPolicy

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
SNAPSHOT_CLASS = "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"


def _parameters(resource: Resource) -> Mapping[str, Any]:
    return resource.props.get("parameters") or {}


def _role(resource: Resource) -> str | None:
    labels = (resource.props.get("metadata") or {}).get("labels") or {}
    return labels.get(ROLE_LABEL)


def _describe(resource: Resource) -> str:
    kind = resource.type.rsplit(":", 1)[-1]
    name = (resource.props.get("metadata") or {}).get("name") or resource.name
    role = _role(resource)
    return f'{kind} "{name}"' + (f" (role {role})" if role else "")


def _is_portworx(resource: Resource) -> bool:
    return resource.props.get("provisioner") == CSI_DRIVER


def _repl(resource: Resource) -> int | None:
    try:
        return int(_parameters(resource).get("repl"))
    except (TypeError, ValueError):
        return None


# --- StorageClass and VolumeSnapshotClass rules ---------------------------------------------


def check_csi_driver(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    field = "provisioner" if resource.type == STORAGE_CLASS else "driver"
    value = resource.props.get(field)
    if value != CSI_DRIVER:
        report(
            f"{_describe(resource)} uses {field} {value!r}; use the Portworx CSI driver "
            f"{CSI_DRIVER!r} (the in-tree kubernetes.io/portworx-volume is deprecated)"
        )


def check_replication(
    resource: Resource, settings: Mapping[str, Any], report: ReportResource
) -> None:
    if not _is_portworx(resource):
        return
    role = _role(resource)
    minimum = settings["roleMinimums"].get(role, settings["minimum"])
    allowed = str(MAX_REPL) if minimum == MAX_REPL else f"{minimum}..{MAX_REPL}"
    raw = _parameters(resource).get("repl")
    repl = _repl(resource)
    if raw is None:
        report(
            f"{_describe(resource)} sets no repl, so Portworx keeps a single copy; "
            f"set repl to {allowed}"
        )
    elif repl is None or not minimum <= repl <= MAX_REPL:
        report(
            f"{_describe(resource)} has repl {raw!r}; allowed: {allowed}"
            + (f" for role {role}" if role else "")
        )


def check_encryption(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    if _is_portworx(resource) and _parameters(resource).get("secure") != "true":
        report(f'{_describe(resource)} does not encrypt its volumes; set parameter secure: "true"')


def check_expansion(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    if resource.props.get("allowVolumeExpansion") is not True:
        report(
            f"{_describe(resource)} does not allow volume expansion; set allowVolumeExpansion: "
            "true (volumes can only grow in place, never move to another class)"
        )


def check_retain(resource: Resource, settings: Mapping[str, Any], report: ReportResource) -> None:
    if resource.type == SNAPSHOT_CLASS:
        if resource.props.get("deletionPolicy") != "Retain":
            report(
                f"{_describe(resource)} has deletionPolicy "
                f"{resource.props.get('deletionPolicy')!r}; set Retain so that deleting a "
                "VolumeSnapshot object never deletes the snapshot data"
            )
        return
    if _role(resource) in settings["exemptRoles"]:
        return
    # Kubernetes defaults an unset reclaimPolicy to Delete.
    policy = resource.props.get("reclaimPolicy") or "Delete"
    if policy != "Retain":
        report(
            f"{_describe(resource)} has reclaimPolicy {policy!r}; data classes must Retain, so "
            "that deleting a claim or a stack never deletes its volume"
        )


def check_io_settings(
    resource: Resource, settings: Mapping[str, Any], report: ReportResource
) -> None:
    if not _is_portworx(resource):
        return
    parameters = _parameters(resource)
    profile = parameters.get("io_profile")
    if profile is not None and profile not in IO_PROFILES:
        report(
            f"{_describe(resource)} has io_profile {profile!r}; allowed: "
            f"{', '.join(sorted(IO_PROFILES))}"
        )
    if profile == "db_remote" and (_repl(resource) or 1) < 2:
        report(f"{_describe(resource)} uses io_profile db_remote, which needs repl >= 2")
    for key in ("priority_io", "io_priority"):
        priority = parameters.get(key)
        if priority is not None and priority not in IO_PRIORITIES:
            report(
                f"{_describe(resource)} has {key} {priority!r}; allowed: "
                f"{', '.join(sorted(IO_PRIORITIES))}"
            )
    fs = parameters.get("fs")
    if fs is not None and fs not in settings["allowedFilesystems"]:
        report(
            f"{_describe(resource)} has fs {fs!r}; allowed: "
            f"{', '.join(settings['allowedFilesystems'])}"
        )


def check_current_io_profile(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    profile = _parameters(resource).get("io_profile")
    if _is_portworx(resource) and profile in DEPRECATED_IO_PROFILES:
        report(
            f"{_describe(resource)} uses the deprecated io_profile {profile!r}; use auto "
            "(db_remote when repl >= 2) instead"
        )


# --- Volumes must use the catalog ------------------------------------------------------------

ClassReference = tuple[str, str | None]
"""Where a volume is declared, and the class it names (None: falls to the cluster default)."""


def _pvc_spec_class(spec: Mapping[str, Any], metadata: Mapping[str, Any]) -> str | None:
    name = spec.get("storageClassName")
    if name is None:
        # The pre-1.6 annotation still selects a class when the field is unset.
        name = (metadata.get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class")
    return name


def _pvc_references(props: Mapping[str, Any]) -> Iterable[ClassReference]:
    yield (
        "spec.storageClassName",
        _pvc_spec_class(props.get("spec") or {}, props.get("metadata") or {}),
    )


def _stateful_set_references(props: Mapping[str, Any]) -> Iterable[ClassReference]:
    templates = (props.get("spec") or {}).get("volumeClaimTemplates") or []
    for index, template in enumerate(templates):
        yield (
            f"spec.volumeClaimTemplates[{index}].spec.storageClassName",
            _pvc_spec_class(template.get("spec") or {}, template.get("metadata") or {}),
        )


# Resource type -> the storage classes it asks for. Operator kinds that declare storage (Kafka
# node pools, Elasticsearch node sets) register here as their components arrive.
CLASS_REFERENCES: dict[str, Callable[[Mapping[str, Any]], Iterable[ClassReference]]] = {
    PVC: _pvc_references,
    STATEFUL_SET: _stateful_set_references,
}


def check_catalog(
    resources: Sequence[Resource], settings: Mapping[str, Any], report: ReportStack
) -> None:
    catalog = {
        (r.props.get("metadata") or {}).get("name") for r in resources if r.type == STORAGE_CLASS
    }
    catalog.discard(None)
    approved = catalog | set(settings["approvedClasses"])
    listing = ", ".join(sorted(approved)) or "none"
    for resource in resources:
        references = CLASS_REFERENCES.get(resource.type)
        if references is None:
            continue
        for where, class_name in references(resource.props):
            if not class_name:
                report(
                    f"{_describe(resource)} sets no {where}, so it falls to the cluster's "
                    f"default class; use one of the catalog: {listing}",
                    resource,
                )
            elif class_name not in approved:
                report(
                    f"{_describe(resource)} uses class {class_name!r} at {where}, which is not "
                    f"in the stack's catalog; use one of: {listing}",
                    resource,
                )


def _list_setting(items: dict, default: list[str], description: str) -> dict:
    return {"type": "array", "items": items, "default": default, "description": description}


POLICIES = (
    ResourcePolicy(
        name="portworx-csi-driver",
        description="StorageClasses and VolumeSnapshotClasses use the Portworx CSI driver "
        f"({CSI_DRIVER}).",
        resource_types=frozenset({STORAGE_CLASS, SNAPSHOT_CLASS}),
        check=check_csi_driver,
    ),
    ResourcePolicy(
        name="portworx-replication",
        description="Portworx StorageClasses keep repl copies within [minimum for the class's "
        f"role, {MAX_REPL}].",
        resource_types=frozenset({STORAGE_CLASS}),
        check=check_replication,
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
        resource_types=frozenset({STORAGE_CLASS}),
        check=check_encryption,
    ),
    ResourcePolicy(
        name="storage-volume-expansion",
        description="StorageClasses allow volume expansion.",
        resource_types=frozenset({STORAGE_CLASS}),
        check=check_expansion,
    ),
    ResourcePolicy(
        name="storage-reclaim-retain",
        description="Data classes reclaim with Retain and snapshot classes delete with Retain, so "
        "deleting a claim, a snapshot object or a stack never deletes data.",
        resource_types=frozenset({STORAGE_CLASS, SNAPSHOT_CLASS}),
        check=check_retain,
        config={
            "exemptRoles": _list_setting(
                {"type": "string"}, ["scratch"], "Storage roles whose volumes hold no data."
            )
        },
    ),
    ResourcePolicy(
        name="portworx-io-settings",
        description="Portworx io_profile, priority_io and fs take supported values; db_remote "
        "only with repl >= 2.",
        resource_types=frozenset({STORAGE_CLASS}),
        check=check_io_settings,
        config={
            "allowedFilesystems": _list_setting(
                {"enum": list(FILESYSTEMS)}, list(FILESYSTEMS), "Filesystems classes may use."
            )
        },
    ),
    ResourcePolicy(
        name="portworx-io-profile-current",
        description="Portworx StorageClasses avoid the deprecated io_profiles "
        f"{' and '.join(DEPRECATED_IO_PROFILES)}.",
        resource_types=frozenset({STORAGE_CLASS}),
        check=check_current_io_profile,
        level="advisory",
    ),
    StackPolicy(
        name="storage-approved-classes",
        description="Every volume claim (PVCs, StatefulSet claim templates, operator storage) "
        "names a class of the stack's catalog, never none.",
        check=check_catalog,
        config={
            "approvedClasses": _list_setting(
                {"type": "string"}, [], "Classes managed outside this stack that volumes may use."
            )
        },
    ),
)
