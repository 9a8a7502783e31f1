"""What the shipped packages import is what pyproject.toml installs without the test extras."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import PROJECT_DIR

SHIPPED = ("pipeline", "components", "policies")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_level_modules() -> set[str]:
    modules = set()
    for package in SHIPPED:
        for path in (PROJECT_DIR / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    return modules - set(SHIPPED) - set(sys.stdlib_module_names) - {"__future__"}


def test_every_third_party_import_is_a_runtime_dependency():
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    declared = {
        _canonical(re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0]) for d in project["dependencies"]
    }
    distributions = packages_distributions()
    imported = _imported_top_level_modules()
    assert imported  # the scan found the SDK imports at least
    missing = {
        module: distributions.get(module)
        for module in imported
        if not {_canonical(d) for d in distributions.get(module, [module])} & declared
    }
    assert missing == {}
