"""The demo seeder registers providers at the simulators and syncs the catalog from them."""

from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from shared_apps.catalog.models import Product
from shared_apps.providers.demo import seed_demo_providers
from shared_apps.providers.models import Provider

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_seed_registers_providers_and_syncs_catalog_idempotently():
    ports = [f"{key}={free_port()}" for key in ("vtpass", "aggregator", "mtn")]
    with override_settings(PROVIDER_SIMULATOR_PORTS=ports):
        lines = seed_demo_providers()
        counts = {(p.name, p.country): p.products.count() for p in Provider.objects.all()}
        again = seed_demo_providers()
    assert len(lines) == len(again) == 5
    assert counts[("VTPass", "NG")] == 21 and counts[("MTN Nigeria (direct)", "NG")] == 4
    assert counts[("Aggregator", "GH")] == 5 and counts[("Aggregator", "SN")] == 5
    assert counts[("Aggregator", "CI")] == 2
    assert all("+0 ~0 -0" in line for line in again)
    seeded_sn = Product.objects.filter(provider__name="Aggregator", provider__country="SN")
    assert seeded_sn.filter(currency="XOF").count() == 5  # other tests may leave SN products of their own providers
    bundle = seeded_sn.get(provider_product_code="302:1000")
    assert bundle.name_fr == "Orange Senegal Internet 1GB – 7 jours" and bundle.operator == "orange-senegal-internet"
    assert seeded_sn.get(provider_product_code="302:500").name_pt.endswith("1 dia")
    vtpass = Provider.objects.get(name="VTPass")
    assert vtpass.base_url.endswith(ports[0].split("=")[1]) and vtpass.has_credentials
