"""The offline check as a user runs it: summary, JSON, files, exit codes, secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import check
from tests.conftest import PROJECT_DIR, STACKS


def write_stack(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "Pulumi.candidate.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


def committed_stack_config(stack: str) -> dict:
    return yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.check", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=False,
    )


def test_dev_summary_lists_components_and_policy_results():
    result = run_cli()  # the embedded default: the dev stack
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Stack dev: ")
    assert "  storage" in lines
    assert "  clickstream" in lines
    assert any(line.split() == ["kubernetes:storage.k8s.io/v1:StorageClass", "4"] for line in lines)
    assert '  namespaces: {"clickstream": "dp-dev-clickstream"}' in lines  # stack outputs
    assert "Policies: 32 enabled, 0 mandatory and 0 advisory violations" in lines
    assert lines[-1] == "Result: passed"


def test_prod_json_shows_the_analytics_of_both_pipelines(capsys):
    assert check.main(["--stack", "prod", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["violations"] == []
    kinds: dict[str, list[str]] = {}
    for r in document["resources"]:
        if "-spark" in r["name"] or "-tensorflow" in r["name"]:
            kinds.setdefault(r["component"], []).append(r["type"].rsplit(":", 1)[-1])
    assert sorted(kinds["clickstream"]) == [
        "KafkaUser",
        "NetworkPolicy",
        "NetworkPolicy",
        "PersistentVolumeClaim",
        "PodMonitor",
        "PrometheusRule",
        "Role",
        "RoleBinding",
        "ServiceAccount",
        "SparkApplication",
        "VolumeSnapshotSchedule",  # of the checkpoint claim
    ]
    assert sorted(kinds["telemetry"]) == [
        "KafkaUser",
        "NetworkPolicy",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "PodMonitor",
        "PrometheusRule",
        "Service",
        "StatefulSet",
        "VolumeSnapshotSchedule",  # of the model claim; scratch is exempt
    ]
    # spark-operator is installed once, for the one pipeline that runs Spark jobs.
    assert [r["name"] for r in document["resources"] if r["type"].endswith(":Chart")] == [
        "eck",
        "spark-operator",
        "strimzi",
    ]


def test_prod_json_lists_storage_with_zero_violations(capsys):
    assert check.main(["--stack", "prod", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["stack"] == "prod"
    assert document["violations"] == []
    kinds = [
        r["type"].rsplit(":", 1)[-1] for r in document["resources"] if r["component"] == "storage"
    ]
    assert kinds.count("StorageClass") == 4
    assert kinds.count("VolumePlacementStrategy") == 1
    assert kinds.count("VolumeSnapshotClass") == 2
    assert all(set(r) == {"type", "name", "component", "urn"} for r in document["resources"])
    assert document["skipped"] == []
    (stack_class,) = [r for r in document["resources"] if r["name"] == "storage-db"]
    assert stack_class["urn"] == (
        "urn:pulumi:prod::data-pipeline::data-pipeline:storage:PortworxStorage"
        "$kubernetes:storage.k8s.io/v1:StorageClass::storage-db"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_committed_stack_passes(stack, capsys):
    assert check.main(["--stack", stack]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Result: passed"


def test_out_writes_one_manifest_per_kubernetes_object(stack_outputs):
    out = stack_outputs["prod"]
    resources = json.loads((out / "resources.json").read_text())
    # Kubernetes objects, not the provider nor the Helm chart (a component rendered in the cluster).
    kubernetes_objects = [
        r
        for r in resources
        if r["type"].startswith("kubernetes:")
        and "providers" not in r["type"]
        and not r["type"].startswith("kubernetes:helm.sh/")
    ]
    manifests = sorted((out / "k8s").glob("*.yaml"))
    assert len(manifests) == len(kubernetes_objects)
    for manifest in manifests:
        documents = list(yaml.safe_load_all(manifest.read_text()))
        assert len(documents) == 1
        assert {"apiVersion", "kind", "metadata"} <= documents[0].keys()
    # Cloud resources: the Elasticsearch stage users' generated passwords, and the archive.
    assert {p.name.split("-", 1)[0] for p in (out / "cloud").iterdir()} == {
        "RandomPassword",
        "Bucket",
        "BucketLifecycleConfiguration",
        "BucketOwnershipControls",
        "BucketPolicy",
        "BucketPublicAccessBlock",
        "BucketServerSideEncryptionConfiguration",
        "BucketVersioning",
        "BucketObjectLockConfiguration",
        "Key",
        # prod's backup writer: a role for EKS Pod Identity, one association per service account.
        "Role",
        "RolePolicy",
        "PodIdentityAssociation",
    }
    assert {"type", "name", "component", "urn", "props", "dependencies"} == set(resources[0])
    urns = [r["urn"] for r in resources]
    assert urns == sorted(urns)  # registration order varies from run to run; URN order does not


def test_repl_out_of_range_exits_2_naming_the_key(tmp_path):
    config = committed_stack_config("dev")
    config["data-pipeline:storage"]["classes"]["db"]["repl"] = 5
    result = run_cli("--stack", "dev", "--stack-file", str(write_stack(tmp_path, config)))
    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        result.stderr == "error: data-pipeline:storage.classes.db.repl: 5 is not allowed (1..3)\n"
    )


def test_prod_class_without_encryption_exits_1_naming_the_policy(tmp_path, capsys):
    config = committed_stack_config("prod")
    config["data-pipeline:storage"]["classes"]["replicated"]["secure"] = False
    stack_file = write_stack(tmp_path, config)
    assert check.main(["--stack", "prod", "--stack-file", str(stack_file), "--json"]) == 1
    violations = json.loads(capsys.readouterr().out)["violations"]
    assert [(v["policy"], v["level"], v["resource"], v["type"]) for v in violations] == [
        (
            "portworx-encryption",
            "mandatory",
            "storage-replicated",
            "kubernetes:storage.k8s.io/v1:StorageClass",
        )
    ]
    assert violations[0]["urn"] == (
        "urn:pulumi:prod::data-pipeline::data-pipeline:storage:PortworxStorage"
        "$kubernetes:storage.k8s.io/v1:StorageClass::storage-replicated"
    )


def test_dev_reports_missing_encryption_as_advisory_only(tmp_path, capsys):
    config = committed_stack_config("dev")
    config["data-pipeline:storage"]["classes"]["db"]["secure"] = False
    stack_file = write_stack(tmp_path, config)
    assert check.main(["--stack", "dev", "--stack-file", str(stack_file)]) == 0
    out = capsys.readouterr().out
    assert (
        '[advisory] portworx-encryption on kubernetes:storage.k8s.io/v1:StorageClass "storage-db": '
        in out
    )
    assert out.splitlines()[-1] == "Result: passed"


def test_missing_stack_file_exits_2(capsys):
    assert check.main(["--stack", "nosuch"]) == 2
    assert capsys.readouterr().err == f"error: no stack file Pulumi.nosuch.yaml in {PROJECT_DIR}\n"


def test_unknown_policy_in_policy_config_exits_2(tmp_path, capsys):
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"all": "mandatory", "portworx-encrypton": "advisory"}))
    assert check.main(["--stack", "dev", "--policy-config", str(config)]) == 2
    assert capsys.readouterr().err == "error: unknown policies in config: portworx-encrypton\n"


def test_bad_policy_setting_exits_2(tmp_path, capsys):
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"portworx-replication": {"minimum": 7}}))
    assert check.main(["--stack", "dev", "--policy-config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err == "error: portworx-replication.minimum: 7 is greater than the maximum of 3\n"


def test_usage_error_exits_2():
    assert run_cli("--no-such-flag").returncode == 2


def test_encrypted_stack_values_become_placeholders_and_are_never_printed(tmp_path):
    ciphertext = "v1:bm90LWEtcmVhbC1zZWNyZXQ=:c2VjcmV0LXNob3VsZC1uZXZlci1wcmludA=="
    config = committed_stack_config("dev")
    config["data-pipeline:storage"]["encryptionKeys"] = {
        "db": {"passphrase": {"secure": ciphertext}}
    }
    config["data-pipeline:storage"]["classes"]["db"]["encryptionKey"] = "db"
    stack_file = write_stack(tmp_path, config)
    out = tmp_path / "out"
    result = run_cli("--stack-file", str(stack_file), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert ciphertext not in result.stdout + result.stderr + written
    secret = yaml.safe_load((out / "k8s" / "Secret-storage-db-r1-passphrase.yaml").read_text())
    assert secret["stringData"] == {"passphrase": "[secret]"}


def test_a_stack_file_that_is_not_text_exits_2(tmp_path, capsys):
    stack_file = tmp_path / "Pulumi.candidate.yaml"
    stack_file.write_bytes(b"config:\n  data-pipeline:environment: \xff\n")
    assert check.main(["--stack", "dev", "--stack-file", str(stack_file)]) == 2
    assert capsys.readouterr().err == (
        "error: Pulumi.candidate.yaml is not UTF-8 text (invalid start byte)\n"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_two_runs_write_byte_identical_trees_and_json(stack, tmp_path):
    # Different hash seeds, as two separate invocations get: nothing may depend on them.
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"run-{seed}"
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipeline.check",
                "--stack",
                stack,
                "--out",
                str(out),
                "--json",
            ],
            capture_output=True,
            text=True,
            cwd=PROJECT_DIR,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=False,
        )
        assert result.returncode == 0, result.stderr
        files = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        outputs.append((result.stdout, files))
    assert outputs[0][1]  # the tree was written
    assert outputs[0] == outputs[1]


def test_a_registered_resource_of_the_wrong_shape_exits_2_naming_it(monkeypatch, capsys):
    from pipeline.offline import ProgramRun
    from policies.record import Resource

    malformed = Resource(
        "kubernetes:storage.k8s.io/v1:StorageClass",
        "storage-db",
        {"metadata": {"name": "px-dev-db"}, "provisioner": "pxd.portworx.com", "parameters": []},
        urn="urn:pulumi:dev::data-pipeline::kubernetes:storage.k8s.io/v1:StorageClass::storage-db",
    )
    monkeypatch.setattr(check, "_run_stack", lambda *_: ProgramRun([malformed], {}))
    assert check.main(["--stack", "dev"]) == 2
    assert capsys.readouterr().err == (
        'error: kubernetes:storage.k8s.io/v1:StorageClass "storage-db": parameters should be an '
        "object, not a list\n"
    )


def test_prod_topic_with_one_replica_exits_1_naming_kafka_replication(tmp_path, capsys):
    config = committed_stack_config("prod")
    clicks = config["data-pipeline:pipelines"]["clickstream"]["kafka"]["topics"]["clicks"]
    clicks["replicas"] = 1
    clicks["config"]["min.insync.replicas"] = 1  # else the program refuses the topic itself
    stack_file = write_stack(tmp_path, config)
    assert check.main(["--stack", "prod", "--stack-file", str(stack_file), "--json"]) == 1
    violations = json.loads(capsys.readouterr().out)["violations"]
    assert [(v["policy"], v["level"], v["resource"], v["message"]) for v in violations] == [
        (
            "kafka-replication",
            "mandatory",
            "clickstream-topic-clicks",
            'KafkaTopic "clicks" has replicas 1; set spec.replicas to at least 3',
        )
    ]


def test_prod_kafka_on_the_scratch_role_exits_1_naming_kafka_storage(tmp_path, capsys):
    config = committed_stack_config("prod")
    telemetry = config["data-pipeline:pipelines"]["telemetry"]
    telemetry["kafka"]["storageRole"] = "scratch"
    telemetry["storage"]["scratch"] = "1Ti"  # room for Kafka: only the role is wrong
    stack_file = write_stack(tmp_path, config)
    out = tmp_path / "out"
    command = ["--stack", "prod", "--stack-file", str(stack_file), "--out", str(out), "--json"]
    assert check.main(command) == 1
    violations = json.loads(capsys.readouterr().out)["violations"]
    resources = json.loads((out / "resources.json").read_text())
    (scratch,) = [
        r["props"]["metadata"]["name"]
        for r in resources
        if r["type"].endswith(":StorageClass")
        and r["props"]["metadata"]["labels"]["data-pipeline.io/storage-role"] == "scratch"
    ]
    pools = [
        r for r in resources if r["type"].endswith(":KafkaNodePool") and "telemetry" in r["name"]
    ]
    assert [(v["policy"], v["level"], v["resource"], v["message"]) for v in violations] == [
        (
            "kafka-storage",
            "mandatory",
            pool["name"],
            f'KafkaNodePool "{pool["props"]["metadata"]["name"]}" has '
            f"spec.storage.volumes[0].class {scratch!r}, a class of role scratch; Kafka volumes "
            "need one of the roles: replicated, db",
        )
        for pool in pools
    ]


def evaluate_changed_output(
    stack_outputs: dict[str, Path], tmp_path: Path, stack: str, change
) -> tuple[int, list[dict]]:
    """`python -m policies.evaluate` with the stack's policy config on the stack's --out
    resources.json after ``change`` (given the resource list) has edited it."""
    resources = json.loads((stack_outputs[stack] / "resources.json").read_text())
    change(resources)
    changed = tmp_path / "resources.json"
    changed.write_text(json.dumps(resources))
    config = PROJECT_DIR / "policies" / "config" / f"{stack}.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "policies.evaluate",
            str(changed),
            "--config",
            str(config),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=False,
    )
    assert result.stderr == ""
    return result.returncode, json.loads(result.stdout)["violations"]


def first_of_kind(resources: list[dict], kind: str) -> dict:
    return next(r for r in resources if r["type"].endswith(f":{kind}"))


def test_prod_node_pool_on_a_class_outside_the_catalog_exits_1_naming_the_catalog_policy(
    stack_outputs, tmp_path
):
    def use_gp3(resources: list[dict]) -> None:
        first_of_kind(resources, "KafkaNodePool")["props"]["spec"]["storage"]["volumes"][0][
            "class"
        ] = "gp3"

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", use_gp3)
    assert code == 1
    resources = json.loads((stack_outputs["prod"] / "resources.json").read_text())
    pool = first_of_kind(resources, "KafkaNodePool")
    catalog = sorted(
        r["props"]["metadata"]["name"] for r in resources if r["type"].endswith(":StorageClass")
    )
    assert [(v["policy"], v["level"], v["resource"], v["message"]) for v in violations] == [
        (
            "storage-approved-classes",
            "mandatory",
            pool["name"],
            f"KafkaNodePool \"{pool['props']['metadata']['name']}\" uses class 'gp3' at "
            "spec.storage.volumes[0].class, which is not in the stack's catalog; use one of: "
            + ", ".join(catalog),
        )
    ]


def test_prod_node_pool_that_deletes_its_claims_exits_1_naming_kafka_storage(
    stack_outputs, tmp_path
):
    def delete_claims(resources: list[dict]) -> None:
        first_of_kind(resources, "KafkaNodePool")["props"]["spec"]["storage"]["volumes"][0][
            "deleteClaim"
        ] = True

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", delete_claims)
    assert code == 1
    pool = first_of_kind(
        json.loads((stack_outputs["prod"] / "resources.json").read_text()), "KafkaNodePool"
    )
    assert [(v["policy"], v["level"], v["resource"], v["message"]) for v in violations] == [
        (
            "kafka-storage",
            "mandatory",
            pool["name"],
            f'KafkaNodePool "{pool["props"]["metadata"]["name"]}" sets '
            "spec.storage.volumes[0].deleteClaim: true, so Strimzi deletes the claim whenever "
            "its Kafka node is deleted (scale-down or cluster deletion); set it false",
        )
    ]


@pytest.mark.parametrize(
    ("stack", "level", "code"), [("dev", "advisory", 0), ("prod", "mandatory", 1)]
)
def test_a_listener_without_authentication_blocks_prod_and_is_advisory_in_dev(
    stack_outputs, tmp_path, stack, level, code
):
    def drop_authentication(resources: list[dict]) -> None:
        del first_of_kind(resources, "Kafka")["props"]["spec"]["kafka"]["listeners"][0][
            "authentication"
        ]

    assert evaluate_changed_output(stack_outputs, tmp_path, stack, drop_authentication) == (
        code,
        [
            {
                "policy": "kafka-listener-authentication",
                "level": level,
                "resource": "clickstream",
                "message": 'Kafka "clickstream" has listener "tls" (spec.kafka.listeners[0]) '
                "without authentication, so any client that reaches it connects as "
                "User:ANONYMOUS; set spec.kafka.listeners[0].authentication (type tls, "
                "scram-sha-512 or custom)",
                "type": "kubernetes:kafka.strimzi.io/v1:Kafka",
                "urn": f"urn:pulumi:{stack}::data-pipeline::data-pipeline:stream:KafkaCluster"
                "$kubernetes:kafka.strimzi.io/v1:Kafka::clickstream",
            }
        ],
    )


def test_prod_elasticsearch_on_a_class_outside_the_catalog_exits_1_naming_the_catalog_policy(
    stack_outputs, tmp_path
):
    def use_gp3(resources: list[dict]) -> None:
        node_set = first_of_kind(resources, "Elasticsearch")["props"]["spec"]["nodeSets"][0]
        node_set["volumeClaimTemplates"][0]["spec"]["storageClassName"] = "gp3"

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", use_gp3)
    assert code == 1
    assert [(v["policy"], v["level"]) for v in violations] == [
        ("storage-approved-classes", "mandatory")
    ]
    assert (
        "uses class 'gp3' at spec.nodeSets[0].volumeClaimTemplates[0]" in violations[0]["message"]
    )


def test_prod_elasticsearch_without_http_tls_exits_1_naming_the_tls_policy(tmp_path, capsys):
    config = committed_stack_config("prod")
    config["data-pipeline:pipelines"]["telemetry"]["elasticsearch"]["httpTls"] = False
    command = ["--stack", "prod", "--stack-file", str(write_stack(tmp_path, config)), "--json"]
    assert check.main(command) == 1
    violations = json.loads(capsys.readouterr().out)["violations"]
    assert [(v["policy"], v["level"], v["resource"]) for v in violations] == [
        ("elasticsearch-http-tls", "mandatory", "telemetry")
    ]


def test_prod_connector_with_a_clear_text_password_exits_1_naming_the_policy(
    stack_outputs, tmp_path
):
    def clear_password(resources: list[dict]) -> None:
        connector = first_of_kind(resources, "KafkaConnector")
        connector["props"]["spec"]["config"]["connection.password"] = "hunter2"

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", clear_password)
    assert code == 1
    assert [(v["policy"], v["level"]) for v in violations] == [
        ("connector-secrets-by-reference", "mandatory")
    ]
    assert "hunter2" not in json.dumps(violations)


def test_prod_with_a_destination_cluster_migrates_every_pipeline(tmp_path):
    # The kubeconfig and the pairing token are set with `pulumi config set --secret`: the stack
    # file holds only ciphertext, which the offline check never decrypts.
    config = committed_stack_config("prod")
    config["data-pipeline:migration"] = {
        "destination": {"kubeconfig": {"secure": "v1:AAAA"}, "context": "dr"},
        "portworx": {"ip": "px-dr.example.internal", "token": {"secure": "v1:BBBB"}},
        # One of the stack's own protection policies, by its name there.
        "schedulePolicy": "hourly",
    }
    out = tmp_path / "out"
    result = run_cli(
        "--stack",
        "prod",
        "--json",
        "--out",
        str(out),
        "--stack-file",
        str(write_stack(tmp_path, config)),
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["violations"] == []
    kinds = [
        (r["component"], r["type"].rsplit(":", 1)[-1])
        for r in document["resources"]
        if r["type"].endswith((":ClusterPair", ":MigrationSchedule"))
    ]
    assert sorted(kinds) == [
        ("migration", "ClusterPair"),
        ("migration", "ClusterPair"),
        ("migration", "MigrationSchedule"),
        ("migration", "MigrationSchedule"),
    ]
    destination_classes = [
        r["name"] for r in document["resources"] if r["type"].endswith(":StorageClass")
    ]
    # The catalog twice: on this cluster and, first, on the destination.
    assert len(destination_classes) == 2 * 4
    assert "v1:AAAA" not in (out / "resources.json").read_text()
    schedules = [
        r["props"]
        for r in json.loads((out / "resources.json").read_text())
        if r["type"].endswith(":MigrationSchedule")
    ]
    assert {p["spec"]["schedulePolicyName"] for p in schedules} == {"px-prod-hourly"}


def _policies_failed(violations: list[dict]) -> list[tuple[str, str]]:
    return sorted((v["policy"], v["level"]) for v in violations)


def test_prod_with_versioning_off_exits_1_naming_the_policy(stack_outputs, tmp_path):
    def suspend(resources: list[dict]) -> None:
        versioning = first_of_kind(resources, "BucketVersioning")
        versioning["props"]["versioningConfiguration"]["status"] = "Suspended"

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", suspend)
    assert code == 1
    assert _policies_failed(violations) == [("archive-bucket-versioning", "mandatory")]


def test_prod_without_the_public_access_block_exits_1_naming_the_policy(stack_outputs, tmp_path):
    def drop(resources: list[dict]) -> None:
        resources.remove(first_of_kind(resources, "BucketPublicAccessBlock"))

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", drop)
    assert code == 1
    assert _policies_failed(violations) == [("archive-public-access-block", "mandatory")]


def test_prod_with_a_wildcard_in_the_writers_policy_exits_1_naming_the_policy(
    stack_outputs, tmp_path
):
    def widen(resources: list[dict]) -> None:
        policy = first_of_kind(resources, "RolePolicy")["props"]
        document = json.loads(policy["policy"])
        document["Statement"][0]["Action"] = "s3:*"
        policy["policy"] = json.dumps(document)

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", widen)
    assert code == 1
    assert _policies_failed(violations) == [("archive-writer-least-privilege", "mandatory")]


def test_prod_without_a_claims_snapshot_schedule_exits_1_naming_the_policy(stack_outputs, tmp_path):
    removed: list[str] = []

    def unschedule(resources: list[dict]) -> None:
        schedule = first_of_kind(resources, "VolumeSnapshotSchedule")
        removed.append(schedule["props"]["spec"]["template"]["spec"]["persistentVolumeClaimName"])
        resources.remove(schedule)

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", unschedule)
    assert code == 1
    assert _policies_failed(violations) == [("storage-cloud-snapshot-coverage", "mandatory")]
    assert removed[0] in violations[0]["message"]
