""".ci/run installs promtool only when it is missing and it may, then runs the tests.

The script runs against stand-ins for id, apt-get, make and promtool that record their calls.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import PROJECT_DIR

CI_RUN = PROJECT_DIR / ".ci" / "run"


def _stand_in(bin_dir: Path, name: str, log: Path, output: str = "") -> None:
    script = bin_dir / name
    script.write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\nprintf "{output}"\n')
    script.chmod(0o755)


def _run_ci(tmp_path: Path, uid: int, promtool_installed: bool) -> tuple[list[str], str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    log.touch()
    (bin_dir / "dirname").symlink_to(shutil.which("dirname"))
    _stand_in(bin_dir, "id", log, output=str(uid))
    _stand_in(bin_dir, "apt-get", log)
    _stand_in(bin_dir, "make", log)
    if promtool_installed:
        _stand_in(bin_dir, "promtool", log)
    result = subprocess.run(
        ["/bin/bash", str(CI_RUN)],
        env={"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/")},
        capture_output=True,
        text=True,
        check=True,
    )
    calls = [line for line in log.read_text().splitlines() if not line.startswith("id ")]
    return calls, result.stderr


def test_as_root_without_promtool_it_installs_the_prometheus_package(tmp_path: Path):
    calls, _ = _run_ci(tmp_path, uid=0, promtool_installed=False)
    assert calls == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends prometheus",
        "make test",
    ]


def test_with_promtool_present_it_installs_nothing(tmp_path: Path):
    calls, _ = _run_ci(tmp_path, uid=0, promtool_installed=True)
    assert calls == ["make test"]


def test_without_root_it_says_the_alert_tests_will_skip(tmp_path: Path):
    calls, stderr = _run_ci(tmp_path, uid=1000, promtool_installed=False)
    assert calls == ["make test"]
    assert stderr == (
        "promtool not found and cannot install it (needs root and apt-get): "
        "the alerting rule tests will be skipped\n"
    )
