"""`python -m policies.evaluate` on the check's resources.json and on `pulumi preview --json`."""

from __future__ import annotations

import json
import subprocess
import sys

from policies import evaluate
from tests.conftest import PROJECT_DIR

PROD_CONFIG = str(PROJECT_DIR / "policies" / "config" / "prod.json")
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # how a preview shows a value not known yet

STANDARD_PVC = {
    "type": "kubernetes:core/v1:PersistentVolumeClaim",
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
        '[MANDATORY] storage-approved-classes on rogue: PersistentVolumeClaim "rogue" uses '
        "class 'standard'" in failed.stdout
    )


def preview_document(*resources: tuple[str, str, dict]) -> dict:
    stack_urn = "urn:pulumi:prod::data-pipeline::pulumi:pulumi:Stack::data-pipeline-prod"
    steps = [{"op": "same", "urn": stack_urn, "newState": {"type": "pulumi:pulumi:Stack"}}]
    for op, type_, props in resources:
        name = props["metadata"]["name"]
        steps.append(
            {
                "op": op,
                "urn": f"urn:pulumi:prod::data-pipeline::{type_}::{name}",
                "newState": {"type": type_, "inputs": props, "parent": stack_urn},
            }
        )
    return {"steps": steps}


def storage_class_props(name: str, **parameters: str) -> dict:
    return {
        "metadata": {"name": name},
        "provisioner": "pxd.portworx.com",
        "parameters": {"repl": "3", "secure": "true", **parameters},
        "reclaimPolicy": "Retain",
        "allowVolumeExpansion": True,
    }


def test_preview_json_is_judged_and_unknown_values_are_skipped(tmp_path, capsys):
    sc = "kubernetes:storage.k8s.io/v1:StorageClass"
    document = preview_document(
        ("create", sc, storage_class_props("known-bad", secure="false")),
        ("update", sc, storage_class_props("not-known-yet", secure=UNKNOWN)),
        ("delete", sc, storage_class_props("being-deleted", secure="false")),
    )
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(document))
    assert evaluate.main([str(path), "--config", PROD_CONFIG, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["stack"] == "prod"
    assert [(r["name"], r["component"]) for r in report["resources"]] == [
        ("known-bad", None),
        ("not-known-yet", None),
    ]
    assert [(v["policy"], v["resource"]) for v in report["violations"]] == [
        ("portworx-encryption", "known-bad")
    ]


def test_unrecognised_input_exits_2(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"something": "else"}))
    assert evaluate.main([str(path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {path}: expected a resources.json list or the output of `pulumi preview --json`\n"
    )
