"""Migration under mocks: the destination's catalog by its own provider, pairs and schedules."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.kubeconfig import stork_cluster_config
from components.migration import Migration, MigrationArgs, PortworxPairArgs
from components.storage import (
    EncryptionKeyArgs,
    PlacementArgs,
    PortworxStorage,
    PortworxStorageArgs,
    SnapshotClassArgs,
    StorageClassArgs,
)
from pipeline.offline import ProgramRun, run_program
from tests.conftest import of_kind
from tests.schemas import validate_builtin, validate_custom

TOKEN = "px-destination-token-0123"
CERTIFICATE = "LS0tLS1CRUdJTi1jZXJ0"
KUBECONFIG = f"""
apiVersion: v1
kind: Config
current-context: dr
clusters:
- name: dr-cluster
  cluster:
    server: https://dr.example:6443
    certificate-authority-data: {CERTIFICATE}
users:
- name: dr-admin
  user:
    token: kube-destination-token-4567
contexts:
- name: dr
  context:
    cluster: dr-cluster
    user: dr-admin
    namespace: default
"""
SECRETS = ("kube-destination-token-4567", TOKEN, "correct horse battery staple")


def _class(**changes: Any) -> StorageClassArgs:
    fields = {
        "repl": 3,
        "secure": True,
        "io_profile": "auto",
        "priority_io": "high",
        "fs": "ext4",
        "sharedv4": False,
        "nodiscard": False,
        "reclaim_policy": "Retain",
        "allow_volume_expansion": True,
        "zone_spread": True,
        "encryption_key": None,
        **changes,
    }
    return StorageClassArgs(**fields)


STORAGE = PortworxStorageArgs(
    name_prefix="px-prod",
    labels={"app.kubernetes.io/part-of": "data-pipeline"},
    classes={"db": _class(encryption_key="pipeline"), "scratch": _class(repl=1, zone_spread=False)},
    placement=PlacementArgs("topology.kubernetes.io/zone", "required"),
    encryption_keys={
        "pipeline": EncryptionKeyArgs(
            namespace="portworx", rotation=1, passphrase="correct horse battery staple"
        )
    },
    snapshot_classes=(SnapshotClassArgs("local", "Retain"),),
)


def run(reveal_secrets: bool = False) -> ProgramRun:
    def program() -> None:
        source = k8s.Provider("kubernetes")
        with_source = pulumi.ResourceOptions(providers=[source])
        storage = PortworxStorage("storage", STORAGE, with_source)
        migration = Migration(
            "migration",
            MigrationArgs(
                kubeconfig=pulumi.Output.secret(KUBECONFIG),
                context="dr",
                cluster_config=pulumi.Output.secret(stork_cluster_config(KUBECONFIG, "dr")),
                storage=STORAGE,
                namespaces={"clicks": "dp-clicks", "orders": "dp-orders"},
                portworx=PortworxPairArgs(
                    ip="10.1.0.7",
                    port=9001,
                    token=pulumi.Output.secret(TOKEN),
                    mode="DisasterRecovery",
                ),
                schedule_policy="default-interval-policy",
                include_volumes=True,
                purge_deleted_resources=False,
                auto_suspend=True,
                labels={"app.kubernetes.io/part-of": "data-pipeline"},
            ),
            with_source,
        )
        pulumi.export("source", {role: c.name for role, c in storage.classes.items()})
        pulumi.export(
            "destination",
            {role: c.name for role, c in migration.destination_storage.classes.items()},
        )
        pulumi.export("schedules", migration.schedules)

    return run_program(program, project="p", stack="prod", config={}, reveal_secrets=reveal_secrets)


@pytest.fixture(scope="module")
def result() -> ProgramRun:
    return run()


@pytest.fixture(scope="module")
def revealed() -> ProgramRun:
    return run(reveal_secrets=True)


def provider_of(result: ProgramRun, name: str) -> str:
    (provider,) = [
        r for r in result.resources if r.type.startswith("pulumi:providers:") and r.name == name
    ]
    return provider.urn


def in_migration(result: ProgramRun, kind: str) -> list:
    return [r for r in of_kind(result, kind) if r.name.startswith("migration-")]


def in_source(result: ProgramRun, kind: str) -> list:
    return [r for r in of_kind(result, kind) if r.name.startswith("storage-")]


def test_every_destination_object_uses_the_destination_provider(result):
    destination = provider_of(result, "migration-destination")
    source = provider_of(result, "kubernetes")
    on_destination = [
        r
        for kind in ("StorageClass", "VolumePlacementStrategy", "Secret")
        for r in in_migration(result, kind)
    ]
    assert {r.name for r in on_destination} == {
        "migration-storage-db",
        "migration-storage-scratch",
        "migration-storage-zone-spread",
        "migration-storage-pipeline-r1-passphrase",
        "migration-storage-pipeline-r1-csi",
    }
    for resource in on_destination:
        assert resource.provider.startswith(destination + "::"), resource.name
    pairs_and_schedules = [
        *of_kind(result, "ClusterPair"),
        *of_kind(result, "MigrationSchedule"),
    ]
    assert len(pairs_and_schedules) == 4
    for resource in pairs_and_schedules:
        assert resource.provider.startswith(source + "::"), resource.name


def test_destination_classes_are_identical_to_the_source_classes(result):
    assert result.outputs["destination"] == result.outputs["source"]
    source = {r.name.removeprefix("storage-"): r for r in in_source(result, "StorageClass")}
    destination = {
        r.name.removeprefix("migration-storage-"): r for r in in_migration(result, "StorageClass")
    }
    assert set(source) == set(destination) == {"db", "scratch"}
    for role, resource in source.items():
        assert destination[role].props == resource.props
        assert destination[role].retain_on_delete


def test_the_destination_gets_no_monitoring_nor_snapshot_classes(result):
    assert in_source(result, "VolumeSnapshotClass")  # the source has them
    for kind in ("ServiceMonitor", "PrometheusRule", "VolumeSnapshotClass"):
        assert in_migration(result, kind) == []


def test_a_pair_per_namespace_holds_the_destination_as_stork_reads_it(revealed):
    pairs = {r.props["metadata"]["namespace"]: r.props for r in of_kind(revealed, "ClusterPair")}
    assert set(pairs) == {"dp-clicks", "dp-orders"}
    pair = pairs["dp-clicks"]
    assert pair["metadata"]["name"] == "destination"
    assert pair["spec"] == {
        "config": {
            "clusters": {
                "dr-cluster": {
                    "server": "https://dr.example:6443",
                    "certificate-authority-data": CERTIFICATE,
                }
            },
            "users": {"dr-admin": {"token": "kube-destination-token-4567"}},
            "contexts": {"dr": {"cluster": "dr-cluster", "user": "dr-admin"}},
            "current-context": "dr",
        },
        "options": {"ip": "10.1.0.7", "port": "9001", "token": TOKEN, "mode": "DisasterRecovery"},
    }


def test_credentials_never_appear_in_clear(result):
    recorded = repr(result.resources)
    for secret in SECRETS:
        assert secret not in recorded
    (pair, _) = of_kind(result, "ClusterPair")
    assert pair.props["spec"]["options"]["token"] == "[secret]"


def test_schedules_never_start_applications_and_wait_for_pair_and_classes(result):
    schedules = {r.props["metadata"]["namespace"]: r for r in of_kind(result, "MigrationSchedule")}
    assert result.outputs["schedules"] == {
        "clicks": "clicks-to-destination",
        "orders": "orders-to-destination",
    }
    schedule = schedules["dp-orders"]
    assert schedule.props["spec"] == {
        "schedulePolicyName": "default-interval-policy",
        "autoSuspend": True,
        "template": {
            "spec": {
                "clusterPair": "destination",
                "namespaces": ["dp-orders"],
                "includeResources": True,
                "includeVolumes": True,
                "startApplications": False,
                "purgeDeletedResources": False,
            }
        },
    }
    pair = next(r for r in of_kind(result, "ClusterPair") if r.name == "migration-orders-pair")
    waits_for = set(schedule.dependencies)
    assert pair.urn in waits_for
    assert {r.urn for r in in_migration(result, "StorageClass")} <= waits_for


def test_every_custom_resource_validates_against_its_crd(revealed, crds_dir):
    for kind in ("ClusterPair", "MigrationSchedule", "VolumePlacementStrategy"):
        for resource in of_kind(revealed, kind):
            validate_custom(drop_nulls(dict(resource.props)), crds_dir)
    for kind in ("StorageClass", "Secret"):
        for resource in in_migration(revealed, kind):
            api_version = resource.type.split(":")[1].replace("core/", "")
            assert validate_builtin({"apiVersion": api_version, "kind": kind, **resource.props})


def drop_nulls(value: Any) -> Any:
    """As the API server does before validating (crds/stork/README.md)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value
