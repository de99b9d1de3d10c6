"""Find country adapters: the defaults from ``countries/adapters/`` (countries.defaults), with the deployment's
overrides (countries.overrides)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from moneyed import Money

from .base import CountryAdapter
from .defaults import default_adapter, default_adapters
from .money import CurrencyInfo, currency_digits, format_money, money_of, text_money
from .overrides import effective_overrides

__all__ = ["all_adapters", "currency_info", "default_adapter", "display_minor", "display_money", "enabled_adapters",
           "get_adapter", "message_minor", "message_money"]


def _deployment_countries() -> set[str]:
    return set(getattr(settings, "NEXUSTOP_COUNTRIES", default_adapters().keys()))


def _effective(adapter: CountryAdapter, overrides: dict[str, dict]) -> CountryAdapter:
    effective = adapter.with_overrides(overrides.get(adapter.code))
    if adapter.code not in _deployment_countries() and effective.enabled:
        effective = effective.with_overrides({"enabled": False})
    return effective


def get_adapter(code: str) -> CountryAdapter:
    """The effective adapter (defaults + override); raises UnknownCountry. Disabled ones too: check ``.enabled``."""
    return _effective(default_adapter(code), effective_overrides())


def all_adapters() -> list[CountryAdapter]:
    overrides = effective_overrides()
    return [_effective(adapter, overrides) for adapter in default_adapters().values()]


def enabled_adapters() -> list[CountryAdapter]:
    return [adapter for adapter in all_adapters() if adapter.enabled]


# ----- money display ---------------------------------------------------------------------------------------

@cache
def currency_info(code: str) -> CurrencyInfo:
    """How a currency is written: the symbol and spellings of the countries using it (``XOF`` -> ``CFA``);
    another real currency (``USD``) is written with its ISO code. :class:`AmountError` for a non-currency."""
    code = code.upper() if isinstance(code, str) else ""
    for adapter in default_adapters().values():
        if adapter.currency == code:
            return adapter.currency_info
    return CurrencyInfo(code=code, minor_unit=currency_digits(code), symbol=code)


def display_money(money: Money, *, locale: str | None = None) -> str:
    """The one display format of an amount (pages, receipts, emails): ``₦1,500.00``, ``1 500 CFA``; in
    ``locale``'s style, else the active language's."""
    from django.utils.translation import get_language

    symbol = currency_info(money.currency.code).symbol
    return format_money(money, locale=locale or get_language() or "en", symbol=symbol)


def display_minor(minor: int, currency: str, *, locale: str | None = None) -> str:
    """:func:`display_money` of integer minor units (what the ledger and the models keep)."""
    return display_money(money_of(minor, currency), locale=locale)


def message_money(money: Money, *, locale: str | None = None) -> str:
    """The same format for an SMS or a USSD screen (``countries.money.text_money``: the currency's symbol when
    GSM-7 has it, else its ISO code): ``1 500 CFA``, ``NGN 1,500.00``; in ``locale``'s style, else the active
    language's. Every text a phone gets writes money this way."""
    from django.utils.translation import get_language

    symbol = currency_info(money.currency.code).symbol
    return text_money(money, locale=locale or get_language() or "en", symbol=symbol)


def message_minor(minor: int, currency: str, *, locale: str | None = None) -> str:
    """:func:`message_money` of integer minor units."""
    return message_money(money_of(minor, currency), locale=locale)
