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
    assert bundle.name_fr == "Orange Sénégal 2,5 Go – 30 jours" and bundle.operator == "orange"  # French throughout
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


def test_the_demo_follows_the_ports_make_run_was_given(monkeypatch):
    """``PORT=18080 PROVIDER_SIMULATOR_PORTS=... make run`` (a machine where 8000 and the simulators' ports are taken):
    the printed URLs, DT One's callback URL, the USSD gateway's commands and the SMS outbox used 8000, 8030 and 8025
    whatever the variables said, so callbacks went to another server and the printed commands to nothing."""
    from nexustop.settings.env import simulator_url
    from provider_plugins.simulate import demo_ports
    from shared_apps.providers.demo import demo_provider_specs
    from tenant_apps.portal.demo import portal_demo_lines
    from tenant_apps.ussd.demo import seed_demo_ussd

    moved = ["africastalking_ussd=18030", "sms_gateway=18025", "kyc_verifier=18026"]
    with override_settings(DEMO_WEB_PORT=18080, PROVIDER_SIMULATOR_PORTS=moved,
                           SMS_GATEWAY={"BASE_URL": "http://127.0.0.1:18025"}):
        specs = demo_provider_specs(demo_ports(moved))
        ussd = seed_demo_ussd()
        portal = portal_demo_lines()
    dtone = next(spec for spec in specs if spec["plugin_key"] == "dtone" and spec["country"] == "BJ")
    assert dtone["options"]["callback_url"] == "http://bj.localhost:18080/webhook/dtone"
    ng = next(line for line in ussd if line.startswith("USSD ng:"))
    assert "http://127.0.0.1:18030/_sim/channels" in ng and "http://ng.localhost:18080/ussd/" in ng
    assert ":8000" not in ng and ":8030" not in ng
    assert all(":8000" not in line and ":8025" not in line for line in portal)
    assert "http://127.0.0.1:18025/outbox" in portal[1]
    # The SMS and KYC settings call those two simulators directly: they follow the same variables.
    monkeypatch.setenv("PROVIDER_SIMULATOR_PORTS", ",".join(moved))
    assert simulator_url("sms_gateway", 8025) == "http://127.0.0.1:18025"
    assert simulator_url("kyc_verifier", 8026) == "http://127.0.0.1:18026"
    monkeypatch.delenv("PROVIDER_SIMULATOR_PORTS")
    monkeypatch.setenv("SIMULATOR_PORT_SMS_GATEWAY", "19025")
    assert simulator_url("sms_gateway", 8025) == "http://127.0.0.1:19025"


def test_make_run_names_the_taken_ports_and_their_variables_before_starting_anything(monkeypatch):
    from nexustop_dev.devstack import taken_ports

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        monkeypatch.setenv("PROVIDER_SIMULATOR_PORTS", f"vtpass={port}")
        web = free_port()
        [line] = [line for line in taken_ports(web, None) if line.startswith(f"{port} ")]
        assert "PROVIDER_SIMULATOR_PORTS=vtpass=" in line
        monkeypatch.delenv("PROVIDER_SIMULATOR_PORTS")
        assert any(line.startswith(f"{port} ") and "PORT=<port>" in line for line in taken_ports(port, None))
    assert all(not line.startswith(f"{port} ") for line in taken_ports(port, None))
