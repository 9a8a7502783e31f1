"""Shared test harness: run the real program under Pulumi's mocks, a fresh runtime per run."""

from __future__ import annotations

import copy
import json
import os
import runpy
from pathlib import Path
from typing import Any

import pytest

from pipeline.offline import ProgramRun, run_program
from policies.record import Resource

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")
# ../shared/crds beside the checkout; absent in a user's fresh clone, where CRD tests skip.
CRDS_DIR = Path(os.environ.get("DATA_PIPELINE_CRDS", PROJECT_DIR.parent / "shared" / "crds"))

# The smallest valid stack: tests start from it and change one thing.
MINIMAL_CONFIG: dict[str, Any] = {
    "environment": "dev",
    "storage": {"classes": {"db": {"repl": 2}}},
    "pipelines": {"clicks": {"storage": {"db": "10Gi"}}},
}


def minimal_config(**changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(MINIMAL_CONFIG)
    config.update(copy.deepcopy(changes))
    return config


def run_with_config(
    raw: dict[str, Any],
    stack: str = "test",
    secret_keys: tuple[str, ...] = (),
    reveal_secrets: bool = False,
) -> ProgramRun:
    """Run ``pipeline/`` as the Pulumi CLI does, with ``raw`` as the data-pipeline: keys."""
    config = {
        f"data-pipeline:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in raw.items()
    }
    program_dir = str(PROJECT_DIR / "pipeline")
    return run_program(
        lambda: runpy.run_path(program_dir, run_name="__main__"),
        project="data-pipeline",
        stack=stack,
        config=config,
        secret_keys=[f"data-pipeline:{key}" for key in secret_keys],
        reveal_secrets=reveal_secrets,
    )


def of_kind(run: ProgramRun, kind: str) -> list[Resource]:
    """Registered resources whose type token ends in ``:<kind>``."""
    return [r for r in run.resources if r.type.rsplit(":", 1)[-1] == kind]


def by_name(resources: list[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}


@pytest.fixture(scope="session")
def stack_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each committed stack checked once with --out; the folder per stack."""
    from pipeline import check

    folders = {}
    for stack in STACKS:
        out = tmp_path_factory.mktemp(f"out-{stack}")
        assert check.main(["--stack", stack, "--out", str(out), "--json"]) == 0
        folders[stack] = out
    return folders


@pytest.fixture(scope="session")
def crds_dir() -> Path:
    if not CRDS_DIR.is_dir():
        pytest.skip(f"operator CRDs not found at {CRDS_DIR} (../shared is absent in this checkout)")
    return CRDS_DIR
