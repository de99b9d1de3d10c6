"""Catalog sync: pull a provider's products through its plugin and upsert them.

Idempotent: a second run with the same listing writes nothing. Products the
provider no longer lists are withdrawn (kept for order history), and come back
if listed again. An empty listing while we hold active products is treated as
a provider glitch: nothing is withdrawn.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from functools import cache

from django.db import transaction
from django.utils import timezone, translation

from countries.fields import country_name
from provider_plugins.interfaces import ProductListing
from shared_apps.providers.models import Provider
from shared_apps.providers.services import provider_config, provider_plugin

from .models import Product
from .versions import catalog_changed

logger = logging.getLogger(__name__)

_DAYS = {"fr": ("jour", "jours"), "pt": ("dia", "dias")}
# What airtime is called on a French or Portuguese page (the USSD menus say "crédit"/"saldo"; a product is a top-up).
_AIRTIME = {"fr": "Recharge", "pt": "Recarga"}
_AIRTIME_WORD = re.compile(r"\bAirtime\b")
# Data sizes as each language writes them: "1,5 Go" in French, "1,5 GB" in Portuguese, "1.5GB" in English.
_SIZE_UNITS = {"en": ("MB", "GB"), "fr": ("Mo", "Go"), "pt": ("MB", "GB")}
_SIZE_WORD = re.compile(r"\b([0-9]{1,5}(?:\.[0-9]{1,3})?)\s?(MB|GB)\b", re.I)
# English durations in a provider's name ("7 days", "1 Week", "30 Days"), for names not built from the listing's data.
_DURATIONS = {
    "day": {"fr": ("jour", "jours"), "pt": ("dia", "dias")},
    "week": {"fr": ("semaine", "semaines"), "pt": ("semana", "semanas")},
    "month": {"fr": ("mois", "mois"), "pt": ("mês", "meses")},
    "hour": {"fr": ("heure", "heures"), "pt": ("hora", "horas")},
}
_DURATION_WORD = re.compile(r"\b([0-9]{1,4})\s?(day|week|month|hour)s?\b", re.I)
# Other spellings providers give a country (DT One's "Cape Verde", "Ivory Coast"), besides its English names:
# a product name says the country as the page's language does ("Cabo Verde", "Côte d'Ivoire", "Costa do Marfim").
_COUNTRY_SPELLINGS = {
    "CV": ("Cape Verde", "Cabo Verde", "Cap-Vert", "Cap Vert"),
    "CI": ("Ivory Coast", "Cote d'Ivoire", "Côte d'Ivoire", "Cote D'Ivoire", "Cote dIvoire"),
    "GM": ("The Gambia", "Gambia"),
    "GW": ("Guinea Bissau", "Guinea-Bissau", "Guinee-Bissau"),
}


@cache
def _country_spellings(country: str) -> re.Pattern | None:
    from provider_plugins.interfaces.numbering import COUNTRIES

    with translation.override("en"):
        english = country_name(country)
    known = COUNTRIES.get(country)
    spellings = {*_COUNTRY_SPELLINGS.get(country, ()), english, *((known.name,) if known else ())} - {"", country}
    if not spellings:
        return None
    words = "|".join(re.escape(word) for word in sorted(spellings, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])", re.I)


def _with_country(text: str, country: str, language: str) -> str:
    """``text`` with the listing's country named as ``language`` names it: "CVMovel Cape Verde" -> "CVMovel Cabo
    Verde" (en, pt), "Orange Ivory Coast" -> "Orange Côte d'Ivoire" (fr), "Orange Costa do Marfim" (pt)."""
    pattern = _country_spellings(country) if country else None
    if pattern is None:
        return text
    with translation.override(language):
        name = country_name(country)
    return pattern.sub(lambda _match: name, text)


def _size(mb: int, language: str = "en") -> str:
    small, large = _SIZE_UNITS.get(language, _SIZE_UNITS["en"])
    if language == "en":
        return f"{mb / 1024:g}{large}" if mb >= 1024 else f"{mb}{small}"
    number, unit = (f"{mb / 1024:g}", large) if mb >= 1024 else (str(mb), small)
    return f"{number.replace('.', ',')} {unit}"


def _english_patterns(text: str, language: str) -> str:
    """A provider's English sizes and durations in ``language``: "1GB 7 days" -> "1 Go 7 jours" (fr)."""
    def size(match: re.Match) -> str:
        number, unit = match.group(1), match.group(2).upper()
        small, large = _SIZE_UNITS[language]
        return f"{number.replace('.', ',')} {large if unit == 'GB' else small}"

    def duration(match: re.Match) -> str:
        count = int(match.group(1))
        one, many = _DURATIONS[match.group(2).lower()][language]
        return f"{count} {one if count == 1 else many}"

    return _DURATION_WORD.sub(duration, _SIZE_WORD.sub(size, text))


def localized_names(listing: ProductListing) -> dict[str, str]:
    """Provider names are English (or the provider's language); build fr/pt names where the data allows: data bundles
    from their size and validity, airtime named as a top-up ("Recarga CVMovel Cabo Verde"), any other name with its
    English sizes and durations said in the language ("7 jours"); the country is named as each language names it
    (DT One's "Cape Verde" is "Cabo Verde", its "Ivory Coast" "Côte d'Ivoire" on a French page)."""
    country = str(listing.country or "").upper()
    names = {"name_en": _with_country(listing.name, country, "en")}
    airtime = str(listing.product_type) == "airtime" and _AIRTIME_WORD.search(listing.name)
    for language, (one, many) in _DAYS.items():
        if listing.data_size_mb and listing.validity_days:
            brand = _with_country(str(listing.extra.get("brand") or listing.operator.upper()), country, language)
            days = listing.validity_days
            name = f"{brand} {_size(listing.data_size_mb, language)} – {days} {one if days == 1 else many}"
        elif airtime:
            rest = " ".join(_AIRTIME_WORD.sub(" ", listing.name).split())  # "CVMovel Cabo Verde", "MTN VTU"
            name = _english_patterns(_with_country(f"{_AIRTIME[language]} {rest}", country, language), language)
        else:
            name = _english_patterns(_with_country(listing.name, country, language), language)
        names[f"name_{language}"] = name.strip()
    return names


@dataclass
class SyncReport:
    provider_id: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    reactivated: int = 0
    skipped: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _fields(listing: ProductListing) -> dict:
    return {
        "product_type": str(listing.product_type),
        "currency": listing.currency,
        "operator": listing.operator,
        "face_value_minor": listing.face_value_minor,
        "cost_price_minor": listing.cost_minor,
        "min_amount_minor": listing.min_amount_minor,
        "max_amount_minor": listing.max_amount_minor,
        "cost_rate_bp": listing.cost_rate_bp,
        "data_size_mb": listing.data_size_mb,
        "validity_days": listing.validity_days,
        "biller_code": listing.biller_code,
        "customer_number_label": listing.customer_number_label,
        "requires_verification": listing.requires_verification,
        "variation": listing.variation,
        "provider_fx": dict(listing.fx),
    }


def catalog_sync_provider(*, provider_id: int) -> SyncReport:
    provider = Provider.objects.get(pk=provider_id)
    report = SyncReport(provider_id=provider.pk)
    plugin = provider_plugin(provider=provider)
    if plugin.catalog is None:
        return report
    listings = plugin.catalog(provider_config(provider=provider)).list_products()  # ProviderFault -> task retries
    # Only the provider's country, and only what it is registered for (an aggregator that also lists
    # billers sells bills only where head office enabled the capability).
    capabilities = set(provider.capabilities or ())
    listings = [item for item in listings if item.country == provider.country
                and (not capabilities or str(item.product_type) in capabilities)]
    now = timezone.now()
    with transaction.atomic():
        existing = {p.provider_product_code: p for p in
                    Product.objects.select_for_update().filter(provider=provider)}  # lock: standalone
        seen: set[str] = set()
        for listing in listings:
            if listing.provider_product_code in seen:
                continue
            seen.add(listing.provider_product_code)
            fields = _fields(listing)
            names = localized_names(listing)
            product = existing.get(listing.provider_product_code)
            if product is None:
                Product.objects.create(provider=provider, provider_product_code=listing.provider_product_code,
                                       country=provider.country, synced_at=now, **fields, **names)
                report.created += 1
                continue
            if product.translations_locked:
                names = {"name_en": names["name_en"]}
            changed = {key: value for key, value in {**fields, **names}.items() if getattr(product, key) != value}
            if not product.is_active:
                changed.update(is_active=True, withdrawn_at=None)
                report.reactivated += 1
            elif changed:
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            for key, value in changed.items():
                setattr(product, key, value)
            product.synced_at = now
            product.save(update_fields=[*changed, "synced_at", "updated_at"])
        gone = [p for code, p in existing.items() if code not in seen and p.is_active]
        if gone and not listings:
            logger.warning("catalog sync: provider %s listed no products; keeping %d active products",
                           provider.pk, len(gone))
            report.skipped = len(gone)
        elif gone:
            report.withdrawn = Product.objects.filter(pk__in=[p.pk for p in gone]).update(
                is_active=False, withdrawn_at=now, updated_at=now)
        Provider.objects.filter(pk=provider.pk).update(last_catalog_sync_at=now)
        if report.withdrawn:
            catalog_changed()  # update() sends no signal
    logger.info("catalog sync for provider %s: %s", provider.pk, report.as_dict())
    return report
