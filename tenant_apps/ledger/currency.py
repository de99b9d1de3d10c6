"""Which currency a tenant keeps its wallets in, and how to write amounts.

The country adapters (``countries.registry``) own currencies; until they are
merged, :func:`_fallback` holds the same facts. This module is the only
place the ledger asks "what currency is this tenant?".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.db import connection


@dataclass(frozen=True)
class CurrencyInfo:
    code: str
    minor_unit: int


# ISO 4217 facts for the 16 West African countries (used only if no adapter is available).
_CURRENCY_BY_COUNTRY = {
    "NG": "NGN", "GH": "GHS", "GM": "GMD", "GN": "GNF", "LR": "LRD", "SL": "SLE", "CV": "CVE", "MR": "MRU",
    **{code: "XOF" for code in ("BJ", "BF", "CI", "GW", "ML", "NE", "SN", "TG")},
}
_MINOR_UNIT = {"NGN": 2, "GHS": 2, "GMD": 2, "GNF": 0, "LRD": 2, "SLE": 2, "CVE": 2, "MRU": 2, "XOF": 0,
               "USD": 2, "EUR": 2}


def _fallback(country: str) -> CurrencyInfo:
    code = _CURRENCY_BY_COUNTRY[country.upper()]
    return CurrencyInfo(code=code, minor_unit=_MINOR_UNIT[code])


def currency_for_country(country: str) -> CurrencyInfo:
    try:
        from countries.registry import get_adapter  # type: ignore[import-not-found]
    except ImportError:
        return _fallback(country)
    adapter = get_adapter(country)
    code = getattr(adapter.currency, "code", adapter.currency)  # a str or a py-moneyed Currency
    return CurrencyInfo(code=str(code), minor_unit=int(adapter.minor_unit))


@lru_cache(maxsize=256)
def _country_of_schema(schema_name: str) -> str:
    from tenants.models import Tenant

    return Tenant.objects.values_list("country", flat=True).get(schema_name=schema_name)


def tenant_currency() -> CurrencyInfo:
    """The currency of the tenant whose schema the connection is in (a tenant's country never changes)."""
    return currency_for_country(_country_of_schema(connection.schema_name))


def minor_unit(currency: str) -> int:
    if currency in _MINOR_UNIT:
        return _MINOR_UNIT[currency]
    from moneyed import get_currency

    sub_unit = get_currency(currency).sub_unit or 1
    return len(str(sub_unit)) - 1


def to_decimal_string(amount_minor: int, currency: str) -> str:
    """``123456, "NGN"`` -> ``"1234.56"``; ``1500, "XOF"`` -> ``"1500"`` (the API's money format)."""
    digits = minor_unit(currency)
    return str(Decimal(amount_minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))


def to_minor(amount: str | Decimal | int, currency: str) -> int:
    """Parse an API decimal string into minor units; refuses more decimals than the currency has."""
    value = Decimal(str(amount))
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    scaled = value.scaleb(minor_unit(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency} amounts have at most {minor_unit(currency)} decimal places")
    return int(scaled)
