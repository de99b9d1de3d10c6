"""Reading a bulk top-up file and writing its results, both bounded and spreadsheet-safe.

The file: UTF-8 CSV (a byte-order mark is fine; ``,``, ``;`` or tab between cells), one top-up per line,
columns ``number`` and ``product`` or ``amount`` (or both: an open-amount product and its amount). A header
line names them (English, French or Portuguese words); without one the columns are number, product, amount
in that order. Blank lines are skipped. Nothing here decides what a cell means: ``services`` does.

Output cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are prefixed with ``'`` (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import ApiError

HEADERS = {
    "number": {"number", "phone", "msisdn", "recipient", "recipient_phone", "mobile", "numero", "numéro",
               "telephone", "téléphone", "número", "telefone"},
    "product": {"product", "product_id", "produit", "produto", "bundle", "forfait", "pacote"},
    "amount": {"amount", "montant", "valor", "montante", "value"},
}
CELL_MAX = 40  # longer cells are a row error (never a database error)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class InvalidFile(ApiError):
    code = "invalid_file"
    message = _("The file is not a CSV file we can read (UTF-8 text, one top-up per line).")


class TooManyRows(ApiError):
    code = "too_many_rows"
    message = _("The file has too many lines.")


class EmptyFile(ApiError):
    code = "empty_file"
    message = _("The file has no top-up lines.")


@dataclass(frozen=True)
class CsvLine:
    line: int
    number: str
    product: str
    amount: str
    too_long: bool = False


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _columns(header: list[str]) -> dict[str, int] | None:
    """The column of each field when ``header`` is a header line, else None."""
    names = [cell.strip().lower() for cell in header]
    found = {field: next((i for i, name in enumerate(names) if name in words), None)
             for field, words in HEADERS.items()}
    if all(index is None for index in found.values()):
        return None
    if found["number"] is None:
        raise InvalidFile(fields={"file": [str(_("The header line has no “number” column."))]})
    return {field: index for field, index in found.items() if index is not None}


def read_topups(content: bytes, *, max_rows: int) -> list[CsvLine]:
    """The lines of a file (at most ``max_rows``); else 400 ``invalid_file``, ``too_many_rows`` or ``empty_file``."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidFile(fields={"file": [str(_("Save the file as UTF-8 CSV."))]}) from None
    if "\x00" in text:
        raise InvalidFile(fields={"file": [str(_("This is not a text file."))]})
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text[:4096]))
    lines: list[CsvLine] = []
    columns: dict[str, int] | None = None
    first = True
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if first:  # the first non-blank line may be a header
                first = False
                columns = _columns(cells)
                if columns is not None:
                    continue
            where = columns or {"number": 0, "product": 1, "amount": 2}

            def cell(field: str, cells=cells, where=where) -> str:
                index = where.get(field)
                return cells[index].strip() if index is not None and index < len(cells) else ""

            values = [cell("number"), cell("product"), cell("amount")]
            if len(lines) >= max_rows:
                raise TooManyRows(fields={"file": [str(_("At most %(n)d lines per file.") % {"n": max_rows})]})
            lines.append(CsvLine(line=reader.line_num, number=values[0][:CELL_MAX], product=values[1][:CELL_MAX],
                                 amount=values[2][:CELL_MAX], too_long=any(len(v) > CELL_MAX for v in values)))
    except csv.Error:
        raise InvalidFile() from None
    if not lines:
        raise EmptyFile(fields={"file": [str(EmptyFile.message)]})
    return lines


def safe_cell(value: object) -> object:
    """A value a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(header: list[str], rows: Iterable[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
