"""Stork protection under mocks: schedule policies, the archive's BackupLocation and its key,
a cloud snapshot schedule per claim, the Elasticsearch flush rule, the namespace's backup schedule
and its alerts; every Stork object valid against its (derived) CRD, every other one against
Kubernetes 1.30."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.monitoring import Monitoring
from components.protection import (
    ArchiveArgs,
    ElasticsearchFlushArgs,
    NamespaceProtection,
    NamespaceProtectionArgs,
    ProtectedClaim,
    S3AccessKey,
    SchedulePolicies,
    SchedulePoliciesArgs,
    SchedulePolicyArgs,
    flush_command,
)
from components.stork import eck_claim, stateful_set_claim, strimzi_claim
from pipeline.offline import ProgramRun, run_program
from tests.conftest import by_name, of_kind
from tests.schemas import validate_builtin, validate_custom

NAMESPACE = "dp-clicks"
POLICIES = {
    "frequent": SchedulePolicyArgs(
        {
            "interval": {"intervalMinutes": 60, "retain": 24},
            "daily": {"time": "1:30AM", "retain": 7},
        },
        60,
    ),
    "nightly": SchedulePolicyArgs({"daily": {"time": "2:00AM", "retain": 14}}, 1440),
}
CLAIMS = (
    ProtectedClaim(strimzi_claim("clicks", "brokers", 0, 0), "kafka", "replicated"),
    ProtectedClaim(strimzi_claim("clicks", "brokers", 1, 0), "kafka", "replicated"),
    ProtectedClaim(eck_claim("clicks", "data-1a2b3c4d", 0), "elasticsearch", "db"),
    ProtectedClaim("clicks-spark-checkpoints", "analytics", "shared"),
    ProtectedClaim(stateful_set_claim("scratch", "clicks-tensorflow", 0), "analytics", "scratch"),
)


def archive(access_key: bool = True) -> ArchiveArgs:
    """The archive's handles; made inside a program run, as Outputs belong to one runtime."""
    return ArchiveArgs(
        bucket="px-prod-archive",
        region="eu-west-1",
        endpoint="s3.amazonaws.com",
        access_key=S3AccessKey(pulumi.Output.secret("AKIAEXAMPLE"), pulumi.Output.secret("s3cr3t"))
        if access_key
        else None,
    )


def run(
    *,
    access_key: bool = True,
    backup_policy: str | None = "nightly",
    credential_id: str | None = "px-archive",
    monitoring: bool = True,
    reveal_secrets: bool = False,
) -> ProgramRun:
    def program() -> None:
        schedules = SchedulePolicies(
            "schedules", SchedulePoliciesArgs("px-prod", {"team": "data"}, POLICIES)
        )
        NamespaceProtection(
            "clicks",
            NamespaceProtectionArgs(
                namespace=NAMESPACE,
                labels={"team": "data"},
                schedules=schedules,
                snapshot_policy="frequent",
                backup_policy=backup_policy,
                claims=CLAIMS,
                archive=archive(access_key),
                cloud_credential_id=credential_id,
                elasticsearch=ElasticsearchFlushArgs("clicks", http_tls=True),
                monitoring=Monitoring("monitoring", {"app": "prometheus"}, {"release": "prom"})
                if monitoring
                else None,
            ),
        )

    return run_program(program, project="p", stack="s", config={}, reveal_secrets=reveal_secrets)


def body(resource) -> dict[str, Any]:
    """A custom object's fields besides apiVersion and kind."""
    return {k: v for k, v in resource.props.items() if k not in ("apiVersion", "kind")}


def manifest(resource) -> dict[str, Any]:
    api_version = resource.type.split(":")[1].replace("core/", "")
    return {"apiVersion": api_version, "kind": resource.type.rsplit(":", 1)[1], **resource.props}


@pytest.fixture(scope="module")
def result() -> ProgramRun:
    return run()


def test_every_stork_object_is_valid_against_its_crd(result, crds_dir: Path):
    stork = [r for r in result.resources if "stork.libopenstorage.org" in r.type]
    assert {r.type.rsplit(":", 1)[1] for r in stork} == {
        "SchedulePolicy",
        "BackupLocation",
        "Rule",
        "VolumeSnapshotSchedule",
        "ApplicationBackupSchedule",
    }
    for resource in stork:
        validate_custom(manifest(resource), crds_dir / "stork")
    (secret,) = of_kind(result, "Secret")
    assert validate_builtin(manifest(secret))
    (rule,) = of_kind(result, "PrometheusRule")
    validate_custom(manifest(rule), crds_dir)


def test_schedule_policies_are_cluster_scoped_and_named_with_the_stack_prefix(result):
    policies = {r.props["metadata"]["name"]: body(r) for r in of_kind(result, "SchedulePolicy")}
    assert set(policies) == {"px-prod-frequent", "px-prod-nightly"}
    assert policies["px-prod-frequent"] == {
        "metadata": {"name": "px-prod-frequent", "labels": {"team": "data"}},
        "policy": {
            "interval": {"intervalMinutes": 60, "retain": 24},
            "daily": {"time": "1:30AM", "retain": 7},
        },
    }


def test_the_backup_location_names_the_bucket_and_takes_the_key_by_reference(result):
    (location,) = of_kind(result, "BackupLocation")
    assert body(location) == {
        "metadata": {"name": "clicks-archive", "namespace": NAMESPACE, "labels": {"team": "data"}},
        "location": {
            "type": "s3",
            "path": "px-prod-archive",
            "s3Config": {
                "region": "eu-west-1",
                "endpoint": "s3.amazonaws.com",
                "disableSSL": False,
                "useIam": False,
            },
            "secretConfig": "clicks-archive-key",
        },
    }
    (secret,) = of_kind(result, "Secret")
    assert secret.props["metadata"]["name"] == "clicks-archive-key"
    assert secret.props["stringData"] == {"accessKeyID": "[secret]", "secretAccessKey": "[secret]"}
    # Restores of retained backups need both: they outlive the stack.
    assert location.retain_on_delete and secret.retain_on_delete


def test_the_key_reaches_the_secret_and_only_the_secret():
    revealed = run(reveal_secrets=True)
    (secret,) = of_kind(revealed, "Secret")
    assert secret.props["stringData"] == {
        "accessKeyID": "AKIAEXAMPLE",
        "secretAccessKey": "s3cr3t",
    }
    others = [r for r in revealed.resources if r.type.rsplit(":", 1)[1] != "Secret"]
    assert "s3cr3t" not in repr([r.props for r in others])


def test_without_an_access_key_stork_uses_its_iam_role_and_no_secret_exists():
    result = run(access_key=False)
    (location,) = of_kind(result, "BackupLocation")
    assert location.props["location"]["s3Config"]["useIam"] is True
    assert "secretConfig" not in location.props["location"]
    assert of_kind(result, "Secret") == []


def test_every_claim_but_exempt_ones_gets_a_cloud_snapshot_schedule(result):
    schedules = {
        r.props["spec"]["template"]["spec"]["persistentVolumeClaimName"]: body(r)
        for r in of_kind(result, "VolumeSnapshotSchedule")
    }
    assert set(schedules) == {claim.name for claim in CLAIMS if claim.role != "scratch"}
    kafka = schedules["data-0-clicks-brokers-0"]
    assert kafka == {
        "metadata": {
            "name": "data-0-clicks-brokers-0-cloud",
            "namespace": NAMESPACE,
            "labels": {"team": "data", "data-pipeline.io/storage-role": "replicated"},
            "annotations": {
                "portworx/snapshot-type": "cloud",
                "portworx/cloud-cred-id": "px-archive",
            },
        },
        "spec": {
            "schedulePolicyName": "px-prod-frequent",
            "reclaimPolicy": "Retain",
            "template": {"spec": {"persistentVolumeClaimName": "data-0-clicks-brokers-0"}},
        },
    }
    # Only Elasticsearch's claims are flushed first; Kafka's are crash-consistent.
    assert schedules["elasticsearch-data-clicks-es-data-1a2b3c4d-0"]["spec"]["preExecRule"] == (
        "clicks-flush"
    )
    assert "preExecRule" not in schedules["clicks-spark-checkpoints"]["spec"]


def test_without_a_credential_id_portworx_uses_its_only_credential():
    result = run(credential_id=None)
    for schedule in of_kind(result, "VolumeSnapshotSchedule"):
        assert schedule.props["metadata"]["annotations"] == {"portworx/snapshot-type": "cloud"}


def test_the_flush_rule_runs_once_in_an_elasticsearch_container(result):
    (rule,) = of_kind(result, "Rule")
    assert rule.props["rules"] == [
        {
            "podSelector": {"elasticsearch.k8s.elastic.co/cluster-name": "clicks"},
            "container": "elasticsearch",
            "actions": [
                {
                    "type": "command",
                    "value": flush_command("clicks", http_tls=True),
                    "runInSinglePod": True,
                    "background": False,
                }
            ],
        }
    ]


def test_the_flush_reads_its_credentials_from_files_and_checks_the_certificate():
    assert flush_command("clicks", http_tls=True) == (
        "printf 'user = \"%s:%s\"\\n' "
        '"$(cat /mnt/data-pipeline/snapshot-flush/username)" '
        '"$(cat /mnt/data-pipeline/snapshot-flush/password)" '
        "| curl --config - --silent --show-error --fail -X POST "
        "--cacert /usr/share/elasticsearch/config/http-certs/ca.crt "
        "--resolve clicks-es-http:9200:127.0.0.1 https://clicks-es-http:9200/_flush"
    )
    assert flush_command("clicks", http_tls=False).endswith("-X POST http://127.0.0.1:9200/_flush")


def test_the_namespace_is_backed_up_to_the_archive_and_backups_are_retained(result):
    (schedule,) = of_kind(result, "ApplicationBackupSchedule")
    assert schedule.props["spec"] == {
        "schedulePolicyName": "px-prod-nightly",
        "reclaimPolicy": "Retain",
        "template": {
            "spec": {
                "backupLocation": "clicks-archive",
                "namespaces": [NAMESPACE],
                "reclaimPolicy": "Retain",
                "preExecRule": "clicks-flush",
            }
        },
    }


def test_application_backups_can_be_off():
    assert of_kind(run(backup_policy=None), "ApplicationBackupSchedule") == []


def test_alerts_cover_the_protected_claims_with_twice_the_policy_period(result):
    (rule,) = of_kind(result, "PrometheusRule")
    assert rule.props["metadata"]["namespace"] == NAMESPACE
    late = [
        r
        for group in rule.props["spec"]["groups"]
        for r in group["rules"]
        if r["alert"] == "StorkCloudSnapshotLate"
    ]
    assert [r["labels"]["window"] for r in late] == ["120m"]
    assert "scratch-clicks-tensorflow-0" not in late[0]["expr"]
    assert "clicks-spark-checkpoints" in late[0]["expr"]
    assert of_kind(run(monitoring=False), "PrometheusRule") == []


def test_schedules_wait_for_their_policy_and_rule(result):
    resources = by_name(result.resources)
    schedule = resources["clicks-elasticsearch-data-clicks-es-data-1a2b3c4d-0-cloud"]
    dependencies = set(schedule.dependencies)
    assert resources["schedules-frequent"].urn in dependencies
    assert resources["clicks-elasticsearch-flush"].urn in dependencies


def _args(**changes) -> dict:
    return {
        "namespace": NAMESPACE,
        "labels": {},
        "snapshot_policy": "frequent",
        "backup_policy": None,
        "claims": CLAIMS,
        "archive": archive(),
        "elasticsearch": ElasticsearchFlushArgs("clicks", http_tls=True),
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reclaim_policy": "Keep"}, "reclaim_policy must be Retain or Delete, got 'Keep'"),
        ({"snapshot_policy": "hourly"}, "schedule policy 'hourly' is not one of the stack's"),
        ({"claims": (*CLAIMS, CLAIMS[0])}, "claims listed twice: data-0-clicks-brokers-0"),
        (
            {"elasticsearch": None},
            "Elasticsearch claims need the cluster to flush (elasticsearch)",
        ),
    ],
)
def test_args_that_cannot_protect_the_namespace_are_refused(changes, message):
    def program() -> None:
        schedules = SchedulePolicies("schedules", SchedulePoliciesArgs("px-prod", {}, POLICIES))
        with pytest.raises(ValueError) as error:
            NamespaceProtectionArgs(schedules=schedules, **_args(**changes))
        assert str(error.value) == message

    run_program(program, project="p", stack="s", config={})


def test_schedule_policies_need_a_schedule():
    with pytest.raises(ValueError) as error:
        SchedulePoliciesArgs("px-prod", {}, {"empty": SchedulePolicyArgs({}, 60)})
    assert str(error.value) == "schedule policy empty: give at least one schedule and its period"
    with pytest.raises(ValueError) as error:
        SchedulePoliciesArgs("px-prod", {}, {})
    assert str(error.value) == "schedule policies: give at least one"
