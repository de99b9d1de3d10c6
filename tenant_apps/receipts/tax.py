"""The tax lines a receipt shows, read from what was posted (never recomputed at display time).

A sale's taxes are the ones its settlement entry posted to the tax accounts (``Order.tax_lines``, from the
settling quote: VAT and levies carved out of the seller's income, tenant_apps.pricing.quotes); a
transfer's are the levies its sender paid on top (``Transfer.tax_lines``, e.g. Nigeria's stamp duty).
Wallet fundings carry none. Every receipt (API, page, PDF, shared link) goes through :func:`tax_lines_for`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from countries.tax import TaxAmount


@dataclass(frozen=True)
class TaxLine:
    code: str  # "vat", "nhil", "emtl"...
    rate_bps: int  # 750 = 7.5 %; 0 for a fixed levy
    amount_minor: int
    included: bool = True  # contained in the price (not added to it)
    name: str = "VAT"
    label: str = ""  # translated, built in the receipt's language

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "label": self.label, "rate_bps": self.rate_bps,
                "amount_minor": self.amount_minor, "included": self.included}


def _percent(rate_bps: int) -> str:
    from django.utils import translation

    whole, rest = divmod(rate_bps, 100)
    text = f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")
    if (translation.get_language() or "en")[:2] in ("fr", "pt"):
        text = text.replace(".", ",")
    return text + "\u00a0%"


def label_for(tax: TaxAmount) -> str:
    """In the active language: "of which VAT (7.5 %)" for a tax in the price, "Stamp duty (EMTL)" on top."""
    if tax.rate_bps and tax.included:
        return _("of which %(tax)s (%(rate)s)") % {"tax": tax.name, "rate": _percent(tax.rate_bps)}
    if tax.rate_bps:
        return _("%(tax)s (%(rate)s)") % {"tax": tax.name, "rate": _percent(tax.rate_bps)}
    return _("%(tax)s (charged on top)") % {"tax": tax.name}


def _amounts(stored) -> list[TaxAmount]:
    """The stored taxes a receipt shows (those with an amount)."""
    return [tax for tax in map(TaxAmount.from_dict, stored or ()) if tax.amount_minor]


def _lines(stored) -> list[TaxLine]:
    return [TaxLine(code=tax.code, rate_bps=tax.rate_bps, amount_minor=tax.amount_minor, included=tax.included,
                    name=tax.name, label=label_for(tax)) for tax in _amounts(stored)]


def _stored(*, kind: str, obj):
    """What :func:`tax_lines_for` reads its lines from."""
    if kind == "order":
        return getattr(obj, "tax_lines", None) or (getattr(obj, "quote", None) or {}).get("taxes")
    if kind == "transfer":
        return getattr(obj, "tax_lines", None)
    return None


def tax_lines_for(*, kind: str, obj) -> list[TaxLine]:
    """The taxes of a receipt's object: an order's (the settling quote's), a transfer's levies; none otherwise."""
    return _lines(_stored(kind=kind, obj=obj))


def api_tax_lines(*, kind: str, obj, currency: str) -> list[dict]:
    """The tax lines for an API receipt: amounts as decimal strings (and minor units), rates in basis points.

    The lines of :func:`tax_lines_for` without their translated label, which the API does not show (its
    gettext and number formatting were ~5 % of a purchase's view, issue 18)."""
    from tenant_apps.ledger.currency import to_decimal_string

    return [{"code": tax.code, "name": tax.name, "rate_bps": tax.rate_bps, "included": tax.included,
             "amount": to_decimal_string(tax.amount_minor, currency), "amount_minor": tax.amount_minor}
            for tax in _amounts(_stored(kind=kind, obj=obj))]
