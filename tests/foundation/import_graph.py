"""The project's import graph, read statically, and its cycles (strongly connected components).

Every ``.py`` module under the project packages is parsed; every import statement counts, the
module-level ones and the lazy ones inside functions alike (a lazy import still ties the two
modules together: it only moves the failure from import time to call time). Relative imports are
resolved against the importing module. ``from pkg import name`` is an import of ``pkg.name`` when
that is a module of the tree, else of ``pkg`` itself. Only edges between modules of the tree are
kept (the standard library and third-party packages are leaves).

Run it to print the cycles::

    python -m tests.foundation.import_graph
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

from tests.support.source import import_statements

ROOT = Path(__file__).resolve().parents[2]
# Folder on disk -> the dotted prefix of its modules (platform/ is on sys.path, so its package is ``nexustop``).
SOURCE_FOLDERS = {
    "tenants": "tenants",
    "countries": "countries",
    "shared_apps": "shared_apps",
    "tenant_apps": "tenant_apps",
    "provider_plugins": "provider_plugins",
    "platform/nexustop": "nexustop",
    "platform/nexustop_dev": "nexustop_dev",
}


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the project packages."""
    modules: dict[str, Path] = {}
    for folder, prefix in SOURCE_FOLDERS.items():
        base = root / folder
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([prefix, *parts])] = path
    return modules


def _absolute(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module a ``from <level dots><target> import`` of ``module`` names."""
    if level == 0:
        return target or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


def imports_of(module: str, path: Path, known: Iterable[str]) -> set[str]:
    """The modules of ``known`` that ``module`` (the file ``path``) imports, at any depth of its code."""
    known = set(known)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in import_statements(path):  # parsed once per process (tests/support/source.py)
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        else:
            source = _absolute(module, is_package, node.level, node.module)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in known else source)
    # ``import a.b.c`` where only ``a.b`` is ours still ties us to ``a.b``.
    resolved: set[str] = set()
    for name in found:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            resolved.add(name)
    return resolved


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = module_files(root)
    return {module: imports_of(module, path, files) for module, path in files.items()}


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph is deep enough to hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def cycles(graph: dict[str, set[str]] | None = None) -> list[list[str]]:
    """The strongly connected components with more than one module, largest first."""
    graph = import_graph() if graph is None else graph
    found = [component for component in strongly_connected_components(graph) if len(component) > 1]
    return sorted(found, key=lambda component: (-len(component), component))


def package_of(module: str) -> str:
    """The app a module belongs to: ``shared_apps.core``, ``tenant_apps.wallet``, ``provider_plugins.vtpass``;
    ``tenants``, ``countries`` and ``nexustop`` are one package each."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in {"shared_apps", "tenant_apps", "provider_plugins"} else parts[0]


def package_graph(graph: dict[str, set[str]], leaves: frozenset[str] = frozenset()) -> dict[str, set[str]]:
    """The graph between packages. Imports of ``leaves`` (modules importing only the standard library) are left
    out: a leaf cannot close a cycle, and importing it does not import the rest of its package."""
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        edges = packages.setdefault(package_of(module), set())
        edges.update(package_of(target) for target in targets - leaves if package_of(target) != package_of(module))
    return packages


def main() -> int:
    graph = import_graph()
    found = cycles(graph)
    print(f"{len(graph)} modules, {sum(len(edges) for edges in graph.values())} import edges, {len(found)} cycles")
    for component in found:
        print(f"\n{len(component)} modules:")
        members = set(component)
        for module in component:
            inside = sorted(graph[module] & members)
            print(f"  {module} -> {', '.join(inside)}")
    from tests.foundation.test_dependency_direction import SHARED_LEAVES

    knots = cycles(package_graph(graph, frozenset(SHARED_LEAVES)))
    print(f"\nbetween packages (imports of the standard-library-only shared leaves aside): {len(knots)} cycles")
    for component in knots:
        print(f"  {len(component)} packages: {', '.join(component)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
