"""StorageClass rules: Portworx classes that are replicated, encrypted, tuned with supported IO
settings, expandable and retained.

Classes of the deprecated in-tree provisioner take the same parameters as CSI classes, so they
are judged on all of them as well as failing the driver rule: a user sees every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.portworx import (
    CSI_DRIVER,
    DEPRECATED_IO_PROFILES,
    IO_PRIORITIES,
    IO_PROFILES,
    MAX_REPL,
)
from policies.engine import ReportResource
from policies.objects import describe, role
from policies.record import Kind, Resource

STORAGE_CLASS = Kind("storage.k8s.io", "StorageClass")
IN_TREE_PROVISIONER = "kubernetes.io/portworx-volume"
PORTWORX_PROVISIONERS = frozenset({CSI_DRIVER, IN_TREE_PROVISIONER})


def _provisioner(resource: Resource) -> str:
    return resource.at("provisioner").required_text()


def _is_portworx(resource: Resource) -> bool:
    return _provisioner(resource) in PORTWORX_PROVISIONERS


def _parameter(resource: Resource, key: str) -> str | None:
    return resource.at("parameters", key).text()


def _repl(resource: Resource) -> int | None:
    try:
        return int(_parameter(resource, "repl"))
    except (TypeError, ValueError):
        return None


def check_provisioner(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    provisioner = _provisioner(resource)
    if provisioner == IN_TREE_PROVISIONER:
        report(
            f"{describe(resource)} uses the deprecated in-tree provisioner "
            f"{IN_TREE_PROVISIONER!r}; use the Portworx CSI driver {CSI_DRIVER!r}"
        )
    elif provisioner != CSI_DRIVER:
        report(
            f"{describe(resource)} uses provisioner {provisioner!r}; use the Portworx CSI "
            f"driver {CSI_DRIVER!r}"
        )


def check_replication(
    resource: Resource, settings: Mapping[str, Any], report: ReportResource
) -> None:
    if not _is_portworx(resource):
        return
    class_role = role(resource)
    minimum = settings["roleMinimums"].get(class_role, settings["minimum"])
    allowed = str(MAX_REPL) if minimum == MAX_REPL else f"{minimum}..{MAX_REPL}"
    raw = _parameter(resource, "repl")
    repl = _repl(resource)
    if raw is None:
        report(
            f"{describe(resource)} sets no repl, so Portworx keeps a single copy; "
            f"set repl to {allowed}"
        )
    elif repl is None or not minimum <= repl <= MAX_REPL:
        report(
            f"{describe(resource)} has repl {raw!r}; allowed: {allowed}"
            + (f" for role {class_role}" if class_role else "")
        )


def check_encryption(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    if not _is_portworx(resource):
        return
    secure = _parameter(resource, "secure")
    if secure in (None, "false"):
        report(f'{describe(resource)} does not encrypt its volumes; set parameter secure: "true"')
    elif secure != "true":
        report(f'{describe(resource)} has secure {secure!r}; set parameter secure: "true"')


def check_expansion(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    if resource.at("allowVolumeExpansion").flag() is not True:
        report(
            f"{describe(resource)} does not allow volume expansion; set allowVolumeExpansion: "
            "true (volumes can only grow in place, never move to another class)"
        )


def check_reclaim(resource: Resource, settings: Mapping[str, Any], report: ReportResource) -> None:
    if role(resource) in settings["exemptRoles"]:
        return
    policy = resource.at("reclaimPolicy").text()
    if policy != "Retain":
        # Kubernetes defaults an unset reclaimPolicy to Delete.
        shown = "unset (defaults to Delete)" if policy is None else repr(policy)
        report(
            f"{describe(resource)} has reclaimPolicy {shown}; data classes must Retain, so "
            "that deleting a claim or a stack never deletes its volume"
        )


def check_io_settings(
    resource: Resource, settings: Mapping[str, Any], report: ReportResource
) -> None:
    if not _is_portworx(resource):
        return
    profile = _parameter(resource, "io_profile")
    if profile is not None and profile not in IO_PROFILES:
        report(
            f"{describe(resource)} has io_profile {profile!r}; allowed: "
            f"{', '.join(sorted(IO_PROFILES))}"
        )
    if profile == "db_remote" and (_repl(resource) or 1) < 2:
        report(f"{describe(resource)} uses io_profile db_remote, which needs repl >= 2")
    for key in ("priority_io", "io_priority"):
        priority = _parameter(resource, key)
        if priority is not None and priority not in IO_PRIORITIES:
            report(
                f"{describe(resource)} has {key} {priority!r}; allowed: "
                f"{', '.join(sorted(IO_PRIORITIES))}"
            )
    fs = _parameter(resource, "fs")
    if fs is not None and fs not in settings["allowedFilesystems"]:
        report(
            f"{describe(resource)} has fs {fs!r}; allowed: "
            f"{', '.join(settings['allowedFilesystems'])}"
        )


def check_current_io_profile(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    if not _is_portworx(resource):
        return
    profile = _parameter(resource, "io_profile")
    if profile in DEPRECATED_IO_PROFILES:
        report(
            f"{describe(resource)} uses the deprecated io_profile {profile!r}; use auto "
            "(db_remote when repl >= 2) instead"
        )
