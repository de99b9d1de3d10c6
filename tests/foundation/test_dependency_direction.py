"""The dependency direction of the developers' guide, checked on every import statement in the tree.

platform/ (``nexustop``) wires everything and nothing imports it; shared_apps never imports
tenant_apps; tenants imports neither tenant_apps nor shared_apps (shared_apps.core builds on the tenant
model and routing, not the reverse) but the error body every answer shares; countries imports no other
project package but the money rule every input shares (``provider_plugins.interfaces.money``). Those
shared leaves are standard library only, so any layer (plugins too) can use them without a cycle. (Plugins importing
only the plugin interfaces and their own package: tests/gateways/test_plugin_boundaries.py.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = {"nexustop", "tenants", "countries", "shared_apps", "tenant_apps", "provider_plugins"}
# Leaf modules any layer may import: they import only the standard library (checked below).
SHARED_LEAVES = {"provider_plugins.interfaces.money", "shared_apps.core.error_shape"}


def imported_modules(path: Path) -> set[str]:
    """Every absolute import in ``path`` (also the ones inside functions), as a dotted module name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def imported_top_packages(path: Path) -> set[str]:
    """First component of every absolute import in ``path`` (also the ones inside functions)."""
    return {module.split(".")[0] for module in imported_modules(path)}


def offenders(folder: str, forbidden: set[str]) -> dict[str, set[str]]:
    bad: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        hits = {module.split(".")[0] for module in imported_modules(path) - SHARED_LEAVES} & forbidden
        if hits:
            bad[str(path.relative_to(ROOT))] = hits
    return bad


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("shared_apps", {"tenant_apps", "nexustop"}),
    ("countries", PROJECT_PACKAGES - {"countries"}),
    ("tenants", {"tenant_apps", "nexustop", "shared_apps"}),
    ("tenant_apps", {"nexustop"}),
    ("provider_plugins", {"nexustop", "tenants", "countries", "shared_apps", "tenant_apps"}),
])
def test_no_import_against_the_dependency_direction(folder, forbidden):
    assert offenders(folder, forbidden) == {}


def test_the_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from tenant_apps.accounts.models import User\n    import nexustop.celery\n")
    assert imported_top_packages(sample) == {"tenant_apps", "nexustop"}


def test_shared_leaves_import_only_the_standard_library():
    import sys

    for module in SHARED_LEAVES:
        path = ROOT / (module.replace(".", "/") + ".py")
        outside = {name for name in imported_top_packages(path) if name not in sys.stdlib_module_names}
        assert outside == set(), (module, outside)
