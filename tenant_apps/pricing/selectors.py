"""Selling prices of the current tenant (integer minor units, no floats)."""

from __future__ import annotations

from decimal import Decimal

from countries.registry import get_adapter
from provider_plugins.interfaces.money import currency_exponent
from shared_apps.catalog.models import Product
from tenants.connection import tenant_connection

from .models import DEFAULT_MARGIN_BP, PricingSettings


def tenant_margin_bp() -> int:
    row = PricingSettings.objects.filter(singleton=True).only("margin_bp").first()
    return row.margin_bp if row is not None else DEFAULT_MARGIN_BP


def apply_margin_minor(cost_minor: int, margin_bp: int) -> int:
    """cost × (1 + margin), rounded half-up to the currency's minor unit, in integers."""
    numerator = cost_minor * (10_000 + margin_bp)
    return (numerator + 5_000) // 10_000


def apply_margin_rate_bp(cost_rate_bp: int, margin_bp: int) -> int:
    """For open amounts: the price per 10 000 of face value, same rounding."""
    return apply_margin_minor(cost_rate_bp, margin_bp)


def currency_minor_unit(*, currency: str, country: str = "") -> int:
    """Digits after the decimal point for ``currency``: the country adapter's, when it is that country's currency."""
    if country:
        adapter = get_adapter(country)
        if str(adapter.currency) == currency:
            return int(adapter.minor_unit)
    return currency_exponent(currency)


def decimal_string(amount_minor: int | None, *, currency: str, country: str = "") -> str | None:
    """``102000`` NGN -> ``"1020.00"``; ``1020`` XOF -> ``"1020"``."""
    if amount_minor is None:
        return None
    exponent = currency_minor_unit(currency=currency, country=country)
    return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f}"


def quotable_product(product_id: object) -> Product | None:
    """The product ``product_id`` (text from a query string) of the tenant's own country, else None.

    What a staff quote preview may show, read as a purchase reads its product (``orders.services.create``): a
    whole number in ASCII digits (``"abc"`` reached the ORM as a 500), and never another country's product (its
    provider cost is not this tenant's business)."""
    text = str(product_id or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:  # bigint range; ``"١"`` is a digit to isdigit
        return None
    country = getattr(tenant_connection().tenant, "country", "") or ""
    return Product.objects.filter(pk=int(text), country=country).first() if country else None
