"""VolumeSnapshotClass rules: Portworx's CSI driver, and snapshots that outlive their objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.portworx import CSI_DRIVER
from policies.engine import ReportResource
from policies.objects import describe
from policies.record import Kind, Resource

SNAPSHOT_CLASS = Kind("snapshot.storage.k8s.io", "VolumeSnapshotClass")


def check_driver(resource: Resource, _settings: Mapping[str, Any], report: ReportResource) -> None:
    driver = resource.at("driver").required_text()
    if driver != CSI_DRIVER:
        report(
            f"{describe(resource)} uses driver {driver!r}; use the Portworx CSI driver "
            f"{CSI_DRIVER!r}"
        )


def check_deletion_policy(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    policy = resource.at("deletionPolicy").required_text()
    if policy != "Retain":
        report(
            f"{describe(resource)} has deletionPolicy {policy!r}; set Retain so that deleting "
            "a VolumeSnapshot object never deletes the snapshot data"
        )
