"""Which currency a tenant keeps its wallets in, and how to write amounts.

The country adapters (``countries.registry``) own currencies; until they are
merged, :func:`_fallback` holds the same facts. This module is the only
place the ledger asks "what currency is this tenant?".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from provider_plugins.interfaces.money import minor_to_text
from shared_apps.core.amounts import currency_minor_digits, parse_amount
from tenants.connection import current_schema


@dataclass(frozen=True)
class CurrencyInfo:
    code: str
    minor_unit: int


# ISO 4217 facts for the 16 West African countries (used only if no adapter is available).
_CURRENCY_BY_COUNTRY = {
    "NG": "NGN", "GH": "GHS", "GM": "GMD", "GN": "GNF", "LR": "LRD", "SL": "SLE", "CV": "CVE", "MR": "MRU",
    **{code: "XOF" for code in ("BJ", "BF", "CI", "GW", "ML", "NE", "SN", "TG")},
}


def _fallback(country: str) -> CurrencyInfo:
    code = _CURRENCY_BY_COUNTRY[country.upper()]
    return CurrencyInfo(code=code, minor_unit=currency_minor_digits(code))


def currency_for_country(country: str) -> CurrencyInfo:
    try:
        from countries.registry import get_adapter
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
    return currency_for_country(_country_of_schema(current_schema()))


def minor_unit(currency: str) -> int:
    """ISO 4217 minor digits; ``UnsupportedCurrency`` (400) for a code that is not a currency."""
    return currency_minor_digits(currency)


def to_decimal_string(amount_minor: int, currency: str) -> str:
    """``123456, "NGN"`` -> ``"1234.56"``; ``1500, "XOF"`` -> ``"1500"`` (the API's money format)."""
    return minor_to_text(int(amount_minor), minor_unit(currency))


def to_minor(amount: object, currency: str) -> int:
    """A signed API amount in minor units, by the platform's one money rule (``shared_apps.core.amounts``).

    Refuses (``InvalidAmount``, also a ``ValueError``) exponents, NaN, extra decimals, spaces, floats...
    Views that want a positive amount call ``parse_amount`` directly.
    """
    return parse_amount(amount, currency=currency, positive=False, allow_negative=True, allow_zero=True)
