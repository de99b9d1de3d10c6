"""Reads for the API: an adapter as JSON-ready data, in the active language."""

from __future__ import annotations

from django.utils.translation import get_language

from .base import CountryAdapter
from .registry import enabled_adapters, get_adapter


def country_as_dict(adapter: CountryAdapter, *, locale: str | None = None) -> dict:
    locale = locale or get_language() or adapter.default_language
    return {
        "code": adapter.code,
        "name": adapter.local_name(locale),
        "calling_code": f"+{adapter.calling_code}",
        "currency": adapter.currency,
        "minor_unit": adapter.minor_unit,
        "currency_symbol": adapter.currency_symbol,
        "languages": list(adapter.languages),
        "default_language": adapter.default_language,
        "vat_rate_bps": adapter.vat_rate_bps,
        "networks": [{"key": n.key, "name": n.name} for n in adapter.numbering_plan.networks],
        "kyc_schemes": [scheme.as_dict() for scheme in adapter.kyc_schemes],
        "kyc_tiers": [
            {
                "level": t.level,
                "name": str(t.name),
                "requires": list(t.requires),
                "single_limit": adapter.from_minor(t.single_limit_minor),
                "daily_limit": adapter.from_minor(t.daily_limit_minor),
                "max_balance": None if t.max_balance_minor is None else adapter.from_minor(t.max_balance_minor),
                "single_limit_minor": t.single_limit_minor,
                "daily_limit_minor": t.daily_limit_minor,
                "max_balance_minor": t.max_balance_minor,
                "single_limit_display": adapter.format_amount(t.single_limit_minor, locale=locale),
            }
            for t in adapter.kyc_tiers
        ],
        "gateways": list(adapter.gateways),
        # Cash at agents (in and out), in every country: no provider needed.
        "cash_rails": [{"rail": rail, "in": True, "out": True} for rail in adapter.cash_rails],
        "sample_amount": adapter.format_amount(150_000 * 10**adapter.minor_unit // 100, locale=locale),
    }


def countries_list(*, locale: str | None = None) -> list[dict]:
    return [country_as_dict(adapter, locale=locale) for adapter in enabled_adapters()]


def country_detail(*, code: str, locale: str | None = None) -> dict:
    """Raises UnknownCountry (404) for an unknown code and for a country this deployment disabled."""
    from django.utils.translation import gettext as _

    from .errors import UnknownCountry

    adapter = get_adapter(code)
    if not adapter.enabled:
        raise UnknownCountry(adapter.code, _("%(code)s is not served by this deployment.") % {"code": adapter.code},
                             code="country_not_enabled")
    return country_as_dict(adapter, locale=locale)
