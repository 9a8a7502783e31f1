"""Both entry points load the way the Pulumi CLI runs them: runpy on a folder, from any cwd.

``runpy.run_path("pipeline/")`` and ``python -m pulumi.policy ... policies/`` put only that
folder on sys.path, so imports must resolve through the installed project. These tests run in a
subprocess whose working directory is elsewhere and whose sys.path holds no checkout.
"""

from __future__ import annotations

import ast
import json
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.config import ConfigError
from pipeline.offline import run_program
from tests.conftest import MINIMAL_CONFIG, PROJECT_DIR


def run_elsewhere(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONSAFEPATH": "1"},
    )


def test_program_runs_with_runpy_from_another_directory(tmp_path):
    config = {f"data-pipeline:{k}": json.dumps(v) for k, v in MINIMAL_CONFIG.items()}
    config["data-pipeline:environment"] = "dev"
    result = run_elsewhere(
        f"""
        import json, runpy, sys
        assert not any(p and {str(PROJECT_DIR)!r} == p for p in sys.path), sys.path
        from pipeline.offline import run_program
        run = run_program(
            lambda: runpy.run_path({str(PROJECT_DIR / "pipeline")!r}, run_name="__main__"),
            project="data-pipeline", stack="dev", config={config!r},
        )
        print(json.dumps(sorted(r.type for r in run.resources if r.custom)))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    types = json.loads(result.stdout)
    assert "kubernetes:storage.k8s.io/v1:StorageClass" in types
    assert "kubernetes:core/v1:Namespace" in types


def test_nothing_is_registered_when_the_config_is_invalid():
    config = {f"data-pipeline:{k}": json.dumps(v) for k, v in MINIMAL_CONFIG.items()}
    config["data-pipeline:environment"] = "qa"

    def program() -> None:
        with pytest.raises(ConfigError) as caught:
            runpy.run_path(str(PROJECT_DIR / "pipeline"), run_name="__main__")
        assert str(caught.value) == (
            "data-pipeline:environment: \"qa\" is not allowed (one of 'dev', 'staging' or 'prod')"
        )

    run = run_program(program, project="data-pipeline", stack="dev", config=config)
    assert run.resources == []


def _imported_modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
    return modules


def test_policy_pack_main_loads_with_only_its_folder_on_sys_path(tmp_path):
    pack_dir = PROJECT_DIR / "policies"
    modules = _imported_modules(pack_dir / "__main__.py")
    assert "policies.pack" in modules
    result = run_elsewhere(
        f"""
        import importlib, runpy, sys
        sys.path.insert(0, {str(pack_dir)!r})  # what runpy.run_path does for the pack folder
        for module in {modules!r}:
            importlib.import_module(module)
        # Run the pack itself with PolicyPack captured: the real one serves gRPC forever.
        import pulumi_policy
        built = []
        pulumi_policy.PolicyPack = lambda **kwargs: built.append(kwargs)
        runpy.run_path({str(pack_dir)!r}, run_name="__main__")
        (pack,) = built
        print(pack["name"], " ".join(p.name for p in pack["policies"]))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    name, *policies = result.stdout.split()
    assert name == "data-pipeline-storage"
    assert policies == [
        "portworx-csi-driver",
        "portworx-replication",
        "portworx-encryption",
        "storage-volume-expansion",
        "storage-reclaim-retain",
        "portworx-io-settings",
        "portworx-io-profile-current",
        "storage-approved-classes",
        "storage-claims-within-quota",
        "storage-cloud-snapshot-coverage",
        "snapshot-reclaim-retain",
        "kafka-replication",
        "kafka-min-insync-replicas",
        "kafka-unclean-leader-election",
        "kafka-storage",
        "kafka-listener-authentication",
        "elasticsearch-storage",
        "elasticsearch-topology",
        "elasticsearch-http-tls",
        "connector-secrets-by-reference",
        "storage-access-modes",
        "workload-restricted-pods",
        "archive-bucket-versioning",
        "archive-bucket-encryption",
        "archive-public-access-block",
        "archive-tls-only",
        "archive-lifecycle",
        "archive-no-force-destroy",
        "archive-object-lock",
        "archive-writer-least-privilege",
        "autopilot-approval",
        "autopilot-claim-growth-targets",
    ]


def run_with_host_environment(config: dict, secret_keys: list[str], tmp_path: Path):
    """Run the program with its config where the Pulumi language host puts it: the
    PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS environment variables, nothing passed in."""
    host_config = {
        f"data-pipeline:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
    }
    code = f"""
        import json, runpy
        from pipeline.offline import run_program
        try:
            run = run_program(
                lambda: runpy.run_path({str(PROJECT_DIR / "pipeline")!r}, run_name="__main__"),
                project="data-pipeline", stack="dev", config={{}},
            )
        except Exception as exc:
            print(json.dumps({{"error": str(exc)}}))
        else:
            print(json.dumps([[r.type, r.props] for r in run.resources if r.custom]))
        """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "PULUMI_CONFIG": json.dumps(host_config),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(secret_keys),
        },
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_language_hosts_config_path_reads_every_key_and_keeps_secrets(tmp_path):
    config = {
        **MINIMAL_CONFIG,
        "storage": {
            "classes": {"db": {"repl": 2, "encryptionKey": "k"}},
            "encryptionKeys": {"k": {"passphrase": "from-the-host"}},
        },
    }
    registered = run_with_host_environment(config, ["data-pipeline:storage"], tmp_path)
    secrets = [props for kind, props in registered if kind == "kubernetes:core/v1:Secret"]
    passphrase = next(p for p in secrets if p["metadata"]["name"].endswith("-passphrase"))
    assert passphrase["stringData"] == {"passphrase": "[secret]"}
    assert "from-the-host" not in json.dumps(registered)
    classes = [p for kind, p in registered if kind.endswith(":StorageClass")]
    assert classes[0]["parameters"]["repl"] == "2"


def test_the_language_hosts_config_path_rejects_a_misspelt_top_level_key(tmp_path):
    config = {**MINIMAL_CONFIG, "storge": {"classes": {}}}
    result = run_with_host_environment(config, [], tmp_path)
    assert result == {
        "error": "data-pipeline:storge: unknown key (allowed here: archive, autopilot, "
        "environment, kubernetes, migration, "
        "monitoring, operators, pipelines, protection, storage)"
    }
