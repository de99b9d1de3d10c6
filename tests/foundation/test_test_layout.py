"""How the suite shares fixtures: through ``pytest_plugins`` (tests/fixtures, registered once in tests/conftest.py),
never by importing a conftest or a test.

Importing a fixture from another folder's conftest registers it again under the importing module (a second copy
of a session-scoped simulator, autouse fixtures switched on where nobody asked); importing a test runs it again in
every importing module (``test_database_is_set_up`` once ran in 17 modules to work around ``live_db``).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _modules():
    for path in sorted(TESTS.rglob("*.py")):
        yield path.relative_to(TESTS.parent).as_posix(), ast.parse(path.read_text(), filename=str(path))


def _imports(tree: ast.AST):
    """(module, names) of every import in ``tree``, also inside functions; relative imports keep their dots."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or ""), [alias.name for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args \
                and isinstance(node.args[0], ast.Constant):
            yield str(node.args[0].value), []


def test_no_module_imports_a_conftest():
    offenders = sorted(
        f"{path}: {module} {names or ''}".rstrip()
        for path, tree in _modules()
        for module, names in _imports(tree)
        if module.split(".")[-1] == "conftest" or "conftest" in names
    )
    assert offenders == [], "fixtures come from tests/fixtures (pytest_plugins), helpers from helper modules:\n" + \
        "\n".join(offenders)


def test_no_module_imports_a_test():
    offenders = sorted(
        f"{path}: {name} from {module}"
        for path, tree in _modules()
        for module, names in _imports(tree)
        for name in names
        if name.startswith("test_")
    )
    assert offenders == [], "\n".join(offenders)


def test_shared_fixtures_are_registered_once_and_none_is_autouse():
    conftest = ast.parse((TESTS / "conftest.py").read_text())
    [registered] = [node.value for node in conftest.body if isinstance(node, ast.Assign)
                    and [getattr(target, "id", None) for target in node.targets] == ["pytest_plugins"]]
    assert isinstance(registered, ast.List | ast.Tuple)
    plugins = {element.value for element in registered.elts if isinstance(element, ast.Constant)}
    modules = {f"tests.fixtures.{path.stem}" for path in (TESTS / "fixtures").glob("*.py") if path.stem != "__init__"}
    assert plugins == modules
    elsewhere = [path for path, tree in _modules() if path != "tests/conftest.py"
                 and any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytest_plugins"
                                                              for t in node.targets) for node in ast.walk(tree))]
    assert elsewhere == []
    autouse = [f"{path}: {node.name}" for path, tree in _modules() if path.startswith("tests/fixtures/")
               for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
               for decorator in node.decorator_list if isinstance(decorator, ast.Call)
               for keyword in decorator.keywords if keyword.arg == "autouse"]
    assert autouse == [], "a shared fixture is switched on by the folders that want it, not for the whole suite"
