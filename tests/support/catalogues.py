"""What the project's code and templates ask to translate, and what it shows in English without asking.

``used_msgids()`` is ``makemessages`` without writing anything: Babel's Python extractor with Django's keywords over
the project's modules, and over its templates once Django's own ``templatize`` has turned them into the Python-ish
text ``makemessages`` hands to xgettext. About 2 s for the whole tree, once per test process.

``unmarked_api_messages()`` finds the human text of API errors written as plain strings (never translated): an
``ApiError`` subclass's ``message`` attribute, and the message or ``fields`` texts given where one is raised.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from babel.messages.extract import extract
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = ("countries", "shared_apps", "tenant_apps", "tenants", "platform", "provider_plugins")
TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")
LANGUAGES = ("fr", "pt")

# Django's gettext keywords (makemessages' xgettext ``--keyword`` list), in Babel's spec form.
KEYWORDS = {
    "_": None, "gettext": None, "gettext_lazy": None, "gettext_noop": None,
    "ngettext": (1, 2), "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3), "npgettext_lazy": ((1, "c"), 2, 3),
}

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w*\}")

# (context or None, msgid, plural msgid or None)
Msgid = tuple[str | None, str, str | None]


def _source_files() -> Iterator[Path]:
    for top in SOURCE_ROOTS:
        for path in sorted((ROOT / top).rglob("*")):
            if "migrations" in path.parts or "__pycache__" in path.parts:
                continue
            if path.suffix == ".py" or ("templates" in path.parts and path.name.endswith(TEMPLATE_SUFFIXES)):
                yield path


def _extract(text: str) -> Iterator[Msgid]:
    for _lineno, message, _comments, context in extract("python", io.BytesIO(text.encode()), KEYWORDS):
        if isinstance(message, tuple):
            yield context, message[0], message[1]
        else:
            yield context, message, None


@cache
def used_msgids() -> dict[Msgid, tuple[str, ...]]:
    """Every msgid the code and templates mark for translation, with the files that use it."""
    found: dict[Msgid, set[str]] = {}
    for path in _source_files():
        text = path.read_text()
        if path.suffix != ".py":
            # templatize's output keeps the template's indentation, which Python's tokenizer refuses; its strings
            # are single-line reprs, so stripping each line's indentation changes no msgid.
            text = "\n".join(line.lstrip() for line in templatize(text, origin=str(path)).splitlines())
        for msgid in _extract(text):
            found.setdefault(msgid, set()).add(str(path.relative_to(ROOT)))
    return {msgid: tuple(sorted(files)) for msgid, files in found.items()}


def po_files(language: str) -> list[Path]:
    return sorted(path for path in ROOT.glob(f"**/locale/{language}/LC_MESSAGES/django.po")
                  if ".venv" not in path.parts)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# --- API error texts written as plain strings -------------------------------------------------------------

API_ROOTS = ("countries", "shared_apps", "tenant_apps", "tenants", "provider_plugins")


@cache
def _trees() -> dict[str, ast.Module]:
    trees = {}
    for top in API_ROOTS:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                trees[str(path.relative_to(ROOT))] = ast.parse(path.read_text(), filename=str(path))
    return trees


def _api_error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """Names of ``ApiError`` and its subclasses, by following class bases through every module (by name)."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "") for base in node.bases)
    classes = {"ApiError"}
    grew = True
    while grew:
        grew = False
        for name, parents in bases.items():
            if name not in classes and parents & classes:
                classes.add(name)
                grew = True
    return classes


def _is_plain_text(node: ast.expr) -> bool:
    """A literal string, an f-string or ``"...".format(...)``: English whatever the language."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant))


def _field_texts(call: ast.Call) -> Iterator[ast.expr]:
    for keyword in call.keywords:
        if keyword.arg == "fields" and isinstance(keyword.value, ast.Dict):
            for value in keyword.value.values:
                yield from (value.elts if isinstance(value, ast.List | ast.Tuple) else [value])


@cache
def unmarked_api_messages() -> tuple[tuple[str, int, str], ...]:
    """(file, line, source) of every API error text that is a plain string."""
    trees = _trees()
    classes = _api_error_classes(trees)
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in classes:
                for statement in node.body:
                    target = statement.targets[0] if isinstance(statement, ast.Assign) else getattr(
                        statement, "target", None)
                    value = getattr(statement, "value", None)
                    if getattr(target, "id", "") == "message" and value is not None and _is_plain_text(value):
                        found.append((path, statement.lineno, ast.unparse(value)))
            elif isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name not in classes:
                    continue
                texts = [*node.args[:1], *(kw.value for kw in node.keywords if kw.arg == "message"),
                         *_field_texts(node)]
                found.extend((path, node.lineno, ast.unparse(text)) for text in texts if _is_plain_text(text))
    return tuple(sorted(found))
