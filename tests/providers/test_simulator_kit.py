"""The shared simulator machinery: control endpoint, per-request header, registry, runner."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from provider_plugins.interfaces import Capability, OutcomeStatus
from provider_plugins.registry import PLUGINS, UnknownPlugin, all_plugins, get_plugin
from provider_plugins.simkit.simulator import FAULT_HEADER, FaultMode
from provider_plugins.vtpass import make_request_id

from .helpers import VTPASS_API_KEYS, vtpass_request_id


def test_fault_can_be_set_over_http_for_a_number_of_requests(vtpass, vtpass_sim):
    answer = requests.post(f"{vtpass_sim.url}/__simulator__/fault", json={"mode": "failure", "times": 1}, timeout=2)
    assert answer.json() == {"mode": "failure", "times": 1}
    from .test_vtpass import airtime

    assert vtpass.airtime(airtime(vtpass_request_id())).status == OutcomeStatus.FAILED
    assert vtpass.airtime(airtime(vtpass_request_id(), amount_minor=20_000)).status == OutcomeStatus.SUCCESS
    deliveries = requests.get(f"{vtpass_sim.url}/__simulator__/deliveries", timeout=2).json()
    assert len(deliveries) == 1


def test_fault_header_applies_to_one_request(vtpass_sim):
    rid = vtpass_request_id()
    headers = {"api-key": VTPASS_API_KEYS["api_key"], "secret-key": VTPASS_API_KEYS["secret_key"],
               FAULT_HEADER: FaultMode.FAILURE.value}
    body = {"request_id": rid, "serviceID": "mtn", "amount": "100", "phone": "08011111111"}
    answer = requests.post(f"{vtpass_sim.url}/api/pay", json=body, headers=headers, timeout=2)
    assert answer.json()["code"] == "016"
    assert vtpass_sim.delivery_count(rid) == 0


def test_registry_loads_every_plugin_with_a_simulator():
    assert set(PLUGINS) >= {"vtpass", "aggregator", "dtone"} and "mtn" not in PLUGINS
    for plugin in all_plugins():
        assert plugin.simulator is not None and plugin.demo_port
        if Capability.AIRTIME in plugin.capabilities:
            assert plugin.catalog is not None
        else:
            assert set(plugin.capabilities) <= {Capability.PAYMENTS, Capability.PAYOUTS, Capability.SMS,
                                                Capability.KYC, Capability.FX_RATES, Capability.SANCTIONS}
    assert {p.key for p in all_plugins() if Capability.PAYMENTS in p.capabilities} >= {"paystack", "flutterwave"}
    assert get_plugin("vtpass").connector("electricity").__name__ == "VTPassConnector"
    assert len(get_plugin("aggregator").countries) == len(get_plugin("dtone").countries) == 16
    with pytest.raises(UnknownPlugin):
        get_plugin("nope")
    with pytest.raises(LookupError):
        get_plugin("dtone").connector("electricity")


def test_plugin_request_id_factory():
    from datetime import UTC, datetime

    created = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert get_plugin("vtpass").new_request_id("ord-9", created) == make_request_id("ord-9", created)
    assert get_plugin("dtone").new_request_id("ord-9", created) == "ord-9"


def test_simulate_runner_serves_every_simulator_until_terminated():
    keys = sorted(PLUGINS)
    proc = subprocess.Popen([sys.executable, "-m", "provider_plugins.simulate",
                             *[f"--port={key}=0" for key in keys]], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in keys]
        urls = {line.split()[1]: line.split()[2] for line in lines}
        assert set(urls) == set(keys)
        from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS

        answer = requests.get(f"{urls['dtone']}/v1/balances", timeout=2,
                              auth=(DEFAULT_CREDENTIALS["api_key"], DEFAULT_CREDENTIALS["api_secret"]))
        assert answer.status_code == 200 and answer.json()[0]["unit"] == "USD"
    finally:
        proc.terminate()
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert proc.returncode == 0
