"""Catalog sync through the plugin over HTTP: create, change, withdraw, reactivate, idempotent."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from provider_plugins.interfaces import ProviderUnavailable
from shared_apps.catalog.models import Product
from shared_apps.catalog.services import catalog_sync_provider
from shared_apps.catalog.tasks import sync_all_catalogs, sync_provider_catalog

pytestmark = pytest.mark.django_db


def snapshot(provider):
    return {p.provider_product_code: (p.updated_at, p.is_active, p.cost_price_minor)
            for p in Product.objects.filter(provider=provider)}


def test_first_sync_creates_every_product(vtpass_provider):
    report = catalog_sync_provider(provider_id=vtpass_provider.pk)
    products = Product.objects.filter(provider=vtpass_provider)
    assert report.created == products.count() == 21
    assert set(products.values_list("product_type", flat=True)) == {"airtime", "data", "electricity", "cable_tv"}
    bundle = products.get(provider_product_code="mtn-100mb-1000")
    assert (bundle.face_value_minor, bundle.cost_price_minor, bundle.currency, bundle.country) == (
        100_000, 97_000, "NGN", "NG")
    airtime = products.get(provider_product_code="mtn")
    assert (airtime.min_amount_minor, airtime.max_amount_minor, airtime.cost_rate_bp) == (5_000, 5_000_000, 9_900)
    vtpass_provider.refresh_from_db()
    assert vtpass_provider.last_catalog_sync_at is not None


def test_second_sync_changes_nothing(vtpass_provider):
    catalog_sync_provider(provider_id=vtpass_provider.pk)
    before = snapshot(vtpass_provider)
    report = catalog_sync_provider(provider_id=vtpass_provider.pk)
    assert (report.created, report.updated, report.withdrawn, report.reactivated) == (0, 0, 0, 0)
    assert report.unchanged == 21
    assert snapshot(vtpass_provider) == before


def test_changed_price_is_updated(vtpass_provider, vtpass_sim):
    catalog_sync_provider(provider_id=vtpass_provider.pk)
    vtpass_sim.set_variation_amount("mtn-data", "mtn-3gb-2500", "2600.00")
    report = catalog_sync_provider(provider_id=vtpass_provider.pk)
    assert (report.updated, report.unchanged) == (1, 20)
    product = Product.objects.get(provider=vtpass_provider, provider_product_code="mtn-3gb-2500")
    assert (product.face_value_minor, product.cost_price_minor) == (260_000, 252_200)


def test_withdrawn_products_are_deactivated_and_come_back(vtpass_provider, vtpass_sim):
    catalog_sync_provider(provider_id=vtpass_provider.pk)
    vtpass_sim.withdraw_variation("dstv", "dstv-yanga")
    report = catalog_sync_provider(provider_id=vtpass_provider.pk)
    assert report.withdrawn == 1
    product = Product.objects.get(provider=vtpass_provider, provider_product_code="dstv-yanga")
    assert product.is_active is False and product.withdrawn_at is not None
    assert catalog_sync_provider(provider_id=vtpass_provider.pk).withdrawn == 0  # still idempotent
    vtpass_sim.variations["dstv"].append({"variation_code": "dstv-yanga", "name": "DStv Yanga N6,000",
                                          "variation_amount": "6000.00"})
    report = catalog_sync_provider(provider_id=vtpass_provider.pk)
    assert report.reactivated == 1
    product.refresh_from_db()
    assert product.is_active and product.withdrawn_at is None


def test_an_empty_listing_withdraws_nothing(vtpass_provider, vtpass_sim):
    catalog_sync_provider(provider_id=vtpass_provider.pk)
    for group in vtpass_sim.services.values():
        group.clear()
    report = catalog_sync_provider(provider_id=vtpass_provider.pk)
    assert report.withdrawn == 0 and report.skipped == 21
    assert Product.objects.filter(provider=vtpass_provider, is_active=True).count() == 21


def test_a_provider_outage_raises_and_changes_nothing(vtpass_provider, vtpass_sim):
    catalog_sync_provider(provider_id=vtpass_provider.pk)
    before = snapshot(vtpass_provider)
    vtpass_sim.stop()
    with pytest.raises(ProviderUnavailable):
        catalog_sync_provider(provider_id=vtpass_provider.pk)
    assert snapshot(vtpass_provider) == before


def test_names_are_translated_with_english_fallback(vtpass_provider):
    catalog_sync_provider(provider_id=vtpass_provider.pk)
    bundle = Product.objects.get(provider=vtpass_provider, provider_product_code="mtn-100mb-1000")
    airtime = Product.objects.get(provider=vtpass_provider, provider_product_code="mtn")
    assert bundle.name_en == "N1000 1.5GB - 30 days"
    assert bundle.name_fr == "MTN 1,5 Go – 30 jours" and bundle.name_pt == "MTN 1,5 GB – 30 dias"
    with translation.override("fr"):
        assert bundle.name == "MTN 1,5 Go – 30 jours"
        assert airtime.name == "Recharge MTN VTU"  # airtime is named as a top-up
    with translation.override("pt"):
        assert airtime.name == "Recarga MTN VTU"
    with translation.override("en"):
        assert airtime.name == "MTN Airtime VTU"


def test_staff_translations_survive_the_sync(vtpass_provider):
    catalog_sync_provider(provider_id=vtpass_provider.pk)
    bundle = Product.objects.get(provider=vtpass_provider, provider_product_code="mtn-100mb-1000")
    Product.objects.filter(pk=bundle.pk).update(name_fr="Forfait MTN 1,5 Go", translations_locked=True)
    catalog_sync_provider(provider_id=vtpass_provider.pk)
    bundle.refresh_from_db()
    assert bundle.name_fr == "Forfait MTN 1,5 Go"


def test_tasks_are_registered_and_scheduled(vtpass_provider):
    schedule = settings.CELERY_BEAT_SCHEDULE["catalog-sync-all-providers"]
    assert schedule["task"] == sync_all_catalogs.name == "catalog.sync_all"
    assert sync_provider_catalog.name == "catalog.sync_provider"
    result = sync_provider_catalog.apply(args=[vtpass_provider.pk]).get()
    assert result["created"] == 21
