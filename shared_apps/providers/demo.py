"""Demo providers for ``make run``: registry rows pointing at the local simulators.

Runs from ``seed_demo`` (``settings.DEMO_SEEDERS``) before the simulator
process starts, so it briefly starts any simulator whose demo port is free,
syncs the catalog from it over HTTP, and stops it again. Idempotent.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any, TypedDict

from django.conf import settings

from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS as AGGREGATOR_CREDENTIALS
from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS as DTONE_CREDENTIALS
from provider_plugins.interfaces.numbering import COUNTRIES
from provider_plugins.registry import get_plugin
from provider_plugins.simulate import demo_ports
from provider_plugins.vtpass.simulator import DEFAULT_CREDENTIALS as VTPASS_CREDENTIALS

from .services import provider_register

DEMO_HOST = "127.0.0.1"
# The path each plugin's API lives under at its host (DT One: https://dvs-api.dtone.com/v1).
BASE_PATHS = {"dtone": "/v1"}
AGGREGATOR_BILLS = ["electricity", "water", "cable_tv"]


class ProviderSpec(TypedDict):
    """One demo registry row: ``provider_register``'s keyword arguments."""

    name: str
    country: str
    plugin_key: str
    base_url: str
    credentials: dict[str, str]
    routing_priority: int
    capabilities: list[str]
    options: dict[str, Any]


def demo_provider_specs(ports: dict[str, int], *, web_port: int | None = None) -> list[ProviderSpec]:
    """VTPass in Nigeria, and both aggregators (Reloadly, DT One) in each of the 16 countries (``web_port``: where
    DT One calls back; default ``make run``'s web port, ``settings.DEMO_WEB_PORT``)."""
    if web_port is None:
        web_port = getattr(settings, "DEMO_WEB_PORT", 8000)

    def base_url(plugin_key: str) -> str:
        return f"http://{DEMO_HOST}:{ports[plugin_key]}{BASE_PATHS.get(plugin_key, '')}"

    vtpass = {k: VTPASS_CREDENTIALS[k] for k in ("api_key", "secret_key", "public_key")}
    specs = [
        ProviderSpec(
            name="VTPass", country="NG", plugin_key="vtpass", base_url=base_url("vtpass"), credentials=vtpass,
            routing_priority=10, capabilities=["airtime", "data", "electricity", "cable_tv", "education", "insurance"],
            options={"commission_bp": {"mtn": 300, "glo": 400, "airtel": 340, "etisalat": 400, "mtn-data": 300,
                                       "ikeja-electric": 100, "eko-electric": 100, "dstv": 150, "gotv": 150,
                                       "waec": 150, "waec-registration": 150, "jamb": 150, "ui-insure": 500}}),
    ]
    for country in sorted(COUNTRIES):
        nigeria = country == "NG"
        specs.append(ProviderSpec(
            name="Reloadly", country=country, plugin_key="aggregator", base_url=base_url("aggregator"),
            credentials=AGGREGATOR_CREDENTIALS, routing_priority=20 if nigeria else 10,
            capabilities=["airtime", "data", *AGGREGATOR_BILLS], options={"countries": [country]}))
        specs.append(ProviderSpec(
            name="DT One", country=country, plugin_key="dtone", base_url=base_url("dtone"),
            credentials=DTONE_CREDENTIALS, routing_priority=30 if nigeria else 20, capabilities=["airtime", "data"],
            options={"countries": [country],
                     "callback_url": f"http://{country.lower()}.localhost:{web_port}/webhook/dtone"}))
    return specs


def retire_demo_mtn_direct() -> None:
    """Demo databases from before the MTN-direct plugin was removed keep a row that can only fail."""
    from shared_apps.catalog.versions import catalog_changed

    from .models import Provider, ProviderStatus

    if Provider.objects.filter(plugin_key="mtn").exclude(status=ProviderStatus.DISABLED).update(
            status=ProviderStatus.DISABLED):
        catalog_changed()  # update() sends no signal


def demo_port_free(port: int) -> bool:
    """Nothing listens on the demo host's ``port`` (a simulator is started there), else one is used as is.

    SO_REUSEADDR as the simulators' own servers bind: the connections a simulator of an earlier run closed
    linger in TIME_WAIT for a minute, and a plain bind took that for a listener, so a second ``make run`` within
    the minute started no simulator and failed on "could not connect to the provider"."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((DEMO_HOST, port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _simulators_running(ports: dict[str, int]):
    started = []
    try:
        for key, port in ports.items():
            plugin = get_plugin(key)
            if plugin.simulator is not None and demo_port_free(port):
                started.append(plugin.load_simulator()(host=DEMO_HOST, port=port).start())
        yield
    finally:
        for simulator in started:
            simulator.stop()


def seed_demo_providers() -> list[str]:
    from shared_apps.catalog.services import catalog_sync_provider

    ports = demo_ports(getattr(settings, "PROVIDER_SIMULATOR_PORTS", None))
    retire_demo_mtn_direct()
    providers = [provider_register(**spec) for spec in demo_provider_specs(ports)]
    per_country: dict[str, list[str]] = {}
    with _simulators_running({key: ports[key] for key in {p.plugin_key for p in providers}}):
        for provider in providers:
            report = catalog_sync_provider(provider_id=provider.pk)
            per_country.setdefault(provider.country, []).append(
                f"{provider.name} +{report.created} ~{report.updated} -{report.withdrawn}")
    return [f"catalog {country}: {', '.join(parts)}" for country, parts in sorted(per_country.items())]
