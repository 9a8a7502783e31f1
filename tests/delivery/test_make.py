"""`make preview` / `make up`: the policy pack with the stack's config, and a guard on prod."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR


@pytest.fixture
def fake_pulumi(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in `pulumi` that records its arguments instead of deploying."""
    calls = tmp_path / "calls"
    script = tmp_path / "pulumi"
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    script.chmod(0o755)
    return script, calls


def make(*args: str, pulumi: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    return subprocess.run(
        ["make", "--no-print-directory", *args, f"PULUMI={pulumi}"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env=env,
        check=False,
    )


def test_preview_runs_the_policy_pack_with_the_stack_config(fake_pulumi):
    pulumi, calls = fake_pulumi
    result = make("preview", "STACK=staging", pulumi=pulumi)
    assert result.returncode == 0, result.stderr
    assert "Result: passed" in result.stdout  # the offline check ran first
    assert calls.read_text().split() == [
        "preview",
        "--stack",
        "staging",
        "--policy-pack",
        "policies",
        "--policy-pack-config",
        "policies/config/staging.json",
    ]


def test_up_runs_the_policy_pack_with_the_stack_config(fake_pulumi):
    pulumi, calls = fake_pulumi
    result = make("up", "STACK=dev", pulumi=pulumi)
    assert result.returncode == 0, result.stderr
    assert calls.read_text().split() == [
        "up",
        "--stack",
        "dev",
        "--policy-pack",
        "policies",
        "--policy-pack-config",
        "policies/config/dev.json",
    ]


def test_up_refuses_prod_without_confirmation(fake_pulumi):
    pulumi, calls = fake_pulumi
    result = make("up", "STACK=prod", pulumi=pulumi)
    assert result.returncode != 0
    assert "refusing to deploy prod: run 'make up STACK=prod CONFIRM=prod'" in result.stderr
    assert not calls.exists()


def test_up_deploys_prod_once_confirmed(fake_pulumi):
    pulumi, calls = fake_pulumi
    result = make("up", "STACK=prod", "CONFIRM=prod", pulumi=pulumi)
    assert result.returncode == 0, result.stderr
    assert calls.read_text().split()[:3] == ["up", "--stack", "prod"]


def test_up_stops_before_pulumi_when_the_offline_check_fails(fake_pulumi, tmp_path):
    pulumi, calls = fake_pulumi
    result = make("up", "STACK=nosuch", pulumi=pulumi)
    assert result.returncode != 0
    assert "no stack file Pulumi.nosuch.yaml" in result.stderr
    assert not calls.exists()
