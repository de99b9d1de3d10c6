"""The dependency direction of the developers' guide, checked on every import statement in the tree.

platform/ (``nexustop``) wires everything and nothing imports it; shared_apps never imports
tenant_apps; tenants imports neither tenant_apps nor shared_apps (shared_apps.core builds on the tenant
model and routing, not the reverse) but the error body every answer shares; countries imports no other
project package but the money rule every input shares (``provider_plugins.interfaces.money``). Those
shared leaves are standard library only, so any layer (plugins too) can use them without a cycle. (Plugins importing
only the plugin interfaces and their own package: tests/gateways/test_plugin_boundaries.py.)

Tooling stays out of the product: no product package (nor ``nexustop``, ``manage.py``, ``gunicorn.conf.py``)
imports ``tests`` or the development package ``nexustop_dev`` (platform/nexustop_dev: ``make run``,
``make test``, the bench/fuzz/fault-injection commands), which imports no ``tests`` either; production
settings do not install it, and the image (.dockerignore, Dockerfile) ships neither.

Simulators load only where they run: ``provider_plugins.interfaces`` holds the contracts only, the simulators'
kit is ``provider_plugins.simkit``, which only a plugin's simulator imports (its ``simulator.py``, or every module
of its ``simulator/`` package: never its connectors, nor the product); importing a plugin package (and starting
Django with every app's modules) loads no simulator.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.source import import_statements

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = {"nexustop", "tenants", "countries", "shared_apps", "tenant_apps", "provider_plugins"}
# What only development and tests use: never imported by the product, never in the image.
TOOLING = {"tests", "nexustop_dev"}
PRODUCT_FOLDERS = ["platform/nexustop", "tenants", "countries", "shared_apps", "tenant_apps", "provider_plugins"]
# Leaf modules any layer may import: they import only the standard library (checked below).
SHARED_LEAVES = {"provider_plugins.interfaces.money", "shared_apps.core.error_shape"}


def imported_modules(path: Path) -> set[str]:
    """Every absolute import in ``path`` (also the ones inside functions), as a dotted module name."""
    found: set[str] = set()
    for node in import_statements(path):  # parsed once per process (tests/support/source.py)
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif node.level == 0 and node.module:
            found.add(node.module)
    return found


def imported_top_packages(path: Path) -> set[str]:
    """First component of every absolute import in ``path`` (also the ones inside functions)."""
    return {module.split(".")[0] for module in imported_modules(path)}


def offenders(folder: str, forbidden: set[str]) -> dict[str, set[str]]:
    bad: dict[str, set[str]] = {}
    paths = [ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))
    for path in paths:
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


@pytest.mark.parametrize("folder", [*PRODUCT_FOLDERS, "manage.py", "gunicorn.conf.py"])
def test_the_product_imports_neither_tests_nor_the_development_package(folder):
    assert offenders(folder, TOOLING) == {}


def test_the_development_package_does_not_import_tests():
    assert offenders("platform/nexustop_dev", {"tests"}) == {}


def test_the_development_package_is_a_django_app_with_the_tooling_commands():
    from django.core.management import get_commands

    commands = get_commands()
    tooling = {"bench_purchases", "bench_ledger", "bench_risk", "bench_migrate", "bench_tenant_scale",
               "bench_money_input", "bench_provisioning", "fuzz_api", "fault_inject"}
    assert {name: commands.get(name) for name in tooling} == dict.fromkeys(tooling, "nexustop_dev")
    product_commands = [path for folder in PRODUCT_FOLDERS for path in (ROOT / folder).rglob("management/commands/*.py")
                        if path.stem.startswith(("bench_", "fuzz_", "fault_"))]
    assert product_commands == []


@pytest.mark.parametrize("settings_module", ["nexustop.settings.prod", "nexustop.settings.build"])
def test_production_settings_do_not_install_the_development_package(settings_module):
    import json
    import subprocess
    import sys

    from tests.support.production import production_env

    code = ("import json, django; django.setup(); from django.conf import settings;"
            "print(json.dumps(settings.INSTALLED_APPS))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=production_env(DJANGO_SETTINGS_MODULE=settings_module))
    assert result.returncode == 0, result.stderr
    installed = json.loads(result.stdout.strip().splitlines()[-1])
    assert "tenant_apps.orders" in installed  # the real list
    assert [app for app in installed if app.split(".")[0] in TOOLING] == []


def test_the_image_ships_neither_tests_nor_the_development_package():
    import re

    from tests.infra.test_docker_context import build_context, is_ignored, load_dockerignore

    rules = load_dockerignore(ROOT / ".dockerignore")
    for path in ("tests/conftest.py", "tests/support/attack.py", "platform/nexustop_dev/__init__.py",
                 "platform/nexustop_dev/testrun.py", "platform/nexustop_dev/management/commands/bench_purchases.py"):
        assert (ROOT / path).exists(), path
        assert is_ignored(path, rules), f"{path} would be in the image"
    assert not is_ignored("platform/nexustop/wsgi.py", rules)
    shipped = build_context()
    assert [path for path in shipped if path.startswith(("tests/", "platform/nexustop_dev/"))] == []
    # The Dockerfile copies the (filtered) context only, never a path the context leaves out.
    dockerfile = (ROOT / "Dockerfile").read_text()
    sources = [source for line in re.findall(r"^(?:COPY|ADD)\s+(?!--from)(.+)$", dockerfile, re.MULTILINE)
               for source in line.split()[:-1] if not source.startswith("--")]
    assert sources and all(not source.startswith(("tests", "platform/nexustop_dev")) for source in sources), sources


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


# --- simulators ----------------------------------------------------------------------------------
PLUGINS_ROOT = ROOT / "provider_plugins"
PLUGIN_PACKAGES = sorted(path.parent.name for path in PLUGINS_ROOT.glob("*/__init__.py")
                         if path.parent.name not in {"interfaces", "simkit"})


def imported_modules_resolved(path: Path) -> set[str]:
    """Every import in ``path`` as an absolute dotted name, relative ones resolved against its package."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in import_statements(path):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        else:
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # ``from . import simulator``
    return found


def is_simulator_module(module: str) -> bool:
    """A plugin's simulator: ``provider_plugins.<plugin>.simulator`` or a module of that package."""
    parts = module.split(".")
    return len(parts) >= 3 and parts[0] == "provider_plugins" and parts[2] == "simulator"


def is_simulator_code(path: Path) -> bool:
    """A plugin's ``simulator.py``, or a module of its ``simulator/`` package."""
    parts = path.relative_to(PLUGINS_ROOT).with_suffix("").parts
    return len(parts) >= 2 and parts[1] == "simulator"


def _simulator_imports(modules: set[str]) -> set[str]:
    return {module for module in modules if module.startswith("provider_plugins.simkit") or is_simulator_module(module)}


def test_the_check_resolves_relative_imports():
    package = imported_modules_resolved(PLUGINS_ROOT / "vtpass" / "__init__.py")  # from . import protocol as p
    assert {"provider_plugins.vtpass.protocol", "provider_plugins.vtpass.connector"} <= package
    simulator = imported_modules_resolved(PLUGINS_ROOT / "vtpass" / "simulator.py")
    assert "provider_plugins.simkit.simulator" in simulator
    assert _simulator_imports({"provider_plugins.vtpass.simulator", "provider_plugins.simkit.local_server",
                               "provider_plugins.vtpass.connector"}) == {"provider_plugins.vtpass.simulator",
                                                                         "provider_plugins.simkit.local_server"}
    # A simulator package: its modules are simulator code, and importing one of them is importing a simulator.
    in_package = imported_modules_resolved(PLUGINS_ROOT / "paystack" / "simulator" / "transfers.py")
    assert {"provider_plugins.simkit.gateway_sim", "provider_plugins.paystack.simulator.base"} <= in_package
    assert _simulator_imports({"provider_plugins.paystack.simulator.base", "provider_plugins.paystack.connector"}) == {
        "provider_plugins.paystack.simulator.base"}
    assert is_simulator_code(PLUGINS_ROOT / "paystack" / "simulator" / "transfers.py")
    assert is_simulator_code(PLUGINS_ROOT / "paystack" / "simulator" / "__init__.py")
    assert is_simulator_code(PLUGINS_ROOT / "vtpass" / "simulator.py")
    assert not is_simulator_code(PLUGINS_ROOT / "paystack" / "connector.py")
    assert not is_simulator_code(PLUGINS_ROOT / "paystack" / "__init__.py")


def test_interfaces_hold_only_the_contracts():
    offending = {str(path.relative_to(ROOT)): hits for path in sorted((PLUGINS_ROOT / "interfaces").glob("*.py"))
                 if (hits := _simulator_imports(imported_modules_resolved(path)))}
    assert offending == {}
    assert not {"simulator.py", "gateway_sim.py", "local_server.py"} & {
        path.name for path in (PLUGINS_ROOT / "interfaces").glob("*.py")}


@pytest.mark.parametrize("package", PLUGIN_PACKAGES)
def test_only_a_plugins_simulator_imports_the_simulator_kit(package):
    offending = {str(path.relative_to(PLUGINS_ROOT)): hits for path in sorted((PLUGINS_ROOT / package).rglob("*.py"))
                 if not is_simulator_code(path) and (hits := _simulator_imports(imported_modules_resolved(path)))}
    assert offending == {}


def test_the_simulator_kit_imports_only_the_standard_library_requests_and_the_contracts():
    import sys

    for path in sorted((PLUGINS_ROOT / "simkit").glob("*.py")):
        outside = {module for module in imported_modules_resolved(path)
                   if module.split(".")[0] not in sys.stdlib_module_names and module.split(".")[0] != "requests"
                   and not module.startswith(("provider_plugins.simkit", "provider_plugins.interfaces"))}
        assert outside == set(), (path.name, outside)


@pytest.mark.parametrize("folder", PRODUCT_FOLDERS[:-1])  # provider_plugins: the rules above
def test_the_product_never_imports_the_simulator_kit(folder):
    offending = {str(path.relative_to(ROOT)) for path in sorted((ROOT / folder).rglob("*.py"))
                 if any(module.startswith("provider_plugins.simkit") for module in imported_modules(path))}
    assert offending == set()


LOADED_SIMULATORS = """
import json, sys
def simulators():
    return sorted(name for name in sys.modules if name.startswith("provider_plugins.")
                  and (name.split(".")[2:3] == ["simulator"] or name.startswith("provider_plugins.simkit")))
from provider_plugins.registry import all_plugins
plugins = all_plugins()
after_plugins = simulators()
import importlib, django
django.setup()
from django.apps import apps
for module in ("nexustop.urls_tenant", "nexustop.urls_public", "nexustop.celery"):
    importlib.import_module(module)
for app in apps.get_app_configs():
    for part in ("models", "services", "selectors", "tasks", "views", "urls", "admin", "signals", "receivers"):
        try:
            importlib.import_module(f"{app.name}.{part}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app.name}.{part}":
                raise
after_django = simulators()
loaded = sorted({plugin.load_simulator().__module__ for plugin in plugins if plugin.simulator})
print(json.dumps({"plugins": len(plugins), "after_plugins": after_plugins, "after_django": after_django,
                  "loaded": loaded}))
"""


def test_importing_the_plugins_and_the_product_loads_no_simulator():
    """Every plugin package imported (through the registry), then Django with every app's usual modules: no
    simulator module and nothing of the simulator kit in ``sys.modules``; ``load_simulator`` then loads each."""
    import json
    import subprocess
    import sys

    from tests.support.processes import child_env

    result = subprocess.run([sys.executable, "-c", LOADED_SIMULATORS], cwd=ROOT, env=child_env(), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plugins"] == len(PLUGIN_PACKAGES)
    assert seen["after_plugins"] == []
    assert seen["after_django"] == []
    assert seen["loaded"] == [f"provider_plugins.{package}.simulator" for package in PLUGIN_PACKAGES]
