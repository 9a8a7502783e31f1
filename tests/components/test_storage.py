"""PortworxStorage under mocks: the catalog by role, derived names, placement, keys, snapshots."""

from __future__ import annotations

import re

import pytest

from tests.conftest import by_name, minimal_config, of_kind, run_with_config

PX = "pxd.portworx.com"


def storage_config(**storage) -> dict:
    return minimal_config(storage=storage)


def classes_of(run) -> dict[str, dict]:
    """StorageClass props by role label."""
    return {
        sc.props["metadata"]["labels"]["data-pipeline.io/storage-role"]: sc.props
        for sc in of_kind(run, "StorageClass")
    }


def test_a_class_per_role_with_portworx_parameters():
    run = run_with_config(
        storage_config(
            classes={
                "db": {"repl": 3, "ioProfile": "db_remote"},
                "shared": {"repl": 2, "sharedv4": True, "fs": "xfs", "nodiscard": True},
            }
        )
    )
    classes = classes_of(run)
    assert set(classes) == {"db", "shared"}
    db = classes["db"]
    assert db["provisioner"] == PX
    assert db["volumeBindingMode"] == "WaitForFirstConsumer"
    assert db["reclaimPolicy"] == "Retain"
    assert db["allowVolumeExpansion"] is True
    assert db["parameters"] == {
        "repl": "3",
        "secure": "true",
        "io_profile": "db_remote",
        "priority_io": "high",
        "fs": "ext4",
    }
    assert db["metadata"]["name"].startswith("px-test-db-")  # px-<stack>
    assert classes["shared"]["parameters"] == {
        "repl": "2",
        "secure": "true",
        "io_profile": "auto",
        "priority_io": "high",
        "fs": "xfs",
        "sharedv4": "true",
        "nodiscard": "true",
    }


def test_stack_outputs_name_classes_by_role():
    run = run_with_config(storage_config(classes={"db": {}, "scratch": {"repl": 1}}))
    names = {role: props["metadata"]["name"] for role, props in classes_of(run).items()}
    assert run.outputs["storageClasses"] == names
    assert run.outputs["namespaces"] == {"clicks": "data-pipeline-clicks"}


def _db_class_name(**db) -> str:
    run = run_with_config(storage_config(classes={"db": db}))
    return classes_of(run)["db"]["metadata"]["name"]


@pytest.mark.parametrize(
    "change",
    [
        {"repl": 2},
        {"secure": False},
        {"ioProfile": "db_remote"},
        {"priorityIo": "low"},
        {"reclaimPolicy": "Delete"},
        {"fs": "xfs"},
    ],
)
def test_changing_an_immutable_parameter_yields_a_new_class(change):
    assert _db_class_name(**change) != _db_class_name()


def test_changing_expansion_keeps_the_class():
    # allowVolumeExpansion is the one mutable field: edited in place, same name.
    assert _db_class_name(allowVolumeExpansion=False) == _db_class_name()


def test_two_stacks_of_one_environment_get_their_own_class_names():
    config = storage_config(classes={"db": {}})
    team_a = classes_of(run_with_config(config, stack="team-a"))["db"]["metadata"]["name"]
    team_b = classes_of(run_with_config(config, stack="Team_B.prod"))["db"]["metadata"]["name"]
    assert team_a.startswith("px-team-a-db-")
    assert team_b.startswith("px-team-b-prod-db-")


def test_class_prefix_keeps_stacks_sharing_a_cluster_apart():
    run = run_with_config(storage_config(classes={"db": {}}, classPrefix="team-a"))
    assert classes_of(run)["db"]["metadata"]["name"].startswith("team-a-db-")


def test_zone_spread_creates_a_placement_strategy_used_by_spreading_classes():
    run = run_with_config(
        storage_config(
            classes={"db": {}, "scratch": {"repl": 1, "zoneSpread": False}},
            placement={"zoneSpread": True, "enforcement": "preferred"},
        )
    )
    (strategy,) = of_kind(run, "VolumePlacementStrategy")
    assert strategy.props["apiVersion"] == "portworx.io/v1beta2"
    assert strategy.props["metadata"]["name"] == "px-test-zone-spread"
    assert strategy.props["spec"] == {
        "replicaAntiAffinity": [
            {"enforcement": "preferred", "topologyKey": "topology.kubernetes.io/zone"}
        ]
    }
    classes = classes_of(run)
    assert classes["db"]["parameters"]["placement_strategy"] == "px-test-zone-spread"
    assert "placement_strategy" not in classes["scratch"]["parameters"]
    assert run.outputs["placementStrategy"] == "px-test-zone-spread"


def test_no_placement_strategy_unless_a_class_spreads():
    run = run_with_config(storage_config(classes={"db": {}}))
    assert of_kind(run, "VolumePlacementStrategy") == []
    assert "placement_strategy" not in classes_of(run)["db"]["parameters"]


CSI_SECRET_KEYS = {
    f"csi.storage.k8s.io/{op}-secret-{field}"
    for op in ("provisioner", "node-publish", "controller-expand")
    for field in ("name", "namespace")
}


PASSPHRASE_CONFIG = storage_config(
    classes={"db": {"encryptionKey": "pipeline"}, "plain": {}},
    encryptionKeys={"pipeline": {"passphrase": "correct horse battery staple"}},
)


def test_passphrase_travels_as_a_pulumi_secret():
    run = run_with_config(PASSPHRASE_CONFIG, secret_keys=("storage",))
    secrets = by_name(of_kind(run, "Secret"))
    assert secrets["storage-pipeline-r1-passphrase"].props["stringData"] == {
        "passphrase": "[secret]"
    }
    assert "correct horse" not in repr(run.resources)


def test_passphrase_key_creates_an_immutable_secret_and_a_csi_pointer():
    run = run_with_config(PASSPHRASE_CONFIG, secret_keys=("storage",), reveal_secrets=True)
    secrets = by_name(of_kind(run, "Secret"))
    passphrase = secrets["storage-pipeline-r1-passphrase"].props
    assert passphrase["immutable"] is True
    assert passphrase["metadata"]["namespace"] == "portworx"
    assert passphrase["stringData"] == {"passphrase": "correct horse battery staple"}
    pointer = secrets["storage-pipeline-r1-csi"].props
    assert pointer["immutable"] is True
    pointer_name = pointer["metadata"]["name"]
    assert re.fullmatch(r"px-test-pipeline-r1-[0-9a-f]{8}", pointer_name)
    assert pointer["stringData"] == {
        "SECRET_NAME": "px-test-pipeline-r1-passphrase",
        "SECRET_KEY": "passphrase",
        "SECRET_CONTEXT": "portworx",
    }
    classes = classes_of(run)
    db_parameters = classes["db"]["parameters"]
    assert {k: v for k, v in db_parameters.items() if k.startswith("csi.")} == {
        key: (pointer_name if key.endswith("-name") else "portworx") for key in CSI_SECRET_KEYS
    }
    assert CSI_SECRET_KEYS.isdisjoint(classes["plain"]["parameters"])  # cluster-wide key


def key_objects(run) -> tuple[set[str], str]:
    """Names of the key's Secrets, and the name of the db class that uses them."""
    secrets = {r.props["metadata"]["name"] for r in of_kind(run, "Secret")}
    return secrets, classes_of(run)["db"]["metadata"]["name"]


def rotated(rotation: int, passphrase: str = "correct horse battery staple") -> dict:
    return storage_config(
        classes={"db": {"encryptionKey": "pipeline"}},
        encryptionKeys={"pipeline": {"passphrase": passphrase, "rotation": rotation}},
    )


def test_a_rotated_key_is_new_secrets_and_a_new_class_while_the_old_ones_stay():
    before = run_with_config(rotated(1), secret_keys=("storage",))
    after = run_with_config(rotated(2, "a new passphrase"), secret_keys=("storage",))
    (old_secrets, old_class), (new_secrets, new_class) = key_objects(before), key_objects(after)
    assert old_secrets.isdisjoint(new_secrets)
    assert old_class != new_class
    # Logical names change with the rotation too, so nothing plans a replace of a fixed name:
    # the old objects leave the state and, retained, stay in the cluster for the old volumes.
    assert {r.name for r in of_kind(before, "Secret")}.isdisjoint(
        r.name for r in of_kind(after, "Secret")
    )
    assert all(
        r.retain_on_delete for r in of_kind(before, "Secret") + of_kind(before, "StorageClass")
    )


def test_the_key_data_is_never_updated_in_place():
    run = run_with_config(rotated(1), secret_keys=("storage",))
    for secret in of_kind(run, "Secret"):
        assert secret.props["immutable"] is True
        assert secret.ignore_changes == ("stringData", "data")
    # A new passphrase without a new rotation changes no name: it is not applied (documented).
    assert key_objects(run) == key_objects(
        run_with_config(rotated(1, "another"), secret_keys=("storage",))
    )


def test_no_name_is_derived_from_the_passphrase():
    run = run_with_config(rotated(1, "one"), secret_keys=("storage",))
    assert key_objects(run) == key_objects(
        run_with_config(rotated(1, "two"), secret_keys=("storage",))
    )


def test_pointing_a_key_at_another_secret_is_a_new_pointer_and_class():
    def existing(name: str) -> dict:
        return storage_config(
            classes={"db": {"encryptionKey": "vault"}},
            encryptionKeys={"vault": {"existingSecret": {"name": name, "key": "pw"}}},
        )

    (old_pointer,), old_class = key_objects(run_with_config(existing("a")))
    (new_pointer,), new_class = key_objects(run_with_config(existing("b")))
    assert (old_pointer != new_pointer, old_class != new_class) == (True, True)


def test_existing_secret_key_creates_only_the_csi_pointer():
    run = run_with_config(
        storage_config(
            classes={"db": {"encryptionKey": "vault"}},
            encryptionKeys={
                "vault": {"namespace": "kube-system", "existingSecret": {"name": "k", "key": "pw"}}
            },
        ),
        reveal_secrets=True,
    )
    (pointer,) = of_kind(run, "Secret")
    assert pointer.props["stringData"] == {
        "SECRET_NAME": "k",
        "SECRET_KEY": "pw",
        "SECRET_CONTEXT": "kube-system",
    }
    assert pointer.props["metadata"]["namespace"] == "kube-system"


def test_snapshot_classes_local_by_default_and_cloud_with_its_credential():
    run = run_with_config(storage_config(classes={"db": {}}))
    (local,) = of_kind(run, "VolumeSnapshotClass")
    assert local.props["driver"] == PX
    assert local.props["deletionPolicy"] == "Retain"
    assert local.props["parameters"] == {"csi.openstorage.org/snapshot-type": "local"}

    run = run_with_config(
        storage_config(
            classes={"db": {}},
            snapshots={
                "local": {"enabled": False},
                "cloud": {"enabled": True, "credentialId": "s3"},
            },
        )
    )
    (cloud,) = of_kind(run, "VolumeSnapshotClass")
    assert cloud.props["metadata"]["name"] == "px-test-cloud-snapshots"
    assert cloud.props["parameters"] == {
        "csi.openstorage.org/snapshot-type": "cloud",
        "csi.openstorage.org/credential-id": "s3",
    }
    assert run.outputs["snapshotClasses"] == {"cloud": "px-test-cloud-snapshots"}


def test_classes_wait_for_their_placement_strategy_and_key():
    run = run_with_config(
        storage_config(
            classes={"db": {"encryptionKey": "k"}, "plain": {"zoneSpread": False}},
            encryptionKeys={"k": {"passphrase": "x"}},
            placement={"zoneSpread": True},
        ),
        secret_keys=("storage",),
    )
    classes = by_name(of_kind(run, "StorageClass"))
    prerequisites = {
        r.urn for r in of_kind(run, "VolumePlacementStrategy") + of_kind(run, "Secret")
    }
    assert len(prerequisites) == 3
    assert set(classes["storage-db"].dependencies) == prerequisites
    assert classes["storage-plain"].dependencies == ()


def test_storage_objects_survive_pulumi_destroy():
    run = run_with_config(
        storage_config(
            classes={"db": {"encryptionKey": "k"}},
            encryptionKeys={"k": {"passphrase": "x"}},
            placement={"zoneSpread": True},
        ),
        secret_keys=("storage",),
    )
    monitors = {"ServiceMonitor", "PrometheusRule"}  # hold no data: they go with the stack
    storage_objects = [
        r
        for r in run.resources
        if r.custom and r.component == "storage" and r.type.rsplit(":", 1)[-1] not in monitors
    ]
    assert all(
        not r.retain_on_delete for r in run.resources if r.type.rsplit(":", 1)[-1] in monitors
    )
    assert {r.type.rsplit(":", 1)[-1] for r in storage_objects} == {
        "StorageClass",
        "Secret",
        "VolumePlacementStrategy",
        "VolumeSnapshotClass",
    }
    assert all(r.retain_on_delete for r in storage_objects)


def test_every_object_carries_the_stack_labels():
    run = run_with_config(storage_config(classes={"db": {}}))
    for resource in run.resources:
        if resource.type.startswith("kubernetes:") and "providers" not in resource.type:
            labels = resource.props["metadata"]["labels"]
            assert labels["app.kubernetes.io/part-of"] == "data-pipeline"
            assert labels["data-pipeline.io/environment"] == "dev"
