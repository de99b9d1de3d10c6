"""Demo providers for ``make run``: registry rows pointing at the local simulators.

Runs from ``seed_demo`` (``settings.DEMO_SEEDERS``) before the simulator
process starts, so it briefly starts any simulator whose demo port is free,
syncs the catalog from it over HTTP, and stops it again. Idempotent.
"""

from __future__ import annotations

import contextlib
import socket

from django.conf import settings

from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS as AGGREGATOR_CREDENTIALS
from provider_plugins.mtn.simulator import DEFAULT_CREDENTIALS as MTN_CREDENTIALS
from provider_plugins.registry import get_plugin
from provider_plugins.simulate import demo_ports
from provider_plugins.vtpass.simulator import DEFAULT_CREDENTIALS as VTPASS_CREDENTIALS

from .services import provider_register

DEMO_HOST = "127.0.0.1"


def demo_provider_specs(ports: dict[str, int]) -> list[dict]:
    vtpass = {k: VTPASS_CREDENTIALS[k] for k in ("api_key", "secret_key", "public_key")}
    specs = [
        {"name": "VTPass", "country": "NG", "plugin_key": "vtpass", "credentials": vtpass, "routing_priority": 10,
         "capabilities": ["airtime", "data", "electricity", "cable_tv"],
         "options": {"commission_bp": {"mtn": 300, "glo": 400, "airtel": 340, "etisalat": 400, "mtn-data": 300,
                                       "ikeja-electric": 100, "eko-electric": 100, "dstv": 150, "gotv": 150}}},
        {"name": "MTN Nigeria (direct)", "country": "NG", "plugin_key": "mtn", "credentials": MTN_CREDENTIALS,
         "routing_priority": 20, "capabilities": ["airtime", "data"], "options": {}},
    ]
    for country in ("GH", "SN", "CI"):
        specs.append({"name": "Aggregator", "country": country, "plugin_key": "aggregator",
                      "credentials": AGGREGATOR_CREDENTIALS, "routing_priority": 10,
                      "capabilities": ["airtime", "data"], "options": {"countries": [country]}})
    for spec in specs:
        spec["base_url"] = f"http://{DEMO_HOST}:{ports[spec['plugin_key']]}"
    return specs


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
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
            simulator_class = get_plugin(key).simulator
            if simulator_class is not None and _port_free(port):
                started.append(simulator_class(host=DEMO_HOST, port=port).start())
        yield
    finally:
        for simulator in started:
            simulator.stop()


def seed_demo_providers() -> list[str]:
    from shared_apps.catalog.services import catalog_sync_provider

    ports = demo_ports(getattr(settings, "PROVIDER_SIMULATOR_PORTS", None))
    providers = [provider_register(**spec) for spec in demo_provider_specs(ports)]
    lines = []
    with _simulators_running(ports):
        for provider in providers:
            report = catalog_sync_provider(provider_id=provider.pk)
            lines.append(f"catalog: {provider} +{report.created} ~{report.updated} -{report.withdrawn}")
    return lines
