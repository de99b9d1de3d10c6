"""Template helpers shared by the portal, the back office and the console."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.db import connection
from django.utils import translation
from moneyed import CurrencyDoesNotExist, Money

from countries.money import format_number, format_quantity
from countries.registry import display_minor, display_money, get_adapter, message_minor
from provider_plugins.interfaces.money import AmountError
from shared_apps.core import punctuation

register = template.Library()


def _currency_of_site(currency: str) -> str:
    """``currency``, else the tenant's (a task or ``schema_context`` too); "" outside any tenant."""
    if currency:
        return currency
    country = getattr(getattr(connection, "tenant", None), "country", "") or _schema_country()
    return get_adapter(country).currency if country else ""


@register.filter
def money(minor, currency: str = "") -> str:
    """Minor units as ``Money`` in the page's language (``countries.registry.display_money``: ``1 000 CFA``);
    ``currency`` defaults to the tenant's."""
    if minor is None or minor == "":
        return ""
    currency = _currency_of_site(currency)
    if not currency:
        return str(int(minor))
    return display_minor(int(minor), currency, locale=(translation.get_language() or "en")[:2])


@register.filter
def text_money(minor, currency: str = "") -> str:
    """:func:`money` for an SMS (``*.sms.txt``): the same format in the reader's language, with the currency's
    symbol only when GSM-7 has it (``countries.registry.message_minor``: ``1 000 CFA``, ``NGN 1,500.00``)."""
    if minor is None or minor == "":
        return ""
    currency = _currency_of_site(currency)
    if not currency:
        return str(int(minor))
    return message_minor(int(minor), currency, locale=(translation.get_language() or "en")[:2])


@register.filter
def number(value) -> str:
    """A plain decimal that is not money (an exchange rate) in the page's language: ``8620.0`` -> ``8 620`` in
    French (``countries.money.format_number``); anything else as is."""
    try:
        return format_number(value, locale=(translation.get_language() or "en")[:2])
    except ValueError:
        return "" if value is None else str(value)


@register.filter
def quantity(value) -> str:
    """A provider's quantity (energy units: ``"25.0 kWh"``) in the page's or message's language: ``25 kWh``,
    ``79,9 kWh`` in French (``countries.money.format_quantity``); other text as it came."""
    return format_quantity(value, locale=(translation.get_language() or "en")[:2])


@register.filter
def decimal_money(amount, currency: str) -> str:
    """A decimal amount (``"12.50"``, a provider's figure) in ``currency`` as the site shows money: ``12,50 $US``."""
    try:
        return display_money(Money(Decimal(str(amount)), currency), locale=(translation.get_language() or "en")[:2])
    except (ArithmeticError, ValueError, CurrencyDoesNotExist, AmountError):
        return f"{amount} {currency}".strip()


@register.filter
def country_name(code) -> str:
    """A country code's name in the page's language (django-countries): ``SN`` -> ``Sénégal`` in French."""
    from countries.fields import country_name as name_of

    return name_of(code)


def _schema_country() -> str:
    """A task or ``schema_context`` knows only the schema name: read the tenant's country (emails, SMS)."""
    schema = getattr(connection, "schema_name", "public") or "public"
    if schema == "public":
        return ""
    from tenants.models import Tenant

    return Tenant.objects.filter(schema_name=schema).values_list("country", flat=True).first() or ""


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (pagination links keep the filters)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key) if hasattr(mapping, "get") else key


@register.simple_tag
def swatch(colour: str) -> str:
    """A small colour dot as inline SVG: its ``fill`` is a presentation attribute, not a style attribute,
    so the Content-Security-Policy (no inline styles) lets it through. Only ``#rrggbb`` colours."""
    import re

    from django.utils.html import format_html

    if not isinstance(colour, str) or not re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
        colour = "#94a3b8"
    return format_html('<svg class="swatch" viewBox="0 0 12 12" aria-hidden="true" focusable="false">'
                       '<circle cx="6" cy="6" r="6" fill="{}"/></svg>', colour)


@register.filter
def percent_bps(rate_bps) -> str:
    """Basis points as a percentage in the page's language: ``750`` -> ``7.5 %`` (``7,5 %`` in French)."""
    try:
        rate = int(rate_bps)
    except (TypeError, ValueError):
        return ""
    whole, rest = divmod(rate, 100)
    text = f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")
    if (translation.get_language() or "en")[:2] in ("fr", "pt"):
        text = text.replace(".", ",")
    return text + "\u00a0%"


@register.simple_tag
def colon() -> str:
    """The colon after a translated label, as the page's language sets it: French puts a no-break space before
    it (``Frais :``), English and Portuguese do not (``Fee:``). Written as a tag so msgids stay labels; the rule is
    ``shared_apps.core.punctuation.colon``."""
    return punctuation.colon()
