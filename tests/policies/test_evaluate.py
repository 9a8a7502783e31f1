"""`python -m policies.evaluate` on the check's resources.json and on `pulumi preview --json`,
shaped as Pulumi writes it: secrets as "[secret]", unchanged resources only with --show-sames."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policies import evaluate
from tests.conftest import PROJECT_DIR

PROD_CONFIG = str(PROJECT_DIR / "policies" / "config" / "prod.json")
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # how a preview shows a value not known yet
STACK_URN = "urn:pulumi:prod::data-pipeline::pulumi:pulumi:Stack::data-pipeline-prod"
SC = "kubernetes:storage.k8s.io/v1:StorageClass"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"

STANDARD_PVC = {
    "type": PVC,
    "name": "rogue",
    "component": None,
    "props": {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "rogue", "namespace": "dp-prod-clickstream"},
        "spec": {
            "storageClassName": "standard",
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        },
    },
}


def test_prod_output_passes_and_fails_once_a_standard_pvc_is_appended(stack_outputs, tmp_path):
    resources_file = stack_outputs["prod"] / "resources.json"
    command = [
        sys.executable,
        "-m",
        "policies.evaluate",
        str(resources_file),
        "--config",
        PROD_CONFIG,
    ]
    clean = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_DIR, check=False)
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.splitlines()[-1] == "Result: passed"

    resources = json.loads(resources_file.read_text())
    resources.append(STANDARD_PVC)
    tampered = tmp_path / "resources.json"
    tampered.write_text(json.dumps(resources))
    command[3] = str(tampered)
    failed = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_DIR, check=False)
    assert failed.returncode == 1
    assert (
        '[MANDATORY] storage-approved-classes on kubernetes:core/v1:PersistentVolumeClaim "rogue": '
        "PersistentVolumeClaim \"rogue\" uses class 'standard'" in failed.stdout
    )


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:prod::data-pipeline::{type_}::{name}"


def step(op: str, type_: str, props: dict, parent: str = STACK_URN) -> dict:
    """One step as `pulumi preview --json` writes it."""
    name = props["metadata"]["name"]
    state = {
        "urn": urn(type_, name),
        "custom": True,
        "type": type_,
        "inputs": props,
        "parent": parent,
        "provider": f"urn:pulumi:prod::data-pipeline::pulumi:providers:kubernetes::k::{UNKNOWN}",
    }
    return {"op": op, "urn": urn(type_, name), "provider": state["provider"], "newState": state}


def preview_document(*steps: dict, same: int | None = None) -> dict:
    """A preview of an existing stack: the root stack is listed even when unchanged."""
    stack = {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack", "inputs": {}}
    all_steps = [{"op": "same", "urn": STACK_URN, "newState": stack}, *steps]
    summary: dict[str, int] = {}
    for item in all_steps:
        summary[item["op"]] = summary.get(item["op"], 0) + 1
    if same is not None:
        summary["same"] = same  # what Pulumi counts, whether it lists the steps or not
    return {"config": {}, "steps": all_steps, "duration": 1000, "changeSummary": summary}


def storage_class_props(name: str, **parameters: Any) -> dict:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": "pxd.portworx.com",
        "parameters": {"repl": "3", "secure": "true", **parameters},
        "reclaimPolicy": "Retain",
        "allowVolumeExpansion": True,
    }


def pvc_props(name: str, class_name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {"storageClassName": class_name, "accessModes": ["ReadWriteOnce"]},
    }


def run(tmp_path: Path, document: Any, *extra: str) -> int:
    """Evaluate ``document`` with prod's policy config, less the cloud snapshot coverage: these
    tests are about reading previews, and their lone claims have no snapshot schedules
    (coverage has tests of its own)."""
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(document))
    config = json.loads(Path(PROD_CONFIG).read_text())
    config["storage-cloud-snapshot-coverage"] = "disabled"
    config_path = tmp_path / "policy-config.json"
    config_path.write_text(json.dumps(config))
    return evaluate.main([str(path), "--config", str(config_path), *extra])


def test_preview_json_is_judged_and_unknown_values_are_skipped(tmp_path, capsys):
    document = preview_document(
        step("create", SC, storage_class_props("known-bad", secure="false")),
        step("update", SC, storage_class_props("not-known-yet", secure=UNKNOWN)),
        step("delete", SC, storage_class_props("being-deleted", secure="false")),
    )
    assert run(tmp_path, document, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["stack"] == "prod"
    assert [(r["name"], r["component"], r["urn"]) for r in report["resources"]] == [
        ("known-bad", None, urn(SC, "known-bad")),
        ("not-known-yet", None, urn(SC, "not-known-yet")),
    ]
    assert [(v["policy"], v["resource"], v["urn"]) for v in report["violations"]] == [
        ("portworx-encryption", "known-bad", urn(SC, "known-bad"))
    ]
    assert report["skipped"] == [
        {
            "policy": "portworx-encryption",
            "reason": f'{SC} "not-known-yet": parameters.secure is not known until the update runs',
            "urn": urn(SC, "not-known-yet"),
        }
    ]


def test_secret_values_are_skipped_like_unknown_ones_never_judged(tmp_path, capsys):
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "px-key"},
        "stringData": "[secret]",
    }
    document = preview_document(
        step("create", SC, storage_class_props("px-a", secure="[secret]")),
        # A whole object can be secret: a string where an object belongs, and no input error.
        step("create", SC, {**storage_class_props("px-b"), "parameters": "[secret]"}),
        step("create", "kubernetes:core/v1:Secret", secret),
        step("create", PVC, pvc_props("data", "px-a")),
    )
    assert run(tmp_path, document) == 0
    out = capsys.readouterr().out
    assert "Policies: 31 enabled, 0 mandatory and 0 advisory violations, 5 checks skipped" in out
    assert [line for line in out.splitlines() if "[skipped]" in line] == [
        f'  [skipped] portworx-replication: {SC} "px-b": parameters is secret',
        f'  [skipped] portworx-encryption: {SC} "px-a": parameters.secure is secret',
        f'  [skipped] portworx-encryption: {SC} "px-b": parameters is secret',
        f'  [skipped] portworx-io-settings: {SC} "px-b": parameters is secret',
        f'  [skipped] portworx-io-profile-current: {SC} "px-b": parameters is secret',
    ]
    assert out.splitlines()[-1] == "Result: passed"


def test_a_claim_whose_class_is_secret_skips_the_catalog_as_pulumi_does(tmp_path, capsys):
    document = preview_document(
        step("create", SC, storage_class_props("px-a")),
        step("create", PVC, pvc_props("hidden", "[secret]")),
        step("create", PVC, pvc_props("rogue", "standard")),
    )
    assert run(tmp_path, document) == 0
    assert "0 mandatory and 0 advisory violations, 2 checks skipped" in capsys.readouterr().out
    assert run(tmp_path, document, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["violations"] == []
    # Both stack policies that read a claim's class skip the whole stack, as Pulumi does.
    assert report["skipped"] == [
        {
            "policy": policy,
            "reason": f'{PVC} "hidden": spec.storageClassName is secret',
            "urn": urn(PVC, "hidden"),
        }
        for policy in ("storage-approved-classes", "storage-access-modes")
    ]


SHOW_SAMES_MESSAGE = (
    f"error: storage-approved-classes cannot judge {PVC} \"data\": it names class 'px-a' at "
    "spec.storageClassName, and the preview leaves out the resources it does not change, which "
    "may include that class. Run `pulumi preview --json --show-sames`, or list the classes "
    "managed outside the stack in the policy config's storage-approved-classes.approvedClasses.\n"
)


def test_preview_without_sames_asks_for_them_instead_of_failing_every_claim(tmp_path, capsys):
    # The class px-a exists and is unchanged: Pulumi counts it but does not list it.
    document = preview_document(step("update", PVC, pvc_props("data", "px-a")), same=2)
    assert run(tmp_path, document) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == SHOW_SAMES_MESSAGE


def test_preview_with_sames_judges_claims_against_the_stack_classes(tmp_path, capsys):
    document = preview_document(
        step("same", SC, storage_class_props("px-a")),
        step("update", PVC, pvc_props("data", "px-a")),
        step("create", PVC, pvc_props("rogue", "standard")),
        same=2,
    )
    assert run(tmp_path, document, "--json") == 1
    violations = json.loads(capsys.readouterr().out)["violations"]
    assert [(v["policy"], v["resource"], v["message"]) for v in violations] == [
        (
            "storage-approved-classes",
            "rogue",
            "PersistentVolumeClaim \"rogue\" uses class 'standard' at spec.storageClassName, "
            "which is not in the stack's catalog; use one of: px-a",
        )
    ]


def test_preview_without_sames_is_judged_when_the_config_approves_classes(tmp_path, capsys):
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"storage-approved-classes": {"approvedClasses": ["px-a"]}}))
    document = preview_document(
        step("update", PVC, pvc_props("data", "px-a")),
        step("create", PVC, pvc_props("rogue", "standard")),
        same=2,
    )
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(document))
    assert evaluate.main([str(path), "--config", str(config), "--json"]) == 1
    violations = json.loads(capsys.readouterr().out)["violations"]
    assert [v["resource"] for v in violations] == ["rogue"]


def test_a_replacement_is_judged_once_and_children_name_their_component(tmp_path, capsys):
    component = "urn:pulumi:prod::data-pipeline::data-pipeline:storage:PortworxStorage::storage"
    bad = storage_class_props("px-a", secure="false")
    document = preview_document(
        step("replace", SC, bad, parent=component),
        step("create-replacement", SC, bad, parent=component),
    )
    assert run(tmp_path, document, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["component"]) for r in report["resources"]] == [("px-a", "storage")]
    assert [v["policy"] for v in report["violations"]] == ["portworx-encryption"]


def test_unrecognised_input_exits_2(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"something": "else"}))
    assert evaluate.main([str(path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {path}: expected a resources.json list or the output of `pulumi preview --json`\n"
    )


def pod(volumes: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "web", "image": "nginx"}], "volumes": volumes},
    }


POD = "kubernetes:core/v1:Pod"
BAD_PREVIEWS = [
    (
        "string where a list belongs",
        [step("create", POD, pod("scratch"))],
        f"{POD} \"web\": spec.volumes should be a list, not the string 'scratch'",
    ),
    (
        "list where a map belongs",
        [step("create", SC, {**storage_class_props("px-a"), "parameters": [{"repl": "3"}]})],
        f'{SC} "px-a": parameters should be an object, not a list',
    ),
    (
        "missing required field",
        [step("create", POD, pod([{"name": "cache", "ephemeral": {}}]))],
        f'{POD} "web": spec.volumes[0].ephemeral.volumeClaimTemplate is missing',
    ),
    (
        "number where a string belongs",
        [step("create", SC, storage_class_props("px-a", repl=3))],
        f'{SC} "px-a": parameters.repl should be a string, not the number 3',
    ),
    (
        "missing provisioner",
        [step("create", SC, {**storage_class_props("px-a"), "provisioner": None})],
        f'{SC} "px-a": provisioner is missing',
    ),
    (
        "label map of the wrong shape",
        [
            step(
                "create",
                SC,
                {**storage_class_props("px-a"), "metadata": {"name": "px-a", "labels": ["db"]}},
            )
        ],
        f'{SC} "px-a": metadata.labels should be an object, not a list',
    ),
]


@pytest.mark.parametrize(
    ("steps", "error"), [case[1:] for case in BAD_PREVIEWS], ids=[case[0] for case in BAD_PREVIEWS]
)
def test_bad_shaped_input_exits_2_naming_resource_and_field(tmp_path, capsys, steps, error):
    assert run(tmp_path, preview_document(*steps)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {error}\n"


def test_every_bad_field_is_named_once_even_when_several_policies_read_it(tmp_path, capsys):
    document = preview_document(
        step("create", SC, {**storage_class_props("px-a"), "parameters": [{"repl": "3"}]}),
        step("create", POD, pod("scratch")),
    )
    assert run(tmp_path, document) == 2
    assert capsys.readouterr().err == (
        f'error: {SC} "px-a": parameters should be an object, not a list\n'
        f"error: {POD} \"web\": spec.volumes should be a list, not the string 'scratch'\n"
    )


def test_bad_document_shapes_exit_2_naming_the_place(tmp_path, capsys):
    path = tmp_path / "preview.json"
    cases = [
        ({"steps": {"op": "create"}}, f"{path}: steps should be a list, not an object"),
        ({"steps": ["create"]}, f"{path}: steps[0] should be an object, not the string 'create'"),
        ({"steps": [{"op": "create"}]}, f"{path}: steps[0].urn is missing"),
        (
            {"steps": [{"op": "create", "urn": "storage-db"}]},
            f"{path}: steps[0].urn should be a Pulumi URN "
            "(urn:pulumi:<stack>::<project>::<type>::<name>), not the string 'storage-db'",
        ),
        (
            {"steps": [{"op": "create", "urn": urn(SC, "a")}]},
            f"{path}: steps[0] ({urn(SC, 'a')}): newState is missing",
        ),
        (
            [{"type": SC, "name": "a", "props": []}],
            f"{path}: entry 0: props should be an object, not a list",
        ),
        ([["a"]], f"{path}: entry 0 should be an object, not a list"),
        (
            [{"type": SC, "name": "a", "props": "[secret]"}],
            f"{path}: entry 0: props is secret, so the file cannot be read",
        ),
        (
            {"steps": [{"op": "create", "urn": urn(SC, "a"), "newState": UNKNOWN}]},
            f"{path}: steps[0] ({urn(SC, 'a')}): newState is not known until the update runs, "
            "so the file cannot be read",
        ),
        ([{"type": SC, "props": {}}], f"{path}: entry 0: name is missing"),
    ]
    for document, message in cases:
        path.write_text(json.dumps(document))
        assert evaluate.main([str(path)]) == 2, message
        assert capsys.readouterr().err == f"error: {message}\n"


def test_kinds_of_other_versions_are_judged_like_v1(tmp_path, capsys):
    old_class = "kubernetes:storage.k8s.io/v1beta1:StorageClass"
    pool = "kubernetes:kafka.strimzi.io/v1beta2:KafkaNodePool"
    pool_props = {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaNodePool",
        "metadata": {"name": "brokers"},
        "spec": {
            "replicas": 3,
            "roles": ["broker"],
            "storage": {
                "type": "jbod",
                "volumes": [{"id": 0, "type": "persistent-claim", "size": "100Gi", "class": "gp2"}],
            },
        },
    }
    document = preview_document(
        step("create", old_class, storage_class_props("px-a", secure="false")),
        step("create", pool, pool_props),
    )
    assert run(tmp_path, document, "--json") == 1
    violations = json.loads(capsys.readouterr().out)["violations"]
    assert [(v["policy"], v["type"], v["message"]) for v in violations] == [
        (
            "portworx-encryption",
            old_class,
            'StorageClass "px-a" does not encrypt its volumes; set parameter secure: "true"',
        ),
        (
            "storage-approved-classes",
            pool,
            "KafkaNodePool \"brokers\" uses class 'gp2' at spec.storage.volumes[0].class, which is "
            "not in the stack's catalog; use one of: px-a",
        ),
    ]
