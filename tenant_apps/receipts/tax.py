"""The tax lines a receipt shows: ONE function, so a tax module can take its place.

Today prices include VAT and nothing is posted to the ledger for it: the receipt shows the VAT contained in
what the customer paid, at the country adapter's rate (``vat_rate_bps``; 0 = the country charges none),
rounded half up to the minor unit, in integers: ``vat = price × rate / (10 000 + rate)``. Only sales carry
VAT (a transfer or a wallet funding is the customer's own money moving).

When taxes are posted to the ledger, the tax module provides a function with this signature and
``settings.RECEIPT_TAX_LINES`` (a dotted path) points at it; every receipt (page, PDF, shared link) calls
:func:`tax_lines_for`, never the rule below directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TaxLine:
    code: str  # "vat"
    rate_bps: int  # 750 = 7.5 %
    amount_minor: int
    included: bool = True  # contained in the price (not added to it)


def vat_included(*, country: str, kind: str, gross_minor: int, currency: str) -> list[TaxLine]:
    """VAT contained in a sale's price, at the country adapter's rate (no line where the country charges none)."""
    from countries.registry import get_adapter

    if kind != "order" or gross_minor <= 0:
        return []
    rate = int(get_adapter(country).vat_rate_bps or 0)
    if rate <= 0:
        return []
    numerator, denominator = gross_minor * rate, 10_000 + rate
    return [TaxLine(code="vat", rate_bps=rate, amount_minor=(2 * numerator + denominator) // (2 * denominator))]


def tax_lines_for(*, country: str, kind: str, gross_minor: int, currency: str) -> list[TaxLine]:
    """What every receipt calls: the configured tax function (``settings.RECEIPT_TAX_LINES``)."""
    function = import_string(getattr(settings, "RECEIPT_TAX_LINES", "tenant_apps.receipts.tax.vat_included"))
    return list(function(country=country, kind=kind, gross_minor=gross_minor, currency=currency))
