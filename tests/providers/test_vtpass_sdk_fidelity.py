"""Fidelity: the community SDK ``django-vtpass`` (its ``vtpass.client.VTpassClient``, a plain HTTP client that
maps VTPass codes and ``content.transactions.status`` to statuses, tokens and amounts), pointed at the VTPass
simulator by its ``base_url`` constructor argument only, parses every answer unmodified.

VTPass publishes no SDK of its own. ``django-vtpass`` ships a top-level package named ``vtpass``, so it is
installed with ``--no-deps`` into a directory of its own (tests/support/sdk_envs.py: built once per machine,
reused while the pin stays the same) and run in a child of our interpreter with only that directory on its path: its
dependencies (Django, requests) are ours, already pinned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provider_plugins.vtpass import protocol as p
from provider_plugins.vtpass.simulator import DEFAULT_CREDENTIALS, VTPassSimulator
from tests.support.sdk_envs import sdk_target

SDK_PIN = "django-vtpass==1.0.0"

SCRIPT = r"""
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from django.conf import settings
settings.configure(VTPASS={"LOG_REQUESTS": False, "MAX_RETRIES": 0})
from vtpass.client import VTpassClient
from vtpass.exceptions import VTpassValidationError

base, creds, phones = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
api = VTpassClient(api_key=creds["api_key"], public_key=creds["public_key"], secret_key=creds["secret_key"],
                   base_url=base + "/api/")  # the only change: where the SDK sends its requests
basic = VTpassClient(username=creds["username"], password=creds["password"], auth_method="basic",
                     base_url=base + "/api/")
stamp = datetime.now(ZoneInfo("Africa/Lagos")).strftime("%Y%m%d%H%M")


def bought(response):
    return {"status": response.status, "code": response.code, "request_id": response.request_id,
            "transaction_id": response.vtpass_transaction_id, "amount": str(response.amount),
            "total_amount": str(response.total_amount), "token": response.token, "units": response.units,
            "purchased_code": response.purchased_code, "vend": sorted(response.vend_details)}


out = {"balance": str(api.get_balance()), "basic_balance": str(basic.get_balance()),
       "categories": api.get_service_categories(), "airtime_services": api.get_services("airtime"),
       "data_plans": api.get_variations("mtn-data"), "meter": api.verify("ikeja-electric", phones["meter"],
                                                                          type="prepaid"),
       "smartcard": api.verify("dstv", phones["smartcard"])}
try:
    api.verify("ikeja-electric", "9999999999999", type="prepaid")
except VTpassValidationError as error:
    out["bad_meter"] = str(error)
out["airtime"] = bought(api.pay(request_id=stamp + "sdkair", serviceID="mtn", amount=100, phone=phones["ok"]))
out["data"] = bought(basic.pay(request_id=stamp + "sdkdata", serviceID="mtn-data", billersCode=phones["ok"],
                               variation_code="mtn-10mb-100", phone=phones["ok"]))
out["electricity"] = bought(api.pay(request_id=stamp + "sdkelec", serviceID="ikeja-electric",
                                    billersCode=phones["meter"], variation_code="prepaid", amount=1500,
                                    phone=phones["ok"]))
out["tv"] = bought(api.pay(request_id=stamp + "sdktv", serviceID="dstv", billersCode=phones["smartcard"],
                           variation_code="dstv-padi", subscription_type="change", phone=phones["ok"]))
out["failed"] = bought(api.pay(request_id=stamp + "sdkfail", serviceID="mtn", amount=100, phone=phones["bad"]))
out["pending"] = bought(api.pay(request_id=stamp + "sdkpend", serviceID="mtn", amount=200, phone=phones["pending"]))
out["requery_pending"] = bought(api.requery(stamp + "sdkpend"))
out["requery_done"] = bought(api.requery(stamp + "sdkpend"))
out["requery_airtime"] = bought(basic.requery(stamp + "sdkair"))
out["requery_unknown"] = bought(api.requery(stamp + "nosuchid"))
out["duplicate"] = bought(api.pay(request_id=stamp + "sdkair", serviceID="mtn", amount=100, phone=phones["ok"]))
out["balance_after"] = str(api.get_balance())
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def sdk_path() -> Path:
    return sdk_target("django-vtpass", [SDK_PIN])


def test_the_community_sdk_parses_every_answer_of_the_simulator(sdk_path):
    phones = {"ok": p.SANDBOX_SUCCESS_PHONE, "bad": "08099999999", "pending": p.SANDBOX_PENDING_PHONE,
              "meter": p.SANDBOX_PREPAID_METER, "smartcard": p.SANDBOX_SMARTCARD}
    with VTPassSimulator(strict_sandbox=True, duplicate_window_seconds=0, pending_requeries=1,
                         balance_minor=50_000_00) as sim:
        run = subprocess.run([sys.executable, "-c", SCRIPT, sim.url, json.dumps(DEFAULT_CREDENTIALS),
                              json.dumps(phones)], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PYTHONPATH": str(sdk_path)})
        assert run.returncode == 0, run.stderr[-3000:]
        out = json.loads(run.stdout)
    assert out["balance"] == out["basic_balance"] == "50000.0"
    assert {c["identifier"] for c in out["categories"]} >= {"airtime", "data", "tv-subscription", "electricity-bill"}
    assert all(c["name"] for c in out["categories"])
    mtn = next(s for s in out["airtime_services"] if s["serviceID"] == "mtn")
    assert (mtn["product_type"], mtn["convinience_fee"], mtn["minimium_amount"]) == ("flexible", "0 %", "50")
    plans = {v["variation_code"]: v["variation_amount"] for v in out["data_plans"]["variations"]}
    assert plans["mtn-10mb-100"] == "100.00" and out["data_plans"]["serviceID"] == "mtn-data"
    assert out["meter"]["Customer_Name"] and out["meter"]["Meter_Number"] == p.SANDBOX_PREPAID_METER
    assert out["smartcard"]["Customer_Name"] and out["smartcard"]["Renewal_Amount"] == 4400
    assert "meter" in out["bad_meter"]

    airtime = out["airtime"]
    assert (airtime["status"], airtime["code"], airtime["amount"], airtime["total_amount"]) == (
        "successful", "000", "100.00", "100.00")
    assert airtime["request_id"].endswith("sdkair") and airtime["transaction_id"]
    assert (out["data"]["status"], out["data"]["amount"]) == ("successful", "100.00")
    electricity = out["electricity"]
    assert electricity["status"] == "successful" and electricity["amount"] == "1500.00"
    assert len(electricity["token"].split("-")) == 5 and electricity["units"].endswith("kWh")
    assert {"mainToken", "purchased_code", "units"} <= set(electricity["vend"])
    assert (out["tv"]["status"], out["tv"]["amount"]) == ("successful", "4400.00")
    assert (out["failed"]["status"], out["failed"]["code"]) == ("failed", p.FAILED)
    assert out["pending"]["status"] == out["requery_pending"]["status"] == "pending"
    assert out["requery_done"]["status"] == "successful"
    assert out["requery_done"]["transaction_id"] == out["pending"]["transaction_id"]
    assert out["requery_airtime"]["transaction_id"] == airtime["transaction_id"]
    assert (out["requery_unknown"]["status"], out["requery_unknown"]["code"]) == ("failed", p.UNKNOWN_REQUEST_ID)
    # A reused request_id answers 014, which the SDK keeps pending (settled by requery), never failed.
    assert (out["duplicate"]["status"], out["duplicate"]["code"]) == ("pending", p.DUPLICATE_REQUEST_ID)
    # The failed purchase was refunded; the four delivered ones and the pending-then-delivered one were debited.
    assert out["balance_after"] == str(50000.0 - (100 + 100 + 1500 + 4400 + 200))
