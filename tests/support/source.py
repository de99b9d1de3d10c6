"""The import statements of a Python file, parsed once per test process.

The static checks (tests/foundation: import_graph.py and its cycles, test_dependency_direction.py,
test_module_structure.py) each read every import of the project's ~760 modules, several times per module
(one parametrized case per folder and rule): parsing the tree again for each took most of their seconds.
They now share one parse per file and process. The cache is keyed by the file's path, size and modification
time, so a file written during the session (the checks' own sample trees under ``tmp_path``) is read afresh.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ImportStatement = ast.Import | ast.ImportFrom


@cache
def _import_statements(path: str, _mtime_ns: int, _size: int) -> tuple[ImportStatement, ...]:
    tree = ast.parse(Path(path).read_text(), filename=path)
    return tuple(node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom))


def import_statements(path: Path) -> tuple[ImportStatement, ...]:
    """Every ``import`` and ``from ... import`` of ``path``, at any depth (also inside functions), in
    ``ast.walk`` order. The nodes are shared: read them, never change them."""
    stat = path.stat()
    return _import_statements(str(path), stat.st_mtime_ns, stat.st_size)
