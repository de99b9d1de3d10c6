"""A tax report as rows, CSV and PDF (fpdf2 with the receipts' embedded DejaVu font: ₦, ₵, CFA...).

Amounts in the CSV are decimal strings in the currency's major unit (``1234.56``) next to the integer minor
units, so a spreadsheet and a reconciliation script both read them exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date

from django.utils.translation import gettext as _

from tenant_apps.ledger.currency import to_decimal_string

from .selectors import TaxReport, TaxReportLine

HEADER = ("tenant", "country", "currency", "tax", "code", "account", "rate", "taxable_base", "collected", "refunded",
          "owed", "owed_minor", "entries")


def line_row(report: TaxReport, line: TaxReportLine, *, tenant: str = "") -> tuple:
    money = lambda minor: to_decimal_string(minor, line.currency)  # noqa: E731
    return (tenant or report.schema, report.country, line.currency, line.name, line.code, line.account_kind,
            line.rate, money(line.base_minor), money(line.collected_minor), money(line.refunded_minor),
            money(line.net_minor), line.net_minor, line.entries)


def report_rows(reports: Iterable[tuple[str, TaxReport]]) -> list[tuple]:
    return [line_row(report, line, tenant=name) for name, report in reports for line in report.lines]


def totals_rows(totals: dict[tuple[str, str], int]) -> list[tuple]:
    """``{(currency, account_kind): owed_minor}`` as rows (the consolidated report's totals)."""
    return [("TOTAL", "", currency, kind, "", kind, "", "", "", "", to_decimal_string(minor, currency), minor, "")
            for (currency, kind), minor in sorted(totals.items())]


def as_csv(rows: Sequence[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def as_pdf(*, title: str, date_from: date, date_to: date, rows: Sequence[tuple]) -> bytes:
    from fpdf import FPDF

    from shared_apps.core.brand_icons import BOLD_FONT, REGULAR_FONT

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("DejaVu", "", str(REGULAR_FONT))
    pdf.add_font("DejaVu", "B", str(BOLD_FONT))
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, _("Period: %(start)s to %(end)s") % {"start": date_from.isoformat(), "end": date_to.isoformat()},
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    columns = [(_("Tenant"), 32), (_("Currency"), 18), (_("Tax"), 44), (_("Rate"), 38), (_("Taxable base"), 32),
               (_("Collected"), 30), (_("Refunded"), 28), (_("Owed"), 30), (_("Entries"), 18)]
    pdf.set_font("DejaVu", "B", 9)
    for label, width in columns:
        pdf.cell(width, 7, label, border=1)
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    for row in rows:
        values = (row[0], row[2], row[3], row[6], row[7], row[8], row[9], row[10], str(row[12]))
        bold = row[0] == "TOTAL"
        pdf.set_font("DejaVu", "B" if bold else "", 9)
        for index, ((_label, width), value) in enumerate(zip(columns, values, strict=True)):
            pdf.cell(width, 6, str(value), border=1, align="R" if index >= 4 else "L")
        pdf.ln()
    if not rows:
        pdf.cell(0, 7, _("No tax was posted in this period."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
