"""Minor-unit conversion for the currencies our providers quote in.

Plugins may not import the country adapters, yet every wire protocol speaks
decimal strings ("100.00" naira) while the core speaks integer minor units.
This tiny ISO 4217 exponent table is the only currency knowledge a plugin needs.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["currency_exponent", "from_minor", "to_minor"]

_EXPONENTS = {
    "NGN": 2, "GHS": 2, "XOF": 0, "XAF": 0, "GNF": 0, "GMD": 2, "LRD": 2, "SLE": 2, "SLL": 2,
    "CVE": 2, "MRU": 2, "USD": 2, "EUR": 2, "GBP": 2,
}


def currency_exponent(currency: str) -> int:
    try:
        return _EXPONENTS[currency.upper()]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def to_minor(amount: object, currency: str) -> int:
    """``"100.50"`` NGN -> ``10050``. Rounds half-up to the minor unit (providers send floats)."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise ValueError(f"not an amount: {amount!r}") from None
    scaled = (value * (Decimal(10) ** currency_exponent(currency))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def from_minor(amount_minor: int, currency: str) -> str:
    """``10050`` NGN -> ``"100.50"`` (a decimal string, never a float)."""
    exponent = currency_exponent(currency)
    value = Decimal(int(amount_minor)).scaleb(-exponent)
    return f"{value:.{exponent}f}"
