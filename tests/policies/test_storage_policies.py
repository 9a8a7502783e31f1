"""Each storage policy, passing and failing, through the engine and through pulumi_policy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.engine import evaluate, resolve
from policies.pack import POLICIES
from policies.record import Resource
from tests.policies.helpers import (
    messages,
    pulumi_messages,
    pvc,
    snapshot_class,
    stateful_set,
    storage_class,
)

CATALOG = storage_class("px-prod-db-0a1b2c3d")

# (policy, settings, resources that pass, resources that fail, the failing messages)
CASES = [
    (
        "portworx-csi-driver",
        {},
        [storage_class(), snapshot_class()],
        [
            storage_class(provisioner="kubernetes.io/portworx-volume"),
            storage_class("aws", provisioner="ebs.csi.aws.com"),
            snapshot_class(driver="ebs.csi.aws.com"),
        ],
        [
            'StorageClass "px-prod-db-0a1b2c3d" (role db) uses the deprecated in-tree '
            "provisioner 'kubernetes.io/portworx-volume'; use the Portworx CSI driver "
            "'pxd.portworx.com'",
            "StorageClass \"aws\" (role db) uses provisioner 'ebs.csi.aws.com'; use the Portworx "
            "CSI driver 'pxd.portworx.com'",
            "VolumeSnapshotClass \"px-prod-local-snapshots\" uses driver 'ebs.csi.aws.com'; use "
            "the Portworx CSI driver 'pxd.portworx.com'",
        ],
    ),
    (
        "portworx-replication",
        {"minimum": 2, "roleMinimums": {"db": 3, "scratch": 1}},
        [
            storage_class(),
            storage_class("s", role="scratch", parameters={"repl": "1"}),
            storage_class("k", role="replicated", parameters={"repl": "2"}),
        ],
        [
            storage_class(parameters={"repl": "2"}),
            storage_class("k", role="replicated", parameters={"repl": "1"}),
            storage_class("n", role=None, parameters={"repl": None}),
            storage_class("f", role="replicated", parameters={"repl": "4"}),
        ],
        [
            "StorageClass \"px-prod-db-0a1b2c3d\" (role db) has repl '2'; allowed: 3 for role db",
            "StorageClass \"k\" (role replicated) has repl '1'; allowed: 2..3 for role replicated",
            'StorageClass "n" sets no repl, so Portworx keeps a single copy; set repl to 2..3',
            "StorageClass \"f\" (role replicated) has repl '4'; allowed: 2..3 for role replicated",
        ],
    ),
    (
        "portworx-encryption",
        {},
        [storage_class()],
        [
            storage_class(parameters={"secure": "false"}),
            storage_class("n", parameters={"secure": None}),
        ],
        [
            'StorageClass "px-prod-db-0a1b2c3d" (role db) does not encrypt its volumes; set '
            'parameter secure: "true"',
            'StorageClass "n" (role db) does not encrypt its volumes; set parameter secure: "true"',
        ],
    ),
    (
        "storage-volume-expansion",
        {},
        [storage_class()],
        [storage_class(allowVolumeExpansion=False), storage_class("n", allowVolumeExpansion=None)],
        [
            'StorageClass "px-prod-db-0a1b2c3d" (role db) does not allow volume expansion; set '
            "allowVolumeExpansion: true (volumes can only grow in place, never move to another "
            "class)",
            'StorageClass "n" (role db) does not allow volume expansion; set allowVolumeExpansion: '
            "true (volumes can only grow in place, never move to another class)",
        ],
    ),
    (
        "storage-reclaim-retain",
        {"exemptRoles": ["scratch"]},
        [
            storage_class(),
            storage_class("s", role="scratch", reclaimPolicy="Delete"),
            snapshot_class(),
        ],
        [
            storage_class(reclaimPolicy="Delete"),
            storage_class("n", reclaimPolicy=None),
            snapshot_class(deletionPolicy="Delete"),
        ],
        [
            "StorageClass \"px-prod-db-0a1b2c3d\" (role db) has reclaimPolicy 'Delete'; data "
            "classes must Retain, so that deleting a claim or a stack never deletes its volume",
            'StorageClass "n" (role db) has reclaimPolicy unset (defaults to Delete); data '
            "classes must Retain, so that deleting a claim or a stack never deletes its volume",
            "VolumeSnapshotClass \"px-prod-local-snapshots\" has deletionPolicy 'Delete'; set "
            "Retain so that deleting a VolumeSnapshot object never deletes the snapshot data",
        ],
    ),
    (
        "portworx-io-settings",
        {"allowedFilesystems": ["ext4"]},
        [
            storage_class(),
            storage_class("d", parameters={"io_profile": "db_remote", "io_priority": "low"}),
        ],
        [
            storage_class(parameters={"io_profile": "fast"}),
            storage_class("r", parameters={"io_profile": "db_remote", "repl": "1"}),
            storage_class("p", parameters={"priority_io": "urgent"}),
            storage_class("f", parameters={"fs": "xfs"}),
        ],
        [
            "StorageClass \"px-prod-db-0a1b2c3d\" (role db) has io_profile 'fast'; allowed: auto, "
            "auto_journal, cms, db, db_remote, journal, none, random, sequential, sync_shared",
            'StorageClass "r" (role db) uses io_profile db_remote, which needs repl >= 2',
            "StorageClass \"p\" (role db) has priority_io 'urgent'; allowed: high, low, medium",
            "StorageClass \"f\" (role db) has fs 'xfs'; allowed: ext4",
        ],
    ),
    (
        "portworx-io-profile-current",
        {},
        [storage_class(), storage_class("d", parameters={"io_profile": "db_remote"})],
        [
            storage_class(parameters={"io_profile": "db"}),
            storage_class("s", parameters={"io_profile": "sequential"}),
        ],
        [
            "StorageClass \"px-prod-db-0a1b2c3d\" (role db) uses the deprecated io_profile 'db'; "
            "use auto (db_remote when repl >= 2) instead",
            "StorageClass \"s\" (role db) uses the deprecated io_profile 'sequential'; use auto "
            "(db_remote when repl >= 2) instead",
        ],
    ),
    (
        "storage-approved-classes",
        {"approvedClasses": ["team-shared"]},
        [CATALOG, pvc(), pvc("other", "team-shared"), stateful_set("px-prod-db-0a1b2c3d")],
        [
            CATALOG,
            pvc("std", "standard"),
            pvc("bare", None),
            stateful_set("px-prod-db-0a1b2c3d", None),
        ],
        [
            "PersistentVolumeClaim \"std\" uses class 'standard' at spec.storageClassName, which "
            "is not in the stack's catalog; use one of: px-prod-db-0a1b2c3d, team-shared",
            'PersistentVolumeClaim "bare" sets no spec.storageClassName, so it falls to the '
            "cluster's default class; use one of: px-prod-db-0a1b2c3d, team-shared",
            'StatefulSet "broker" sets no spec.volumeClaimTemplates[1].spec.storageClassName, so '
            "it falls to the cluster's default class; use one of: px-prod-db-0a1b2c3d, "
            "team-shared",
        ],
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "settings", "passing", "failing", "expected"), CASES, ids=IDS)
@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_policy_passes_good_resources(run, name, settings, passing, failing, expected):
    assert run(name, passing, settings) == []


@pytest.mark.parametrize(("name", "settings", "passing", "failing", "expected"), CASES, ids=IDS)
@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_policy_fails_bad_resources(run, name, settings, passing, failing, expected):
    assert run(name, failing, settings) == expected


def test_replication_defaults_to_a_minimum_of_two():
    assert messages("portworx-replication", [storage_class(parameters={"repl": "2"})]) == []
    assert messages("portworx-replication", [storage_class(parameters={"repl": "1"})]) == [
        "StorageClass \"px-prod-db-0a1b2c3d\" (role db) has repl '1'; allowed: 2..3 for role db"
    ]


def test_reclaim_exempts_scratch_by_default():
    scratch = storage_class("s", role="scratch", reclaimPolicy="Delete")
    assert messages("storage-reclaim-retain", [scratch]) == []


def test_pvc_legacy_annotation_still_selects_a_class():
    claim = pvc("legacy", None)
    claim.props["metadata"]["annotations"] = {
        "volume.beta.kubernetes.io/storage-class": "px-prod-db-0a1b2c3d"
    }
    assert messages("storage-approved-classes", [CATALOG, claim]) == []


def test_non_portworx_classes_are_left_to_the_driver_policy():
    foreign = storage_class(
        provisioner="ebs.csi.aws.com", parameters={"repl": None, "secure": None}
    )
    for name in ("portworx-replication", "portworx-encryption", "portworx-io-settings"):
        assert messages(name, [foreign]) == []
    assert len(messages("portworx-csi-driver", [foreign])) == 1


@given(
    repl=st.integers(min_value=-1, max_value=5),
    minimum=st.integers(min_value=1, max_value=3),
    role_minimum=st.one_of(st.none(), st.integers(min_value=1, max_value=3)),
)
def test_replication_allows_exactly_the_minimum_for_the_role_up_to_three(
    repl, minimum, role_minimum
):
    settings = {
        "minimum": minimum,
        "roleMinimums": {} if role_minimum is None else {"db": role_minimum},
    }
    floor = minimum if role_minimum is None else role_minimum
    found = messages(
        "portworx-replication", [storage_class(parameters={"repl": str(repl)})], settings
    )
    assert (found == []) == (floor <= repl <= 3)


def test_an_in_tree_class_is_judged_on_every_parameter_at_once():
    in_tree = storage_class(
        provisioner="kubernetes.io/portworx-volume",
        parameters={"repl": "1", "secure": None, "io_profile": "db", "priority_io": "urgent"},
        allowVolumeExpansion=None,
        reclaimPolicy=None,
    )
    found = [(v.policy, v.message) for v in evaluate(resolve(POLICIES, {}), [in_tree]).violations]
    name = 'StorageClass "px-prod-db-0a1b2c3d" (role db)'
    assert found == [
        (
            "portworx-csi-driver",
            f"{name} uses the deprecated in-tree provisioner 'kubernetes.io/portworx-volume'; "
            "use the Portworx CSI driver 'pxd.portworx.com'",
        ),
        ("portworx-replication", f"{name} has repl '1'; allowed: 2..3 for role db"),
        (
            "portworx-encryption",
            f'{name} does not encrypt its volumes; set parameter secure: "true"',
        ),
        (
            "storage-volume-expansion",
            f"{name} does not allow volume expansion; set allowVolumeExpansion: true (volumes can "
            "only grow in place, never move to another class)",
        ),
        (
            "storage-reclaim-retain",
            f"{name} has reclaimPolicy unset (defaults to Delete); data classes must Retain, so "
            "that deleting a claim or a stack never deletes its volume",
        ),
        ("portworx-io-settings", f"{name} has priority_io 'urgent'; allowed: high, low, medium"),
        (
            "portworx-io-profile-current",
            f"{name} uses the deprecated io_profile 'db'; use auto (db_remote when repl >= 2) "
            "instead",
        ),
    ]


def test_a_secure_value_other_than_true_or_false_is_named():
    assert messages("portworx-encryption", [storage_class(parameters={"secure": "yes"})]) == [
        "StorageClass \"px-prod-db-0a1b2c3d\" (role db) has secure 'yes'; set parameter "
        'secure: "true"'
    ]


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_a_storage_class_of_another_version_is_judged_like_v1(run):
    old = storage_class(parameters={"secure": "false"})
    old = Resource("kubernetes:storage.k8s.io/v1beta1:StorageClass", old.name, old.props, old.urn)
    assert run("portworx-encryption", [old]) == [
        'StorageClass "px-prod-db-0a1b2c3d" (role db) does not encrypt its volumes; set '
        'parameter secure: "true"'
    ]
    foreign = Resource("aws:ec2/instance:Instance", "vm", {"provisioner": "x"}, "urn:vm")
    assert run("portworx-csi-driver", [foreign]) == []


def test_inside_pulumi_an_unknown_value_raises_what_pulumi_policy_skips_a_check_on():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

    not_known_yet = storage_class(parameters={"secure": UNKNOWN_STRING_VALUE})
    with pytest.raises(UnknownValueError):
        pulumi_messages("portworx-encryption", [not_known_yet])
    assert messages("portworx-encryption", [not_known_yet]) == []  # the engine skips it too
