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


def _imports(path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_data_flows_one_way_components_never_import_the_program():
    # stack file -> config -> composition -> components -> resources: a component that read the
    # config would tie every element to the stack file's shape.
    offenders = {
        str(path.relative_to(PROJECT_DIR)): sorted(
            m for m in _imports(path) if m.split(".")[0] == "pipeline"
        )
        for path in (PROJECT_DIR / "components").rglob("*.py")
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def _program_or_sdk(module: str) -> bool:
    top = module.split(".")[0]
    return top in ("pipeline", "pulumi", "pulumi_kubernetes", "pulumi_aws")


def test_policies_read_resources_not_the_program():
    # The pack judges what any program registered; it loads neither ours nor the Pulumi SDK.
    offenders = {
        str(path.relative_to(PROJECT_DIR)): sorted(filter(_program_or_sdk, _imports(path)))
        for path in (PROJECT_DIR / "policies").rglob("*.py")
    }
    assert {path: found for path, found in offenders.items() if found} == {}
