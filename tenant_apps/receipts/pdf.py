"""A receipt as a PDF: branded (the tenant's name, colours and icon), in the receipt's language.

fpdf2 (pure Python: no system libraries, unlike WeasyPrint's pango) with DejaVu Sans embedded from
``shared_apps/core/fonts`` (a subset covering Latin scripts and the currency signs: ₦, ₵, CFA...).
The amounts are the receipt's, formatted by the country adapter as on the pages; text is selectable, so
the PDF can be checked (and read by screen readers) as text.
"""

from __future__ import annotations

import io
import logging

from django.utils import formats, translation
from django.utils.translation import gettext as _

from shared_apps.core.brand_icons import BOLD_FONT, REGULAR_FONT, brand_icon_png
from shared_apps.core.branding import Brand
from shared_apps.core.templatetags.ui import colon

from .data import Receipt, format_money

logging.getLogger("fontTools").setLevel(logging.WARNING)  # fpdf2 subsets the embedded font on every PDF
PAGE_WIDTH_MM = 105  # A6 width: a phone-sized page that prints on A4 too
MARGIN = 9


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def render_receipt_pdf(receipt: Receipt, brand: Brand, *, shared: bool = False) -> bytes:
    from fpdf import FPDF

    with translation.override(receipt.language):
        pdf = FPDF(orientation="P", unit="mm", format=(PAGE_WIDTH_MM, 200))
        pdf.set_auto_page_break(auto=True, margin=MARGIN)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.add_font("DejaVu", "", str(REGULAR_FONT))
        pdf.add_font("DejaVu", "B", str(BOLD_FONT))
        pdf.set_title(f"{brand.name} — {_('Receipt')} {receipt.reference}")
        pdf.set_author(brand.name)
        pdf.set_creator(brand.name)
        pdf.set_lang(receipt.language)
        pdf.add_page()
        width = PAGE_WIDTH_MM - 2 * MARGIN

        # Header band: the brand colour, the tenant's icon and name in the contrasting text colour.
        pdf.set_fill_color(*_rgb(brand.primary))
        pdf.rect(0, 0, PAGE_WIDTH_MM, 24, style="F")
        pdf.image(io.BytesIO(brand_icon_png(brand, size=96)), x=MARGIN, y=5, w=14, h=14)
        pdf.set_text_color(*_rgb(brand.on_primary))
        pdf.set_font("DejaVu", "B", 13)
        pdf.set_xy(MARGIN + 17, 7)
        pdf.cell(width - 17, 6, brand.name)
        pdf.set_font("DejaVu", "", 9)
        pdf.set_xy(MARGIN + 17, 13)
        pdf.cell(width - 17, 5, _("Receipt"))
        pdf.set_fill_color(*_rgb(brand.accent))
        pdf.rect(0, 24, PAGE_WIDTH_MM, 1.2, style="F")

        pdf.set_text_color(17, 24, 39)
        pdf.set_xy(MARGIN, 31)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(width, 6, receipt.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        pdf.set_text_color(71, 85, 105)
        when = formats.date_format(receipt.created_at, "DATETIME_FORMAT")
        pdf.multi_cell(width, 5, f"{_('Reference')} {receipt.reference} · {when} UTC", new_x="LMARGIN",
                       new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 10)
        pdf.set_text_color(17, 24, 39)
        pdf.cell(width, 6, f"{_('Status')}{colon()} {receipt.status_label}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

        def row(label: str, value: str, *, bold: bool = False, size: float = 9.5) -> None:
            pdf.set_font("DejaVu", "B" if bold else "", size)
            y = pdf.get_y()
            pdf.set_text_color(71, 85, 105) if not bold else pdf.set_text_color(17, 24, 39)
            pdf.multi_cell(width * 0.45, 5.5, label, new_x="RIGHT", new_y="TOP")
            pdf.set_text_color(17, 24, 39)
            pdf.set_xy(MARGIN + width * 0.45, y)
            pdf.multi_cell(width * 0.55, 5.5, value, align="R", new_x="LMARGIN", new_y="NEXT")

        pdf.set_draw_color(226, 232, 240)
        for detail in receipt.details:
            row(detail.label, detail.value)
        pdf.ln(1)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + width, pdf.get_y())
        pdf.ln(2)
        row(receipt.total_label, format_money(receipt, receipt.total_minor), bold=True, size=11)
        for tax in receipt.taxes:
            row(tax.label, format_money(receipt, tax.amount_minor), size=9)
        if receipt.charged_minor is not None:
            row(receipt.charged_label, format_money(receipt, receipt.charged_minor), bold=True, size=10)
        pdf.ln(4)

        pdf.set_font("DejaVu", "", 8)
        pdf.set_text_color(100, 116, 139)
        notes = []
        if shared:
            notes.append(_("Shared receipt: numbers are partly hidden."))
        contact = " · ".join(part for part in (brand.support_email, brand.support_phone) if part)
        if contact:
            notes.append(_("Questions? %(contact)s") % {"contact": contact})
        notes.append(_("Keep this receipt: quote its reference if you contact us."))
        for note in notes:
            pdf.multi_cell(width, 4.2, note, new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())
