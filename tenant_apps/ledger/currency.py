"""Which currency a tenant keeps its wallets in, and how to write amounts.

The country adapters (``countries.registry``) own currencies; this module is the only place the ledger asks
"what currency is this tenant?". Amounts stay integer minor units; ``countries.money`` turns them into
py-moneyed ``Money`` and text at the boundaries (``shared_apps.core.amounts.money_of``, :func:`to_decimal_string`).
"""

from __future__ import annotations

from functools import lru_cache

from countries.money import CurrencyInfo
from countries.registry import default_adapter
from provider_plugins.interfaces.money import minor_to_text
from shared_apps.core.amounts import currency_minor_digits, parse_amount
from tenants.connection import current_schema

__all__ = ["CurrencyInfo", "currency_for_country", "minor_unit", "tenant_currency", "to_decimal_string", "to_minor"]


def currency_for_country(country: str) -> CurrencyInfo:
    """The country's currency: ISO code, minor digits and display symbol (its adapter's).

    The adapter's defaults: a deployment's override (``CountryAdapter.with_overrides``) never changes the currency,
    so the overrides are not read for it (``get_adapter``'s effective copy, on every body validation)."""
    return default_adapter(country).currency_info


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
