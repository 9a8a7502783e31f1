"""The access-mode policy, passing and failing, through the engine and through pulumi_policy:
many-node claims on sharedv4 classes only, and sharedv4 classes only for many-node claims."""

from __future__ import annotations

import pytest

from policies.engine import evaluate, load_pack_config, resolve
from policies.pack import POLICIES
from policies.record import Resource
from tests.conftest import PROJECT_DIR
from tests.pipeline.test_check import evaluate_changed_output
from tests.policies.helpers import (
    DB_CLASS,
    SHARED_CLASS,
    claim,
    claim_template,
    elasticsearch,
    ephemeral_volume,
    es_node_set,
    messages,
    pulumi_messages,
    shared_storage_class,
    spark_application,
    storage_class,
    workload,
)

POLICY = "storage-access-modes"
RWX, ROX, RWO, RWOP = "ReadWriteMany", "ReadOnlyMany", "ReadWriteOnce", "ReadWriteOncePod"


def classes() -> list[Resource]:
    return [storage_class(DB_CLASS, "db"), shared_storage_class()]


def tensorflow_workers(class_name: str, *modes: str) -> Resource:
    """A StatefulSet with one claim template, and a scratch ephemeral volume on the db class."""
    workers = workload("StatefulSet", "tf-workers", volumes=[ephemeral_volume(DB_CLASS, RWO)])
    workers.props["spec"]["volumeClaimTemplates"] = [claim_template(class_name, *modes)]
    return workers


def not_sharedv4(who: str, modes: str, path: str, where: str) -> str:
    return (
        f"{who} asks for {modes} at {path} on class {DB_CLASS!r} ({where}), which is not "
        "sharedv4: Portworx serves a volume to several nodes only as a sharedv4 volume, so the "
        "claim is never provisioned; use a sharedv4 class, or ReadWriteOnce"
    )


def single_node(who: str, modes: str, path: str, where: str) -> str:
    return (
        f"{who} asks for only {modes} at {path} on class {SHARED_CLASS!r} ({where}), a sharedv4 "
        "class: each volume is exported over NFS to no other node; use a class that is not "
        "sharedv4, or ReadWriteMany for a volume pods share"
    )


def passing() -> list[Resource]:
    return [
        *classes(),
        claim("models", SHARED_CLASS, RWX),
        claim("reference-data", SHARED_CLASS, ROX, RWO),
        claim("checkpoints", DB_CLASS, RWO),
        claim("one-pod", DB_CLASS, RWOP),
        # Classes outside the catalog are the catalog policy's to name.
        claim("elsewhere", "gp3", RWX),
        tensorflow_workers(DB_CLASS, RWO),
        workload("Deployment", "server", volumes=[ephemeral_volume(SHARED_CLASS, RWX)]),
        elasticsearch(),
        spark_application(volumes=[ephemeral_volume(DB_CLASS, RWO)]),
    ]


def failing() -> list[Resource]:
    return [
        *classes(),
        claim("models", DB_CLASS, RWX),
        claim("reference-data", DB_CLASS, ROX, RWO),
        claim("checkpoints", SHARED_CLASS, RWO),
        tensorflow_workers(SHARED_CLASS, RWO, RWOP),
        workload("Job", "export", volumes=[ephemeral_volume(DB_CLASS, RWX)]),
        elasticsearch(es_node_set("default", class_name=SHARED_CLASS)),
        spark_application(volumes=[ephemeral_volume(SHARED_CLASS, RWO)], scheduled=True),
    ]


EPHEMERAL = "volumes[0].ephemeral.volumeClaimTemplate.spec"
EXPECTED = [
    not_sharedv4(
        'PersistentVolumeClaim "models"', RWX, "spec.accessModes", "spec.storageClassName"
    ),
    not_sharedv4(
        'PersistentVolumeClaim "reference-data"', ROX, "spec.accessModes", "spec.storageClassName"
    ),
    single_node(
        'PersistentVolumeClaim "checkpoints"', RWO, "spec.accessModes", "spec.storageClassName"
    ),
    single_node(
        'StatefulSet "tf-workers"',
        f"{RWO}, {RWOP}",
        "spec.volumeClaimTemplates[0].spec.accessModes",
        "spec.volumeClaimTemplates[0].spec.storageClassName",
    ),
    not_sharedv4(
        'Job "export"',
        RWX,
        f"spec.template.spec.{EPHEMERAL}.accessModes",
        f"spec.template.spec.{EPHEMERAL}.storageClassName",
    ),
    single_node(
        'Elasticsearch "logs"',
        RWO,
        "spec.nodeSets[0].volumeClaimTemplates[0].spec.accessModes",
        "spec.nodeSets[0].volumeClaimTemplates[0].spec.storageClassName",
    ),
    single_node(
        'ScheduledSparkApplication "clicks-stream"',
        RWO,
        f"spec.template.{EPHEMERAL}.accessModes",
        f"spec.template.{EPHEMERAL}.storageClassName",
    ),
]


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_many_node_claims_on_sharedv4_and_single_node_claims_elsewhere_pass(run):
    assert run(POLICY, passing()) == []


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_every_kind_of_claim_on_the_wrong_class_for_its_modes_fails(run):
    assert run(POLICY, failing()) == EXPECTED


def test_a_sharedv4_parameter_in_capitals_still_makes_a_sharedv4_class():
    shouting = storage_class(SHARED_CLASS, "shared", parameters={"sharedv4": "True"})
    assert messages(POLICY, [shouting, claim("models", SHARED_CLASS, RWX)]) == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_makes_it_mandatory(stack):
    config = load_pack_config(PROJECT_DIR / "policies" / "config" / f"{stack}.json")
    resolved = [r for r in resolve(POLICIES, config) if r.policy.name == POLICY]
    assert [r.level for r in resolved] == ["mandatory"]
    assert [v.blocking for v in evaluate(resolved, failing()).violations] == [True] * 7


def test_prod_with_a_read_write_many_claim_on_a_class_not_sharedv4_exits_1_naming_it(
    stack_outputs, tmp_path
):
    def add_models_claim(resources: list[dict]) -> None:
        db_class = next(
            r["props"]["metadata"]["name"]
            for r in resources
            if r["type"].endswith(":StorageClass") and "-db-" in r["props"]["metadata"]["name"]
        )
        models = claim("models", db_class, RWX)
        resources.append({"type": models.type, "name": models.name, "props": models.props})

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", add_models_claim)
    assert code == 1
    # The new claim has no cloud snapshot schedule either.
    assert [(v["policy"], v["level"], v["resource"]) for v in violations] == [
        (POLICY, "mandatory", "models"),
        ("storage-cloud-snapshot-coverage", "mandatory", "models"),
    ]
    assert violations[0]["message"].startswith(
        'PersistentVolumeClaim "models" asks for ReadWriteMany at spec.accessModes on class '
        "'px-prod-db-"
    )


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
@pytest.mark.parametrize("scheduled", [False, True], ids=["SparkApplication", "Scheduled"])
def test_the_catalog_policy_reads_the_classes_of_spark_ephemeral_volumes(run, scheduled):
    on_catalog = spark_application(volumes=[ephemeral_volume(DB_CLASS, RWO)], scheduled=scheduled)
    assert run("storage-approved-classes", [*classes(), on_catalog]) == []
    off_catalog = spark_application(volumes=[ephemeral_volume("gp3", RWO)], scheduled=scheduled)
    kind, spec = (
        ("ScheduledSparkApplication", "spec.template")
        if scheduled
        else (
            "SparkApplication",
            "spec",
        )
    )
    assert run("storage-approved-classes", [*classes(), off_catalog]) == [
        f"{kind} \"clicks-stream\" uses class 'gp3' at {spec}.{EPHEMERAL}.storageClassName, which "
        f"is not in the stack's catalog; use one of: {DB_CLASS}, {SHARED_CLASS}"
    ]
