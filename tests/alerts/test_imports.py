"""components/alerting stays plain Python, so the policy pack can read it without the Pulumi SDK."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import PROJECT_DIR

ALERTING = PROJECT_DIR / "components" / "alerting"


def test_alerting_modules_import_only_the_standard_library_and_each_other():
    imported = {}
    for path in sorted(ALERTING.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update({alias.name: path.name for alias in node.names})
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported[node.module] = path.name
    outside = {
        module: where
        for module, where in imported.items()
        if module.split(".")[0] not in sys.stdlib_module_names
        and not module.startswith("components.alerting")
        and module != "__future__"
    }
    assert outside == {}
    assert "components.alerting.promql" in imported  # the scan sees the modules' own imports


def test_importing_the_alerting_modules_loads_neither_pulumi_nor_the_program():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, components.alerting.kafka, components.alerting.portworx; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'pipeline'}))",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout == "[]\n"
