"""The demo seeder registers providers at the simulators and syncs the catalog from them."""

from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from countries.codes import WEST_AFRICA
from shared_apps.catalog.models import Product
from shared_apps.providers.demo import seed_demo_providers
from shared_apps.providers.models import Provider, ProviderStatus

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_seed_registers_both_aggregators_in_every_country_and_syncs_idempotently():
    ports = [f"{key}={free_port()}" for key in ("vtpass", "aggregator", "dtone")]
    with override_settings(PROVIDER_SIMULATOR_PORTS=ports):
        lines = seed_demo_providers()
        again = seed_demo_providers()
    assert len(lines) == len(again) == 16
    assert all("+0 ~0 -0" in part for line in again for part in line.split(", "))
    seeded = Provider.objects.filter(name__in=("VTPass", "Reloadly", "DT One")).exclude(status=ProviderStatus.DISABLED)
    for country in WEST_AFRICA:
        airtime = Product.objects.filter(provider__in=seeded, country=country, product_type="airtime", is_active=True)
        assert airtime.values("provider").distinct().count() >= 2, country
        assert Product.objects.filter(provider__in=seeded, country=country, product_type="data").exists(), country
        assert Product.objects.filter(provider__in=seeded, country=country, product_type="electricity").exists()
    assert Product.objects.filter(provider__in=seeded, product_type="education", country="NG").count() >= 3
    assert Product.objects.filter(provider__in=seeded, product_type="insurance", country="NG").exists()
    senegal = Product.objects.filter(provider__in=seeded, country="SN")
    bundle = senegal.get(provider__plugin_key="aggregator", provider_product_code="302:1000")
    assert bundle.name_fr == "Orange Senegal 2.5GB – 30 jours" and bundle.operator == "orange"
    assert bundle.provider_fx == {"rate": "605.5", "currency": "USD"}  # Reloadly prices our USD account
    dtone = Provider.objects.get(name="DT One", country="BJ")
    assert dtone.base_url.endswith(f"{ports[2].split('=')[1]}/v1") and dtone.has_credentials
    assert dtone.options["callback_url"] == "http://bj.localhost:8000/webhook/dtone"


def test_the_demo_history_starts_a_simulator_for_every_provider_and_gateway_it_uses():
    """``make run`` seeds 30 days of history through the simulators it starts (tenant_apps.orders.demo): each is a
    registered plugin with a simulator and a demo port, and together they cover the demo's providers and funding
    gateways (a plugin removed from the registry, MTN direct, stayed in that list and broke ``make run``)."""
    from provider_plugins.registry import get_plugin
    from provider_plugins.simulate import demo_ports
    from shared_apps.providers.demo import demo_provider_specs
    from tenant_apps.orders.demo import SIMULATORS, funding_gateway
    from tenant_apps.wallet.demo import DEMO_GATEWAYS

    ports = demo_ports()
    for key in SIMULATORS:
        plugin = get_plugin(key)  # UnknownPlugin for a key the registry lost
        assert plugin.simulator is not None and key in ports, key
    providers = {spec["plugin_key"] for spec in demo_provider_specs(ports)}
    gateways = {country: funding_gateway(country) for country in WEST_AFRICA}
    assert providers | {gateway for gateway in gateways.values() if gateway} <= set(SIMULATORS)
    configured = {(code, name) for code, name, _ in DEMO_GATEWAYS}
    for country, gateway in gateways.items():  # a gateway the demo configures in that country, or none at all
        assert gateway is None or (country, gateway) in configured, country
    assert sum(gateway is not None for gateway in gateways.values()) >= 12, gateways
