"""No import cycles between the project's modules (tests/foundation/import_graph.py reads every import statement,
the lazy ones inside functions too).

A lazy import inside a function is how a cycle usually hides (``from .tasks import x`` in a service whose
task imports it back): it counts here like any other. Services enqueue tasks by name
(``shared_apps.core.enqueue``), so a ``tasks`` module imports its services and never the reverse.
"""

from __future__ import annotations

from pathlib import Path

from tests.foundation.import_graph import cycles, import_graph, package_graph
from tests.foundation.test_dependency_direction import SHARED_LEAVES

# Cycles tolerated for now, each named in full. Remove an entry when its cycle is broken.
ALLOWED_CYCLES: set[frozenset[str]] = set()


def test_no_import_cycle_between_modules():
    found = [component for component in cycles() if frozenset(component) not in ALLOWED_CYCLES]
    assert found == [], "import cycles (python -m tests.foundation.import_graph shows the edges)"


def test_tenants_and_countries_are_in_no_package_cycle():
    """tenants and countries sit under shared_apps and tenant_apps: no import path leads back to them (the
    error body tenants answers with is a standard-library-only leaf of shared_apps.core)."""
    knots = cycles(package_graph(import_graph(), frozenset(SHARED_LEAVES)))
    assert [knot for knot in knots if {"tenants", "countries"} & set(knot)] == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_graph_sees_lazy_relative_and_from_package_imports(tmp_path):
    root = _tree(tmp_path, {
        "tenant_apps/__init__.py": "",
        "tenant_apps/shop/__init__.py": "",
        "tenant_apps/shop/services.py": "def go():\n    from . import tasks\n",
        "tenant_apps/shop/tasks.py": "from .services import go\n",
        "tenant_apps/shop/views.py": "from tenant_apps.shop import services, helper\nimport tenant_apps.shop.models\n",
        "tenant_apps/shop/models.py": "from ..shop.sub import leaf\n",
        "tenant_apps/shop/sub/__init__.py": "from .. import models\n",
        "tenant_apps/shop/sub/leaf.py": "import os\n",
    })
    graph = import_graph(root)
    assert graph["tenant_apps.shop.services"] == {"tenant_apps.shop.tasks"}  # lazy, relative
    assert graph["tenant_apps.shop.tasks"] == {"tenant_apps.shop.services"}
    # ``from pkg import module`` is the module; ``from pkg import name`` (not a module) is the package.
    assert graph["tenant_apps.shop.views"] == {"tenant_apps.shop.services", "tenant_apps.shop",
                                               "tenant_apps.shop.models"}
    assert graph["tenant_apps.shop.models"] == {"tenant_apps.shop.sub.leaf"}
    assert graph["tenant_apps.shop.sub"] == {"tenant_apps.shop.models"}  # a package's __init__, level 2
    assert cycles(graph) == [["tenant_apps.shop.services", "tenant_apps.shop.tasks"]]
