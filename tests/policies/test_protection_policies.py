"""The protection policies: every stateful claim covered by cloud snapshots that keep enough of
them, and Stork schedules and backups that never delete what they made; each shown passing and
failing, through the engine and through pulumi_policy."""

from __future__ import annotations

from typing import Any

import pytest

from policies.record import Resource
from tests.policies.helpers import (
    DB_CLASS,
    elasticsearch,
    es_node_set,
    kafka_node_pool,
    kafka_volume,
    messages,
    pulumi_messages,
    storage_class,
)

COVERAGE = "storage-cloud-snapshot-coverage"
RECLAIM = "snapshot-reclaim-retain"
STORK = "kubernetes:stork.libopenstorage.org/v1alpha1"
SCRATCH_CLASS = "px-prod-scratch-5e6f7a8b"
BOTH = [messages, pulumi_messages]


def schedule_policy(name: str = "px-prod-frequent", **policy: Any) -> Resource:
    props = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "SchedulePolicy",
        "metadata": {"name": name},
        "policy": policy or {"interval": {"intervalMinutes": 60, "retain": 24}},
    }
    return Resource(f"{STORK}:SchedulePolicy", name, props, f"urn:policy:{name}")


def snapshot_schedule(
    claim: str,
    namespace: str = "events",
    policy: str = "px-prod-frequent",
    cloud: bool = True,
    **spec: Any,
) -> Resource:
    annotations = {"portworx/snapshot-type": "cloud"} if cloud else {}
    props = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "VolumeSnapshotSchedule",
        "metadata": {
            "name": f"{claim}-cloud",
            "namespace": namespace,
            "annotations": annotations,
        },
        "spec": {
            "schedulePolicyName": policy,
            "reclaimPolicy": "Retain",
            "template": {"spec": {"persistentVolumeClaimName": claim}},
            **spec,
        },
    }
    return Resource(f"{STORK}:VolumeSnapshotSchedule", f"{claim}-cloud", props, f"urn:vss:{claim}")


def pool(**metadata: Any) -> Resource:
    """Three brokers of cluster events with two JBOD volumes, node IDs pinned to [0-2]."""
    resource = kafka_node_pool(
        "brokers",
        {"type": "jbod", "volumes": [kafka_volume(id=0), kafka_volume(id=1)]},
    )
    props = dict(resource.props)
    props["metadata"] = {
        **props["metadata"],
        "annotations": {"strimzi.io/next-node-ids": "[0-2]"},
        **metadata,
    }
    return Resource(resource.type, resource.name, props, resource.urn)


def pvc(name: str, class_name: str, namespace: str = "events") -> Resource:
    props = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": class_name,
            "resources": {"requests": {"storage": "10Gi"}},
        },
    }
    return Resource("kubernetes:core/v1:PersistentVolumeClaim", name, props, f"urn:pvc:{name}")


def stateful_set(class_name: str, replicas: int = 2) -> Resource:
    props = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "clicks-tensorflow", "namespace": "events"},
        "spec": {
            "replicas": replicas,
            "serviceName": "clicks-tensorflow",
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "scratch"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": class_name,
                        "resources": {"requests": {"storage": "10Gi"}},
                    },
                }
            ],
        },
    }
    return Resource("kubernetes:apps/v1:StatefulSet", "tf", props, "urn:sts:tf")


KAFKA_CLAIMS = [f"data-{v}-events-brokers-{n}" for n in range(3) for v in range(2)]
ES_CLAIMS = [
    f"elasticsearch-data-logs-es-{s}-{n}"
    for s, c in (("masters", 3), ("data", 2))
    for n in range(c)
]


def protected_stack(**drop: bool) -> list[Resource]:
    """A pool, an Elasticsearch, a checkpoint PVC and scratch, each claim covered."""
    claims = [*KAFKA_CLAIMS, *ES_CLAIMS, "clicks-spark-checkpoints"]
    return [
        storage_class(DB_CLASS, "db"),
        storage_class("px-replicated", "replicated"),
        storage_class(SCRATCH_CLASS, "scratch"),
        schedule_policy(),
        pool(),
        elasticsearch(),
        pvc("clicks-spark-checkpoints", DB_CLASS),
        stateful_set(SCRATCH_CLASS),
        *(snapshot_schedule(claim) for claim in claims if not drop.get(claim)),
    ]


@pytest.mark.parametrize("run", BOTH)
def test_every_claim_covered_by_cloud_snapshots_passes(run):
    assert run(COVERAGE, protected_stack()) == []


@pytest.mark.parametrize("run", BOTH)
def test_a_claim_without_a_schedule_fails_naming_it_and_its_owner(run):
    stack = protected_stack(**{"data-1-events-brokers-2": True, ES_CLAIMS[-1]: True})
    assert run(COVERAGE, stack) == [
        'KafkaNodePool "brokers": claim events/data-1-events-brokers-2 '
        "(spec.storage.volumes[1]) has no VolumeSnapshotSchedule: add one naming it in "
        "spec.template.spec.persistentVolumeClaimName, annotated portworx/snapshot-type: cloud",
        'Elasticsearch "logs": claim events/elasticsearch-data-logs-es-data-1 '
        "(spec.nodeSets[1].volumeClaimTemplates[0]) has no VolumeSnapshotSchedule: add one "
        "naming it in spec.template.spec.persistentVolumeClaimName, annotated "
        "portworx/snapshot-type: cloud",
    ]


@pytest.mark.parametrize("run", BOTH)
def test_a_pvc_and_a_stateful_set_outside_the_exempt_roles_need_schedules(run):
    stack = [
        storage_class(DB_CLASS, "db"),
        schedule_policy(),
        pvc("clicks-spark-checkpoints", DB_CLASS),
        stateful_set(DB_CLASS, replicas=1),
    ]
    assert run(COVERAGE, stack) == [
        'PersistentVolumeClaim "clicks-spark-checkpoints": claim '
        "events/clicks-spark-checkpoints (metadata.name) has no VolumeSnapshotSchedule: add one "
        "naming it in spec.template.spec.persistentVolumeClaimName, annotated "
        "portworx/snapshot-type: cloud",
        'StatefulSet "clicks-tensorflow": claim events/scratch-clicks-tensorflow-0 '
        "(spec.volumeClaimTemplates[0]) has no VolumeSnapshotSchedule: add one naming it in "
        "spec.template.spec.persistentVolumeClaimName, annotated portworx/snapshot-type: cloud",
    ]
    # Exempting the role (the default exempts scratch only) lets the StatefulSet go.
    assert run(COVERAGE, stack, {"exemptRoles": ["db"]}) == []


@pytest.mark.parametrize("run", BOTH)
def test_a_schedule_in_another_namespace_does_not_cover_the_claim(run):
    stack = [
        storage_class(DB_CLASS, "db"),
        schedule_policy(),
        pvc("checkpoints", DB_CLASS),
        snapshot_schedule("checkpoints", namespace="other"),
    ]
    assert len(run(COVERAGE, stack)) == 1


@pytest.mark.parametrize("run", BOTH)
def test_local_suspended_and_short_lived_schedules_do_not_cover(run):
    stack = [
        storage_class(DB_CLASS, "db"),
        schedule_policy(),
        schedule_policy("px-prod-short", daily={"time": "1:00AM", "retain": 3}),
        schedule_policy("px-prod-vague", daily={"time": "1:00AM"}),
        pvc("a", DB_CLASS),
        pvc("b", DB_CLASS),
        pvc("c", DB_CLASS),
        pvc("d", DB_CLASS),
        pvc("e", DB_CLASS),
        snapshot_schedule("a", cloud=False),
        snapshot_schedule("b", suspend=True),
        snapshot_schedule("c", policy="px-prod-short"),
        snapshot_schedule("d", policy="px-prod-vague"),
        snapshot_schedule("e", policy="px-prod-missing"),
    ]
    assert run(COVERAGE, stack) == [
        'PersistentVolumeClaim "a": claim events/a (metadata.name) is not covered: '
        "VolumeSnapshotSchedule a-cloud takes local snapshots (no portworx/snapshot-type: cloud "
        "annotation), lost with the cluster",
        'PersistentVolumeClaim "b": claim events/b (metadata.name) is not covered: '
        "VolumeSnapshotSchedule b-cloud is suspended",
        'PersistentVolumeClaim "c": claim events/c (metadata.name) is not covered: '
        "VolumeSnapshotSchedule c-cloud follows schedule policy px-prod-short, whose daily "
        "schedule keeps 3 snapshots, fewer than the minimum of 7",
        'PersistentVolumeClaim "d": claim events/d (metadata.name) is not covered: '
        "VolumeSnapshotSchedule d-cloud follows schedule policy px-prod-vague, whose daily "
        "schedule sets no retain (Stork's default applies): state how many snapshots it keeps",
        'PersistentVolumeClaim "e": claim events/e (metadata.name) is not covered: '
        "VolumeSnapshotSchedule e-cloud follows schedule policy px-prod-missing, which the "
        "stack does not define",
    ]
    assert len(run(COVERAGE, stack, {"minimumRetention": 3})) == 4


@pytest.mark.parametrize("run", BOTH)
def test_one_good_schedule_of_several_covers_the_claim(run):
    stack = [
        storage_class(DB_CLASS, "db"),
        schedule_policy(),
        pvc("a", DB_CLASS),
        snapshot_schedule("a", cloud=False),
        Resource(
            f"{STORK}:VolumeSnapshotSchedule",
            "a-cloud-2",
            {
                **snapshot_schedule("a").props,
                "metadata": {
                    "name": "a-cloud-2",
                    "namespace": "events",
                    "annotations": {"portworx/snapshot-type": "cloud"},
                },
            },
            "urn:vss:a2",
        ),
    ]
    assert run(COVERAGE, stack) == []


@pytest.mark.parametrize("run", BOTH)
def test_a_pool_without_pinned_node_ids_is_counted_by_claim_name_pattern(run):
    unpinned = pool(annotations={})
    covered = [snapshot_schedule(f"data-{v}-events-brokers-{n}") for n in (3, 4, 7) for v in (0, 1)]
    stack = [storage_class(DB_CLASS, "db"), schedule_policy(), unpinned, *covered]
    assert run(COVERAGE, stack) == []
    assert run(COVERAGE, stack[:-1]) == [
        'KafkaNodePool "brokers": 3 claims of spec.storage.volumes[1] (names matching '
        "data\\-1\\-events\\-brokers\\-[0-9]+, in namespace events) have 2 "
        "VolumeSnapshotSchedules; give each claim one of cloud snapshots"
    ]


@pytest.mark.parametrize("run", BOTH)
def test_a_pool_of_no_cluster_and_a_jbod_volume_without_id_claim_nothing(run):
    orphan = pool(labels={})
    no_id = kafka_node_pool("brokers", {"type": "jbod", "volumes": [kafka_volume()]})
    stack = [storage_class(DB_CLASS, "db"), schedule_policy(), orphan, no_id]
    assert run(COVERAGE, stack) == []


@pytest.mark.parametrize("run", BOTH)
def test_persistent_claim_storage_outside_jbod_is_named_without_a_volume_id(run):
    single = kafka_node_pool("brokers", kafka_volume())
    props = {
        **single.props,
        "metadata": {
            **single.props["metadata"],
            "annotations": {"strimzi.io/next-node-ids": "[0-1, 5]"},
        },
    }
    single = Resource(single.type, single.name, props, single.urn)
    claims = ["data-events-brokers-0", "data-events-brokers-1", "data-events-brokers-5"]
    stack = [storage_class(DB_CLASS, "db"), schedule_policy(), single]
    covered = [*stack, *(snapshot_schedule(claim) for claim in claims)]
    assert run(COVERAGE, covered) == []
    assert len(run(COVERAGE, covered[:-1])) == 1


@pytest.mark.parametrize("run", BOTH)
def test_an_eck_node_set_without_a_claim_template_is_covered_under_ecks_own_claim(run):
    node_set = es_node_set("data", 1, ["data"])
    del node_set["volumeClaimTemplates"]
    stack = [schedule_policy(), elasticsearch(node_set, name="logs")]
    assert run(COVERAGE, stack) == [
        'Elasticsearch "logs": claim events/elasticsearch-data-logs-es-data-0 '
        "(spec.nodeSets[0].volumeClaimTemplates entry named elasticsearch-data) has no "
        "VolumeSnapshotSchedule: add one naming it in "
        "spec.template.spec.persistentVolumeClaimName, annotated portworx/snapshot-type: cloud"
    ]
    assert run(COVERAGE, [*stack, snapshot_schedule("elasticsearch-data-logs-es-data-0")]) == []


def test_an_incomplete_stack_is_not_judged():
    from policies.engine import evaluate, resolve
    from policies.pack import POLICIES

    resolved = [r for r in resolve(POLICIES, {}) if r.policy.name == COVERAGE]
    stack = protected_stack(**{KAFKA_CLAIMS[0]: True})
    assert evaluate(resolved, stack, complete=False).violations == []


def backup_schedule(reclaim: str | None = "Retain", template: str | None = "Retain") -> Resource:
    spec: dict[str, Any] = {
        "schedulePolicyName": "px-prod-nightly",
        "template": {"spec": {"backupLocation": "archive", "namespaces": ["events"]}},
    }
    if reclaim is not None:
        spec["reclaimPolicy"] = reclaim
    if template is not None:
        spec["template"]["spec"]["reclaimPolicy"] = template
    props = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "ApplicationBackupSchedule",
        "metadata": {"name": "events-backups", "namespace": "events"},
        "spec": spec,
    }
    return Resource(f"{STORK}:ApplicationBackupSchedule", "backups", props, "urn:abs")


def backup(reclaim: str | None) -> Resource:
    spec: dict[str, Any] = {"backupLocation": "archive", "namespaces": ["events"]}
    if reclaim is not None:
        spec["reclaimPolicy"] = reclaim
    props = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "ApplicationBackup",
        "metadata": {"name": "events-now", "namespace": "events"},
        "spec": spec,
    }
    return Resource(f"{STORK}:ApplicationBackup", "backup", props, "urn:ab")


@pytest.mark.parametrize("run", BOTH)
def test_retained_snapshots_and_backups_pass(run):
    stack = [snapshot_schedule("a"), backup_schedule(), backup("Retain"), backup_schedule(None)]
    assert run(RECLAIM, stack) == []


@pytest.mark.parametrize("run", BOTH)
def test_schedules_and_backups_that_delete_what_they_made_fail(run):
    stack = [
        snapshot_schedule("a", reclaimPolicy="Delete"),
        snapshot_schedule("b", reclaimPolicy=None),
        backup_schedule("Delete", "Delete"),
        backup_schedule("Retain", None),
        backup(None),
    ]
    assert run(RECLAIM, stack) == [
        "sets spec.reclaimPolicy: Delete: deleting the schedule deletes every snapshot it took; "
        "set it to Retain",
        "leaves spec.reclaimPolicy unset, which Stork reads as Delete: deleting the schedule "
        "deletes every snapshot it took; set it to Retain",
        "sets spec.reclaimPolicy: Delete: deleting the schedule deletes every backup it made; "
        "set it to Retain",
        "sets spec.template.spec.reclaimPolicy: Delete: each backup's data in the archive goes "
        "when its ApplicationBackup is deleted (by the schedule past its retain count, or by "
        "hand); set it to Retain",
        "leaves spec.template.spec.reclaimPolicy unset, which Stork reads as Delete: each "
        "backup's data in the archive goes when its ApplicationBackup is deleted (by the "
        "schedule past its retain count, or by hand); set it to Retain",
        "leaves spec.reclaimPolicy unset, which Stork reads as Delete: deleting the "
        "ApplicationBackup deletes its data in the archive; set it to Retain",
    ]


def _as_resource(body: dict[str, Any]) -> Resource:
    group_version, kind = body["apiVersion"], body["kind"]
    return Resource(f"kubernetes:{group_version}:{kind}", body["metadata"]["name"], body, "urn:x")


def _claim_names(resource: Resource) -> list[str]:
    from policies.pack import CLAIM_NAMERS

    assert resource.kind is not None
    return [name for group in CLAIM_NAMERS[resource.kind](resource) for name in group.names]


def test_the_policy_names_a_node_pools_claims_as_the_strimzi_component_does():
    from components.strimzi import StrimziNames, node_pool_body
    from tests.components.test_strimzi import cluster, pool

    brokers = pool(replicas=2, node_ids=range(10, 20), volumes=2)
    body = node_pool_body(cluster(), brokers)
    assert sorted(_claim_names(_as_resource(body))) == sorted(
        StrimziNames("events").pvc_names(brokers)
    )


def test_the_policy_names_a_node_sets_claims_as_the_protection_component_does():
    from components.eck import elasticsearch_body
    from components.stork import eck_claim
    from tests.components.test_eck import SPEC, node_sets

    body = elasticsearch_body(SPEC, node_sets())
    expected = [
        eck_claim(SPEC.name, node_set.name, node)
        for node_set in node_sets()
        for node in range(node_set.count)
    ]
    assert _claim_names(_as_resource(body)) == expected
