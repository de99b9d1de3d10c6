"""Fidelity: Reloadly's official Python SDK (``reloadly-airtime`` on PyPI), pointed at our simulator by its
base URL only, calls every endpoint it knows and gets answers it accepts.

The SDK pins packages ours cannot live with (``jwt`` shadows PyJWT), so it runs in its own virtual
environment (tests/support/sdk_envs.py), built once per machine (a few seconds; reused while the pins stay the same).
Its telemetry (OpenTelemetry, exporting to Reloadly) is replaced by a no-op module: no test phones home.
The SDK fetches tokens from a hard-coded auth.reloadly.com, so the token comes from the simulator's own
``/oauth/token`` and is handed to the SDK as ``accessToken`` (a constructor argument it documents).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import requests

from provider_plugins.aggregator.protocol import AUDIENCE
from provider_plugins.aggregator.simulator import AggregatorSimulator
from tests.support.sdk_envs import sdk_python

from .helpers import AGGREGATOR_CREDENTIALS

SDK_PINS = ["reloadly-airtime==1.1.2", "reloadly-core==1.1.1", "reloadly-auth==1.1.1", "jwt==1.4.0",
            "cryptography==51.0.1", "cffi==2.1.1", "pycparser==3.12", "email-validator==2.4.0", "dnspython==2.9.2",
            "requests==2.34.2", "urllib3==2.8.0", "certifi==2026.10.19.post1", "idna==3.21",
            "charset-normalizer==3.5.3"]
NO_TELEMETRY = "def configure_opentelemetry(*args, **kwargs):\n    return None\n"

SCRIPT = r"""
import json, sys
from reloadly_airtime.airtime.sdk.client.AirtimeAPI import AirtimeAPI
base, token, phone = sys.argv[1:4]
api = AirtimeAPI(clientId="cid", clientSecret="secret", accessToken=token, enableTelemetry=False)
api.baseUrl = base  # the only change: where the SDK sends its requests
out = {}
out["countries"] = api.countries().List()
out["operators"] = api.operators().listByCountryCode_without_Filters("BJ")
out["operator"] = api.operators().getById_without_filter(600)
out["detected"] = api.operators().autoDetect(phone, "BJ")
out["commissions"] = api.discounts().List_without_filter()
out["promotions"] = api.promotions().List_without_filter()
out["balance"] = api.accounts().getBalance()
out["topup"] = api.topups().send({"operatorId": 600, "amount": 1000, "useLocalAmount": True,
                                  "customIdentifier": "sdk-fidelity-1",
                                  "recipientPhone": {"countryCode": "BJ", "number": phone}})
out["status"] = api.topups().status(out["topup"]["transactionId"])
out["history"] = api.reports().transactionHistory().List_without_filter()
out["one"] = api.reports().transactionHistory().getById(out["topup"]["transactionId"])
print(json.dumps(out))
"""


def _no_telemetry(venv: Path) -> None:
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "opentelemetry").mkdir(exist_ok=True)
    (site / "opentelemetry" / "__init__.py").write_text("")
    (site / "opentelemetry" / "launcher.py").write_text(NO_TELEMETRY)


@pytest.fixture(scope="module")
def reloadly_python() -> Path:
    return sdk_python("reloadly", SDK_PINS, prepare=_no_telemetry)


def test_the_official_sdk_parses_every_answer_of_the_simulator(reloadly_python):
    with AggregatorSimulator() as sim:
        token = requests.post(sim.url + "/oauth/token", json={**{k: AGGREGATOR_CREDENTIALS[k] for k in (
            "client_id", "client_secret")}, "grant_type": "client_credentials", "audience": AUDIENCE},
                              timeout=5).json()["access_token"]
        run = subprocess.run([str(reloadly_python), "-c", SCRIPT, sim.url, token, "2290166123456"], capture_output=True,
                             text=True, timeout=60, env={**os.environ, "PYTHONPATH": ""})
        assert run.returncode == 0, run.stderr[-2000:]
        out = json.loads(run.stdout)
        assert sim.delivery_count("sdk-fidelity-1") == 1
    assert {c["isoName"] for c in out["countries"]} >= {"BJ", "NG", "TG"}
    # The Operator DTO's fields, as the SDK documents them.
    operator = out["operator"]
    for field in ("id", "name", "bundle", "data", "pin", "supportsLocalAmounts", "denominationType",
                  "senderCurrencyCode", "destinationCurrencyCode", "localMinAmount", "localMaxAmount", "minAmount",
                  "maxAmount", "fx", "country", "logoUrls", "promotions"):
        assert field in operator, field
    assert operator["fx"]["currencyCode"] == "XOF" and operator["senderCurrencyCode"] == "USD"
    assert out["detected"]["operatorId"] == 600 and len(out["operators"]) >= 4
    assert out["commissions"]["content"] and out["promotions"]["content"] == []
    assert out["balance"]["currencyCode"] == "USD"
    topup = out["topup"]
    for field in ("transactionId", "operatorTransactionId", "customIdentifier", "recipientPhone", "countryCode",
                  "operatorId", "operatorName", "discount", "requestedAmount", "requestedAmountCurrencyCode",
                  "deliveredAmount", "deliveredAmountCurrencyCode", "transactionDate", "balanceInfo"):
        assert field in topup, field
    assert (topup["status"], topup["deliveredAmount"], topup["deliveredAmountCurrencyCode"]) == (
        "SUCCESSFUL", 1000, "XOF")
    assert out["status"]["status"] == "SUCCESSFUL" and out["status"]["transaction"]["transactionId"] == \
        topup["transactionId"]
    assert out["history"]["content"][0]["customIdentifier"] == "sdk-fidelity-1"
    assert out["one"]["transactionId"] == topup["transactionId"]
