"""The CI/CD workflows: schema-valid, statically secure, pinned, least privilege."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR

GITHUB_DIR = PROJECT_DIR / ".github"
WORKFLOWS = sorted((GITHUB_DIR / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB_DIR / "actions").glob("*/action.yml"))
# Release commits of the actions used, from ../shared/REFERENCE.md.
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "pulumi/actions": ("8e5e406f4007fca908480587cb9893c07090f58d", "v7.0.0"),
    "pulumi/auth-actions": ("141415910c3beb54e03b48e9057c204c97b956f2", "v2.1.0"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
}


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess:
    """Run a command-line tool installed beside the test interpreter (a test extra)."""
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    assert path, f"{name} is not installed in the test environment"
    return subprocess.run(
        [path, *args], capture_output=True, text=True, check=False, cwd=PROJECT_DIR
    )


def load(path: Path) -> dict:
    # PyYAML reads the key `on` as True; workflows are read with that in mind.
    return yaml.safe_load(path.read_text())


def jobs(workflow: str) -> dict:
    return load(GITHUB_DIR / "workflows" / workflow)["jobs"]


def test_workflows_validate_against_the_github_workflow_schema():
    result = run_tool(
        "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_composite_actions_validate_against_the_github_action_schema():
    result = run_tool(
        "check-jsonschema", "--builtin-schema", "vendor.github-actions", *map(str, ACTIONS)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_static_analysis_finds_nothing_at_medium_or_above():
    result = run_tool("zizmor", "--offline", "--min-severity", "medium", str(GITHUB_DIR))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_its_release_commit():
    uses = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(?:\s+#\s*(\S+))?\s*$")
    seen = set()
    for path in WORKFLOWS + ACTIONS:
        for line in path.read_text().splitlines():
            match = uses.match(line)
            if not match or match[1].startswith("./"):
                continue
            action, _, ref = match[1].partition("@")
            assert action in PINS, f"{path.name}: {action} is not an approved action"
            assert (ref, match[2]) == PINS[action], f"{path.name}: {line.strip()}"
            seen.add(action)
    assert seen == set(PINS)


def test_checkouts_do_not_persist_credentials():
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, path.name


def test_workflows_grant_nothing_by_default_and_each_job_only_what_it_needs():
    for path in WORKFLOWS:
        assert load(path)["permissions"] == {}, path.name
    pr = jobs("pull-request.yml")
    assert pr["offline-check"]["permissions"] == {"contents": "read"}
    assert pr["preview"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }
    for job in jobs("deploy.yml").values():
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs("deploy-stack.yml")["up"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
    }


def test_no_secrets_in_workflow_files():
    for path in WORKFLOWS + ACTIONS:
        assert "secrets." not in path.read_text(), path.name


def test_offline_check_runs_every_stack_without_credentials_and_keeps_its_json():
    job = jobs("pull-request.yml")["offline-check"]
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    assert "environment" not in job and "if" not in job  # so fork pull requests run it too
    steps = job["steps"]
    assert not any("connect" in step.get("uses", "") for step in steps)
    run = next(step["run"] for step in steps if step.get("name") == "Offline check")
    assert "GITHUB_STEP_SUMMARY" in run and "--json" in run
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["if"] == "always()"


def test_previews_run_per_stack_with_the_policy_pack_and_comment():
    job = jobs("pull-request.yml")["preview"]
    assert job["needs"] == "offline-check"
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    (pulumi,) = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"] == {
        "command": "preview",
        "stack-name": "${{ matrix.stack }}",
        "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
        "comment-on-pr": True,
        "refresh": True,
        "policyPacks": "policies",
        "policyPackConfigs": "policies/config/${{ matrix.stack }}.json",
    }


def test_deploys_go_dev_then_staging_then_prod_one_at_a_time_per_stack():
    deploy = jobs("deploy.yml")
    assert load(GITHUB_DIR / "workflows" / "deploy.yml")[True] == {"push": {"branches": ["main"]}}
    assert [deploy[name].get("needs") for name in ("dev", "staging", "prod")] == [
        None,
        "dev",
        "staging",
    ]
    assert {deploy[name]["with"]["stack"] for name in deploy} == {"dev", "staging", "prod"}
    up = jobs("deploy-stack.yml")["up"]
    assert up["environment"] == "${{ inputs.stack }}"  # prod's environment has reviewers
    assert up["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    names = [step.get("name") for step in up["steps"]]
    assert (
        names.index("Offline check (fails before any credential is used)")
        < names.index("Policy-checked preview")
        < names.index("Deploy")
    )
    pulumi = [s for s in up["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert [step["with"]["command"] for step in pulumi] == ["preview", "up"]
    for step in pulumi:
        assert step["with"]["policyPacks"] == "policies"
        assert step["with"]["policyPackConfigs"] == "policies/config/${{ inputs.stack }}.json"


@pytest.mark.parametrize("workflow", [w.name for w in WORKFLOWS])
def test_cloud_access_is_by_oidc_role_only(workflow):
    text = (GITHUB_DIR / "workflows" / workflow).read_text()
    assert "aws-access-key-id" not in text and "PULUMI_ACCESS_TOKEN" not in text
