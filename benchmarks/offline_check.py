"""Benchmark of the offline check: speed and scale against the SDK's floors, and memory.

    python benchmarks/offline_check.py [--runs N] [--sizes 1,5,...] [--stacks dev,...]
                                       [--results FILE]

Rows: each committed stack, then synthetic stacks of N pipelines, each pipeline a clone of one of
prod's pipelines in turn (whatever sections it holds) under a name of its own, hence a namespace
of its own; the rest of the stack is prod's. Each row is timed as whole processes, medians of
``--runs`` runs after one warm-up, interleaved so that a busy machine slows all three alike:

- the offline check as a user runs it (``python -m pipeline.check --out``: config, program,
  policies, report and files);
- the typed floor: the same resources through the SDK's own classes (benchmarks/sdk_baseline.py);
- the bare floor: the same resources as plain ``pulumi.CustomResource``s.

Policy evaluation is timed in this process, on the resources the program registers, median of the
same number of calls. Prints a Markdown table, writes every number and the machine to ``--results``
(default benchmarks/results.json) and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import copy
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline import check
from policies.engine import evaluate, load_pack_config, resolve
from policies.pack import POLICIES

PROJECT_DIR = Path(__file__).resolve().parent.parent

RESULTS = PROJECT_DIR / "benchmarks" / "results.json"
STACKS = ("dev", "staging", "prod")
SIZES = (1, 5, 10, 25, 50)
PIPELINES_KEY = "data-pipeline:pipelines"
# The stack whose settings the synthetic stacks copy, and which the memory target is about.
TEMPLATE_STACK = "prod"
PACKAGES = (
    "pulumi",
    "pulumi-kubernetes",
    "pulumi-aws",
    "pulumi-random",
    "pulumi-policy",
    "pydantic",
    "PyYAML",
)

MAX_CHECK_TO_TYPED_FLOOR = 1.5
MAX_SCALE_GROWTH = 1.2
MAX_POLICY_MS_PER_RESOURCE = 0.5
MAX_TEMPLATE_RSS_MIB = 300


@dataclass(frozen=True)
class Row:
    """One stack to measure: its name, its stack file and its policy config."""

    name: str
    stack_file: Path
    policy_config: Path
    pipelines: int


def synthetic_config(template: dict[str, Any], count: int) -> dict[str, Any]:
    """``template``'s stack file with ``count`` pipelines, cloned from its pipelines in turn.

    Each clone's name is its source's with a number; per-pipeline quotas travel with the clone,
    so each clone's namespace gets what its source's had.
    """
    sources = sorted(template["config"][PIPELINES_KEY].items())
    pipelines = {}
    for index in range(count):
        name, settings = sources[index % len(sources)]
        pipelines[f"{name[:26]}-{index + 1}"] = copy.deepcopy(settings)
    document = copy.deepcopy(template)
    document["config"][PIPELINES_KEY] = pipelines
    return document


def _rows(stacks: Sequence[str], sizes: Sequence[int], folder: Path) -> list[Row]:
    policy_configs = PROJECT_DIR / "policies" / "config"
    rows = []
    for stack in stacks:
        stack_file = PROJECT_DIR / f"Pulumi.{stack}.yaml"
        pipelines = yaml.safe_load(stack_file.read_text())["config"][PIPELINES_KEY]
        rows.append(Row(stack, stack_file, policy_configs / f"{stack}.json", len(pipelines)))
    template = yaml.safe_load((PROJECT_DIR / f"Pulumi.{TEMPLATE_STACK}.yaml").read_text())
    for size in sizes:
        stack_file = folder / f"Pulumi.pipelines-{size}.yaml"
        stack_file.write_text(yaml.safe_dump(synthetic_config(template, size), sort_keys=False))
        rows.append(
            Row(f"pipelines-{size}", stack_file, policy_configs / f"{TEMPLATE_STACK}.json", size)
        )
    return rows


def _process(command: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one process running ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited {code}:\n{stderr.decode()}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def _medians(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}


def _policy_seconds(row: Row, runs: int) -> float:
    """Median seconds of one evaluation of the pack on what the program registers for ``row``."""
    config, secret_keys = check.read_stack_file(row.stack_file, check._project_name())
    resources = check._run_stack(row.name, config, secret_keys).resources
    policies = resolve(POLICIES, load_pack_config(row.policy_config))
    evaluate(policies, resources)  # warm-up: lazy imports, caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        evaluate(policies, resources)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(row: Row, runs: int, out: Path) -> dict[str, Any]:
    python = sys.executable
    check_command = [
        *(python, "-m", "pipeline.check", "--stack", row.name),
        *("--stack-file", str(row.stack_file), "--policy-config", str(row.policy_config)),
        *("--out", str(out)),
    ]
    resources = out / "resources.json"
    floors = {
        floor: [python, "benchmarks/sdk_baseline.py", floor, str(resources)]
        for floor in ("typed", "bare")
    }
    commands = {"check": check_command, **floors}
    _process(check_command)  # warm-up; writes resources.json for the floors
    for floor in floors.values():
        _process(floor)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(_process(command))
    timed = {name: _medians(runs_of) for name, runs_of in samples.items()}
    count = len(json.loads(resources.read_text()))
    policy = _policy_seconds(row, runs)
    checked = timed["check"]
    return {
        "pipelines": row.pipelines,
        "resources": count,
        "check_wall_seconds": checked["wall"],
        "check_cpu_seconds": checked["cpu"],
        "typed_floor_wall_seconds": timed["typed"]["wall"],
        "bare_floor_wall_seconds": timed["bare"]["wall"],
        "check_to_typed_floor_ratio": checked["wall"] / timed["typed"]["wall"],
        "check_to_bare_floor_ratio": checked["wall"] / timed["bare"]["wall"],
        "check_to_typed_floor_cpu_ratio": checked["cpu"] / timed["typed"]["cpu"],
        "check_ms_per_resource": checked["wall"] * 1000 / count,
        "policy_evaluation_ms": policy * 1000,
        "policy_evaluation_ms_per_resource": policy * 1000 / count,
        "check_peak_rss_mib": checked["rss"],
        "typed_floor_peak_rss_mib": timed["typed"]["rss"],
    }


def judge(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, bool]]:
    """Per row, each target that applies to it: met or not. The largest synthetic row also gets
    its time per resource over the smallest's (``ms_per_resource_vs_smallest_synthetic``)."""
    verdicts: dict[str, dict[str, bool]] = {}
    synthetic = sorted(
        (r["pipelines"], name) for name, r in results.items() if name.startswith("pipelines-")
    )
    for name, result in results.items():
        verdicts[name] = {
            "check_to_typed_floor": result["check_to_typed_floor_ratio"]
            <= MAX_CHECK_TO_TYPED_FLOOR,
            "policy_evaluation": result["policy_evaluation_ms_per_resource"]
            <= MAX_POLICY_MS_PER_RESOURCE,
        }
    if TEMPLATE_STACK in results:
        verdicts[TEMPLATE_STACK]["peak_rss"] = (
            results[TEMPLATE_STACK]["check_peak_rss_mib"] <= MAX_TEMPLATE_RSS_MIB
        )
    if len(synthetic) > 1:
        (_, smallest), (_, largest) = synthetic[0], synthetic[-1]
        growth = (
            results[largest]["check_ms_per_resource"] / results[smallest]["check_ms_per_resource"]
        )
        results[largest]["ms_per_resource_vs_smallest_synthetic"] = growth
        verdicts[largest]["scale"] = growth <= MAX_SCALE_GROWTH
    return verdicts


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {name: importlib.metadata.version(name) for name in PACKAGES},
        "load_average_1m_at_start": os.getloadavg()[0],
    }


_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any], dict[str, bool]], str]], ...] = (
    ("resources", lambda r, _: str(r["resources"])),
    ("check (s)", lambda r, _: f"{r['check_wall_seconds']:.2f}"),
    ("typed floor (s)", lambda r, _: f"{r['typed_floor_wall_seconds']:.2f}"),
    ("bare floor (s)", lambda r, _: f"{r['bare_floor_wall_seconds']:.2f}"),
    ("check/typed", lambda r, _: f"{r['check_to_typed_floor_ratio']:.2f}"),
    ("check/bare", lambda r, _: f"{r['check_to_bare_floor_ratio']:.2f}"),
    ("ms/resource", lambda r, _: f"{r['check_ms_per_resource']:.1f}"),
    ("policy ms/resource", lambda r, _: f"{r['policy_evaluation_ms_per_resource']:.3f}"),
    ("peak RSS (MiB)", lambda r, _: f"{r['check_peak_rss_mib']:.0f}"),
    (f"check/typed ≤ {MAX_CHECK_TO_TYPED_FLOOR}", lambda _, v: _verdict(v, "check_to_typed_floor")),
    (f"policy ≤ {MAX_POLICY_MS_PER_RESOURCE} ms", lambda _, v: _verdict(v, "policy_evaluation")),
    (f"RSS ≤ {MAX_TEMPLATE_RSS_MIB} MiB ({TEMPLATE_STACK})", lambda _, v: _verdict(v, "peak_rss")),
    (
        f"ms/resource ≤ {MAX_SCALE_GROWTH}x smallest",
        lambda r, v: (
            f"{r['ms_per_resource_vs_smallest_synthetic']:.2f}x {_verdict(v, 'scale')}"
            if "scale" in v
            else "—"
        ),
    ),
)


def _verdict(verdicts: dict[str, bool], target: str) -> str:
    if target not in verdicts:
        return "—"
    return "pass" if verdicts[target] else "FAIL"


def table(results: dict[str, dict[str, Any]], verdicts: dict[str, dict[str, bool]]) -> str:
    lines = [
        "| stack | " + " | ".join(title for title, _ in _COLUMNS) + " |",
        "|---|" + "---:|" * len(_COLUMNS),
    ]
    for name, result in results.items():
        cells = [show(result, verdicts[name]) for _, show in _COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def _names(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per row (default 5)")
    parser.add_argument(
        "--sizes",
        type=_numbers,
        default=list(SIZES),
        help="pipelines of the synthetic stacks, comma-separated (default 1,5,10,25,50; '' none)",
    )
    parser.add_argument(
        "--stacks",
        type=_names,
        default=list(STACKS),
        help="committed stacks, comma-separated (default dev,staging,prod; '' none)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    about = machine()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for row in _rows(args.stacks, args.sizes, Path(tmp)):
            print(f"measuring {row.name} ...", file=sys.stderr, flush=True)
            results[row.name] = measure(row, args.runs, Path(tmp) / row.name)
    verdicts = judge(results)
    about["load_average_1m_at_end"] = os.getloadavg()[0]
    met = all(all(v.values()) for v in verdicts.values())
    document = {
        "machine": about,
        "runs": args.runs,
        "benchmark_seconds": time.perf_counter() - started,
        "targets": {
            "check_to_typed_floor_ratio_at_most": MAX_CHECK_TO_TYPED_FLOOR,
            "ms_per_resource_largest_vs_smallest_synthetic_at_most": MAX_SCALE_GROWTH,
            "policy_evaluation_ms_per_resource_at_most": MAX_POLICY_MS_PER_RESOURCE,
            f"{TEMPLATE_STACK}_peak_rss_mib_at_most": MAX_TEMPLATE_RSS_MIB,
        },
        "stacks": {
            name: {**result, "targets_met": verdicts[name]} for name, result in results.items()
        },
        "all_targets_met": met,
    }
    args.results.write_text(json.dumps(document, indent=2) + "\n")
    print(table(results, verdicts))
    print(
        f"\n{about['cores']} cores ({about['cpu']}), Python {about['python']}, "
        + ", ".join(f"{name} {version}" for name, version in about["packages"].items())
        + f"; medians of {args.runs} runs after a warm-up; load average "
        f"{about['load_average_1m_at_start']:.2f} → {about['load_average_1m_at_end']:.2f}; "
        f"{document['benchmark_seconds']:.0f} s in all. Results: {args.results}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
