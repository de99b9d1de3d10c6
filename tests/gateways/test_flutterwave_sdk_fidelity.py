"""Fidelity: the Flutterwave v3 client of the community package ``django-flutterwave-wallet`` (1.0.0:
``flutterwave_wallet.flutterwave.FlutterwaveClient``), pointed at the Flutterwave simulator by its ``base_url``
argument only, runs every call the simulator models and parses each answer unmodified (it refuses any body whose
``status`` is not ``success``, and pages by ``meta.page_info``): balances, banks, account resolution, the hosted
payment link, verification by reference and by id, the transaction list, refunds, the transfer fee, transfers with
their status and list, and Flutterwave's errors as its ``FlutterwaveAPIError`` (status, ``is_not_found``). Its
``verify_webhook`` accepts the simulator's ``verif-hash`` webhooks and refuses a wrong hash.

Why this client: Flutterwave's official ``rave_python`` (1.5.0) speaks v2 only (``v2/gpx/...``, ``flwv3-pug/...``,
``seckey`` in the body) where the simulator and our connector speak v3, and it calls Flutterwave's identity and
telemetry hosts from its constructor; ``python-flutterwave`` and ``flwave`` hard-code ``https://api.flutterwave.com``
inside each function. Left out: what the simulator does not model (direct charges, tokenized charges, virtual
accounts, subaccounts, plans, bills, FX, beneficiaries, bulk transfers, retries).

The package is a Django app that needs djmoney and DRF for its models, but its client needs only Django and
requests, which are ours: it is installed with ``--no-deps`` into a directory of its own (tests/support/sdk_envs.py:
built once per machine, reused while the pin stays the same) and run in a child of our interpreter with minimal
Django settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from provider_plugins.flutterwave.simulator import FlutterwaveSimulator
from provider_plugins.simkit.gateway_sim import WebhookSink
from tests.support.sdk_envs import sdk_target
from tests.support.waiting import wait_for

SDK_PIN = "django-flutterwave-wallet==1.0.0"
SECRET_KEY = "FLWSECK_TEST-8f3c2b1a9d7e6f5a4b3c2d1e0f9a8b7c-X"  # Flutterwave's test keys: FLWSECK_TEST-<32 hex>-X
SECRET_HASH = "nexustop-flw-webhook-hash"

PRELUDE = r"""
import json, sys, time
from django.conf import settings
settings.configure(USE_I18N=False)
from flutterwave_wallet.exceptions import FlutterwaveAPIError
from flutterwave_wallet.flutterwave import FlutterwaveClient, verify_webhook
"""

DRIVE = PRELUDE + r"""
import requests
base, key, reference = sys.argv[1], sys.argv[2], sys.argv[3]
flw = FlutterwaveClient(secret_key=key, base_url=base + "/v3", max_retries=0, timeout=10)  # the only change
out = {}


def refused(call):
    try:
        call()
    except FlutterwaveAPIError as error:
        return {"status": error.status_code, "message": error.flutterwave_message, "definitive": error.is_definitive,
                "not_found": error.is_not_found}
    return "accepted"


out["balances"] = flw.balances.all()
out["ngn_before"] = flw.balances.currency("NGN")
out["banks_ng"], out["banks_gh"] = flw.banks.list("NG"), flw.banks.list("GH")
out["resolved"] = flw.verification.resolve_account("0690000031", "044")
out["bad_account"] = refused(lambda: flw.verification.resolve_account("9912345678", "044"))
out["link"] = flw.payments.create(tx_ref=reference, amount=2500.5, currency="NGN",
                                  redirect_url="https://shop.test/back",
                                  customer={"email": "ada@example.com", "phonenumber": "08030000001",
                                            "name": "Ada Obi"},
                                  customizations={"title": "Wallet funding"}, meta={"wallet": "w-1"})
out["unpaid"] = refused(lambda: flw.transactions.verify_by_reference(reference))
requests.post(f"{base}/_simulator/complete/{reference}", json={}, timeout=10).raise_for_status()  # the customer pays
paid = out["by_reference"] = flw.transactions.verify_by_reference(reference)
out["by_id"] = flw.transactions.verify(paid["id"])
out["listed"] = flw.transactions.list(tx_ref=reference)
out["all_transactions"] = list(flw.paginate("transactions"))
out["refund"] = flw.transactions.refund(paid["id"], amount=500, comments="Partial refund")
out["refund_fetched"] = flw.refunds.fetch(out["refund"]["id"])
out["refunds"] = flw.refunds.list()
out["too_much_refund"] = refused(lambda: flw.transactions.refund(paid["id"], amount=5000))
out["fee"] = flw.transfers.fee(amount=1000, currency="NGN")
sent = out["transfer"] = flw.transfers.create(account_bank="044", account_number="0690000031", amount=1000,
                                              currency="NGN", reference=reference + "-po", narration="Payout",
                                              debit_currency="NGN")
deadline = time.monotonic() + 10
while (fetched := flw.transfers.fetch(sent["id"]))["status"] in ("NEW", "PENDING") and time.monotonic() < deadline:
    time.sleep(0.02)
out["transfer_done"] = fetched
out["by_reference_list"] = flw.transfers.list(reference=reference + "-po")
out["successful_list"] = flw.transfers.list(status="SUCCESSFUL")
out["all_transfers"] = list(flw.paginate("transfers"))
out["duplicate"] = refused(lambda: flw.transfers.create(account_bank="044", account_number="0690000031",
                                                        amount=1000, currency="NGN", reference=reference + "-po"))
out["unknown_transfer"] = refused(lambda: flw.transfers.fetch(1))
out["bad_key"] = refused(lambda: FlutterwaveClient(secret_key="FLWSECK_TEST-0-X", base_url=base + "/v3",
                                                   max_retries=0).balances.all())
out["ngn_after"] = flw.balances.currency("NGN")
print(json.dumps(out))
"""

WEBHOOKS = PRELUDE + r"""
from requests.structures import CaseInsensitiveDict  # case-insensitive, as Django's request.headers
deliveries, secret_hash = json.loads(sys.argv[1]), sys.argv[2]
print(json.dumps([[verify_webhook(d["body"].encode(), CaseInsensitiveDict(d["headers"]), secret_hash=secret_hash),
                   verify_webhook(d["body"].encode(), CaseInsensitiveDict(d["headers"]),
                                  secret_hash=secret_hash + "-not")]
                  for d in deliveries]))
"""


@pytest.fixture(scope="module")
def sdk_path() -> Path:
    return sdk_target("django-flutterwave-wallet", [SDK_PIN])


@pytest.fixture(scope="module")
def sim(hook: WebhookSink) -> Iterator[FlutterwaveSimulator]:
    with FlutterwaveSimulator(secret_key=SECRET_KEY, secret_hash=SECRET_HASH, webhook_url=hook.url,
                              transfer_delay=0.02, balance_minor=1_000_000_00) as server:
        yield server


def _child(sdk_path: Path, script: str, *args: str) -> object:
    run = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(sdk_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_the_v3_client_parses_every_answer_of_the_simulator(sdk_path, sim, hook):
    reference = "sdk-flw-0001"
    out = _child(sdk_path, DRIVE, sim.url, SECRET_KEY, reference)
    assert isinstance(out, dict)
    assert {b["currency"] for b in out["balances"]} >= {"NGN"}
    assert out["ngn_before"] == {"currency": "NGN", "available_balance": 1_000_000, "ledger_balance": 1_000_000}
    assert {"044": "Access Bank"}.items() <= {b["code"]: b["name"] for b in out["banks_ng"]}.items()
    assert all(set(b) == {"id", "code", "name"} for b in out["banks_ng"] + out["banks_gh"])
    assert out["resolved"] == {"account_number": "0690000031", "account_name": "FLW ACCOUNT 0031"}
    assert out["bad_account"]["status"] == 400 and out["bad_account"]["definitive"]
    assert out["link"]["link"].startswith(sim.url + "/checkout/")
    assert out["unpaid"]["status"] == 400 and out["unpaid"]["not_found"]

    paid = out["by_reference"]
    assert out["by_id"] == paid and paid["tx_ref"] == reference and paid["status"] == "successful"
    assert (paid["amount"], paid["charged_amount"], paid["currency"]) == (2500.5, 2500.5, "NGN")
    assert paid["app_fee"] == 35.0 and paid["amount_settled"] == 2465.5 and paid["merchant_fee"] == 0
    assert paid["customer"]["email"] == "ada@example.com" and paid["customer"]["name"] == "Ada Obi"
    assert paid["card"]["last_4digits"] and paid["flw_ref"] and paid["meta"] == {"wallet": "w-1"}
    assert [t["id"] for t in out["listed"]] == [paid["id"]] and paid["id"] in {t["id"] for t in out["all_transactions"]}

    refund = out["refund"]
    assert (refund["tx_id"], refund["amount_refunded"], refund["status"]) == (paid["id"], 500, "completed")
    assert refund["flw_ref"].startswith("URF_") and refund["destination"] == "payment_source"
    assert out["refund_fetched"] == refund and [r["id"] for r in out["refunds"]] == [refund["id"]]
    assert out["too_much_refund"]["status"] == 400

    assert out["fee"] == [{"currency": "NGN", "fee_type": "value", "fee": 10.75}]
    sent, done = out["transfer"], out["transfer_done"]
    assert sent["status"] == "NEW" and sent["amount"] == 1000 and sent["fee"] == 10.75
    assert sent["bank_name"] == "Access Bank" and sent["full_name"] == "FLW ACCOUNT 0031"
    assert done["id"] == sent["id"] and done["status"] == "SUCCESSFUL" and done["complete_message"]
    assert [t["id"] for t in out["by_reference_list"]] == [sent["id"]]
    assert sent["id"] in {t["id"] for t in out["successful_list"]} | {t["id"] for t in out["all_transfers"]}
    assert out["duplicate"]["status"] == 400 and "already exists" in out["duplicate"]["message"]
    assert out["unknown_transfer"]["status"] == 404 and out["unknown_transfer"]["not_found"]
    assert out["bad_key"]["status"] == 401
    # The wallet paid the transfer, its fee and the refund.
    assert out["ngn_after"]["available_balance"] == 1_000_000 - 1000 - 10.75 - 500

    deliveries = wait_for(lambda: [r for r in hook.received if reference.encode() in r["body"]] or None)
    checked = _child(sdk_path, WEBHOOKS, json.dumps([{"body": d["body"].decode(), "headers": d["headers"]}
                                                     for d in deliveries]), SECRET_HASH)
    assert checked == [[True, False]] * len(deliveries)
