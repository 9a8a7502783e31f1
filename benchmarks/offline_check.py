"""Benchmark of the offline check against the SDK baseline: a table per stack.

    python benchmarks/offline_check.py [--runs N] [STACK ...]

For each stack: the whole check as a user runs it (process start to exit, policies and --out
files included) against registering the same resources with nothing but the SDK's classes under
the same mocks (benchmarks/sdk_baseline.py): wall time, CPU time, their ratios, and peak memory
of each process. Medians of N runs. Exit 1 when a wall-time ratio misses the 1.5x target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5


def _run(command: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one process running ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def _median_of(command: list[str], runs: int) -> dict[str, float]:
    samples = [_run(command) for _ in range(runs)]
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def measure(stack: str, runs: int, out: Path) -> tuple[dict[str, float], dict[str, float]]:
    check = [sys.executable, "-m", "pipeline.check", "--stack", stack, "--out", str(out)]
    baseline = [sys.executable, "benchmarks/sdk_baseline.py", str(out / "resources.json")]
    _run(check)  # warms the file cache and writes resources.json for the baseline
    return _median_of(check, runs), _median_of(baseline, runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", default=["dev", "staging", "prod"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(
        "| stack | check wall (ms) | SDK wall (ms) | wall ratio | check CPU (ms) | SDK CPU (ms) "
        f"| CPU ratio | check RSS (MiB) | SDK RSS (MiB) |  target <= {TARGET_RATIO} |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for stack in args.stacks:
            check, sdk = measure(stack, args.runs, Path(tmp) / stack)
            wall_ratio, cpu_ratio = check["wall"] / sdk["wall"], check["cpu"] / sdk["cpu"]
            worst = max(worst, wall_ratio)
            print(
                f"| {stack} | {check['wall'] * 1000:.0f} | {sdk['wall'] * 1000:.0f} | "
                f"{wall_ratio:.2f} | {check['cpu'] * 1000:.0f} | {sdk['cpu'] * 1000:.0f} | "
                f"{cpu_ratio:.2f} | {check['rss']:.0f} | {sdk['rss']:.0f} | "
                f"{'met' if wall_ratio <= TARGET_RATIO else 'MISSED'} |"
            )
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
