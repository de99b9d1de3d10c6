"""Module structure the next engineer can carry (issue 20), checked on the source tree:

* tasks import services, never the reverse: no ``services`` module (or module of a ``services`` package) of an
  app imports that app's ``tasks``, lazy imports inside functions included; services send their tasks by
  registered name (``shared_apps.core.enqueue``), and every literal name sent is a registered task
  (tests/foundation/test_import_cycles.py forbids any import cycle; tests/foundation/test_enqueue.py the
  mechanism);
* no module of the product packages grows past ``MAX_LINES`` (generated migrations aside): a module that big is
  split along its own sections, as ``tenant_apps/orders/services/`` was.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.source import import_statements

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("tenant_apps", "shared_apps", "tenants", "countries", "provider_plugins")
MAX_LINES = 700
# path -> why it may stay longer. Split the module instead whenever you can.
LONG_MODULE_EXCEPTIONS: dict[str, str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, also inside functions; ``from x import y``
    yields both ``x`` and ``x.y`` (``y`` may be a module: ``from . import tasks``)."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in import_statements(path):  # parsed once per process (tests/support/source.py)
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        else:
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _apps() -> list[Path]:
    """Every Django app of the product: tenants, and each package under tenant_apps and shared_apps."""
    return [ROOT / "tenants", *sorted(p.parent for p in (ROOT / "tenant_apps").glob("*/apps.py")),
            *sorted(p.parent for p in (ROOT / "shared_apps").glob("*/apps.py"))]


def _services_modules(app: Path) -> list[Path]:
    return [path for path in [app / "services.py", *sorted((app / "services").rglob("*.py"))] if path.exists()]


def services_importing_their_tasks() -> dict[str, list[str]]:
    bad: dict[str, list[str]] = {}
    for app in _apps():
        tasks = f"{_module_name(app)}.tasks"
        for path in _services_modules(app):
            hits = sorted(m for m in imported_modules(path) if m == tasks or m.startswith(f"{tasks}."))
            if hits:
                bad[str(path.relative_to(ROOT))] = hits
    return bad


def test_no_services_module_imports_its_apps_tasks():
    assert len(_apps()) > 20 and _services_modules(ROOT / "tenant_apps" / "orders")
    assert services_importing_their_tasks() == {}


def test_the_check_sees_lazy_and_relative_imports_of_the_tasks(tmp_path, monkeypatch):
    app = tmp_path / "tenant_apps" / "shop"
    (app / "services").mkdir(parents=True)
    (app / "apps.py").write_text("")
    (app / "services" / "__init__.py").write_text("")
    (app / "services" / "submit.py").write_text("def f():\n    from .. import tasks\n")
    (app / "services" / "sweep.py").write_text("def f():\n    from ..tasks import sweep_task\n")
    (app / "services" / "notify.py").write_text("from tenant_apps.shop.tasks import notify_task\n")
    (app / "services" / "fine.py").write_text("from tenant_apps.other import tasks\nfrom .. import taskset\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    monkeypatch.setattr(f"{__name__}._apps", lambda: [app])
    assert services_importing_their_tasks() == {
        "tenant_apps/shop/services/notify.py": ["tenant_apps.shop.tasks", "tenant_apps.shop.tasks.notify_task"],
        "tenant_apps/shop/services/submit.py": ["tenant_apps.shop.tasks"],
        "tenant_apps/shop/services/sweep.py": ["tenant_apps.shop.tasks", "tenant_apps.shop.tasks.sweep_task"],
    }


def _sent_task_names() -> dict[str, str]:
    """Task names the product sends by name: ``enqueue("<name>", ...)`` literals, and the purchase path's
    ``TaskName`` values (its ``_on_commit_task``)."""
    from tenant_apps.orders.services import TaskName

    names = {value: "tenant_apps.orders.services.TaskName" for key, value in vars(TaskName).items()
             if not key.startswith("_")}
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "enqueue" \
                        and node.args and isinstance(node.args[0], ast.Constant):
                    names[node.args[0].value] = str(path.relative_to(ROOT))
    return names


def test_every_task_sent_by_name_is_registered():
    from celery import current_app

    current_app.loader.import_default_modules()  # every app's tasks module, as a worker registers them
    sent = _sent_task_names()
    assert {"orders.requery", "bulk.process", "agents.deliver_webhook", "wallet.send_sms"} <= set(sent)
    assert {name: where for name, where in sent.items() if name not in current_app.tasks} == {}


def _line_count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def long_modules() -> dict[str, int]:
    found = {}
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # generated
            lines = _line_count(path)
            if lines > MAX_LINES:
                found[str(path.relative_to(ROOT))] = lines
    return found


def test_no_module_is_longer_than_the_limit():
    assert {path: lines for path, lines in long_modules().items() if path not in LONG_MODULE_EXCEPTIONS} == {}


def test_every_long_module_exception_is_still_needed():
    assert set(LONG_MODULE_EXCEPTIONS) <= set(long_modules()), "a listed module is short enough now: drop it"
