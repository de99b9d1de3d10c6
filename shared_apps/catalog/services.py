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

from django.db import transaction
from django.utils import timezone

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


def _size(mb: int) -> str:
    return f"{mb / 1024:g}GB" if mb >= 1024 else f"{mb}MB"


def localized_names(listing: ProductListing) -> dict[str, str]:
    """Provider names are English (or the provider's language); build fr/pt names where the data allows: data bundles
    from their size and validity, airtime named as a top-up ("Recarga CVMovel Cabo Verde")."""
    names = {"name_en": listing.name}
    if str(listing.product_type) == "airtime" and _AIRTIME_WORD.search(listing.name):
        rest = " ".join(_AIRTIME_WORD.sub(" ", listing.name).split())  # "CVMovel Cabo Verde", "MTN VTU"
        for language, word in _AIRTIME.items():
            names[f"name_{language}"] = f"{word} {rest}".strip()
    if listing.data_size_mb and listing.validity_days:
        brand = str(listing.extra.get("brand") or listing.operator.upper())
        size, days = _size(listing.data_size_mb), listing.validity_days
        for language, (one, many) in _DAYS.items():
            names[f"name_{language}"] = f"{brand} {size} – {days} {one if days == 1 else many}".strip()
    return names


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
