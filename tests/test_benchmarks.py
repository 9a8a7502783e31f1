"""The benchmark's parts: synthetic stacks, the SDK floors and the targets' verdicts."""

from __future__ import annotations

import collections
import json
import sys

import pytest
import yaml

from pipeline.config import parse_config
from pipeline.offline import run_program
from tests.conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "benchmarks"))

import offline_check
import sdk_baseline

PROD = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())


def test_a_synthetic_stack_clones_prods_pipelines_in_turn_and_is_valid():
    document = offline_check.synthetic_config(PROD, 5)
    config = {key.split(":", 1)[1]: value for key, value in document["config"].items()}
    pipelines = config["pipelines"]
    sources = sorted(PROD["config"]["data-pipeline:pipelines"])
    assert list(pipelines) == [f"{sources[i % len(sources)]}-{i + 1}" for i in range(5)]
    for index, settings in enumerate(pipelines.values()):
        assert settings == PROD["config"]["data-pipeline:pipelines"][sources[index % 2]]
    assert {key: value for key, value in config.items() if key != "pipelines"} == {
        key.split(":", 1)[1]: value
        for key, value in PROD["config"].items()
        if key != "data-pipeline:pipelines"
    }
    parse_config(config)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("kubernetes:apps/v1:Deployment", "pulumi_kubernetes.apps.v1.Deployment"),
        ("kubernetes:rbac.authorization.k8s.io/v1:Role", "pulumi_kubernetes.rbac.v1.Role"),
        ("kubernetes:helm.sh/v4:Chart", "pulumi_kubernetes.helm.v4.Chart"),
        ("aws:kms/key:Key", "pulumi_aws.kms.key"),
        ("random:index/randomPassword:RandomPassword", "pulumi_random.random_password"),
        ("kubernetes:kafka.strimzi.io/v1:Kafka", None),
        ("kubernetes:monitoring.coreos.com/v1:PodMonitor", None),
    ],
)
def test_the_typed_floor_finds_each_sdks_own_class(token, expected):
    found = sdk_baseline.sdk_class(token)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.__module__.startswith(expected.rsplit(".", 1)[0])
        assert found.__name__ == token.rsplit(":", 1)[-1]


@pytest.mark.parametrize("floor", sorted(sdk_baseline.FLOORS))
def test_each_floor_registers_exactly_what_the_check_recorded(floor, stack_outputs):
    entries = json.loads((stack_outputs["prod"] / "resources.json").read_text())
    run = run_program(
        lambda: sdk_baseline.register(entries, floor),
        project="data-pipeline",
        stack="bench",
        config={},
    )
    assert collections.Counter(r.type for r in run.resources) == collections.Counter(
        entry["type"] for entry in entries
    )
    parents = {r.name: r.component for r in run.resources}
    assert parents == {entry["name"]: entry["component"] for entry in entries}


def _result(pipelines: int, ratio: float, ms: float, policy: float, rss: float) -> dict:
    return {
        "pipelines": pipelines,
        "check_to_typed_floor_ratio": ratio,
        "check_ms_per_resource": ms,
        "policy_evaluation_ms_per_resource": policy,
        "check_peak_rss_mib": rss,
    }


def test_targets_are_judged_per_row_and_across_sizes():
    results = {
        "prod": _result(2, 1.2, 10.0, 0.1, 301),
        "pipelines-1": _result(1, 1.6, 10.0, 0.6, 100),
        "pipelines-50": _result(50, 1.1, 12.5, 0.1, 200),
    }
    verdicts = offline_check.judge(results)
    assert verdicts == {
        "prod": {"check_to_typed_floor": True, "policy_evaluation": True, "peak_rss": False},
        "pipelines-1": {"check_to_typed_floor": False, "policy_evaluation": False},
        "pipelines-50": {"check_to_typed_floor": True, "policy_evaluation": True, "scale": False},
    }
    assert results["pipelines-50"]["ms_per_resource_vs_smallest_synthetic"] == 1.25
