"""Gateway reconciliation: credits against verified intents, reported (command, beat task), never fixed."""

from __future__ import annotations

import io
import secrets

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from tenant_apps.ledger.models import JournalEntry
from tenant_apps.ledger.services import fund_wallet, wallet_for
from tenant_apps.wallet.models import FundingIntent
from tenant_apps.wallet.selectors import gateway_discrepancies
from tenant_apps.wallet.tasks import reconcile_gateways_task
from tests.wallet.helpers import client_for, deliver, new_customer, post

pytestmark = pytest.mark.django_db


def mine(reference: str) -> set[str]:
    return {d.kind for d in gateway_discrepancies() if reference in d.subject or reference in str(d)}


def test_a_verified_credit_reconciles(ng_gateways, host_client):
    paystack = ng_gateways["paystack"]
    user = new_customer()
    body = post(client_for(user), "/api/wallet/fund", {"amount": "40.00", "gateway": "paystack"}).json()
    paystack.complete(body["reference"])
    assert deliver(host_client("ng.localhost"), "/webhook/paystack", paystack.deliveries[-1]).status_code == 200
    with schema_context("ng"):
        assert mine(body["reference"]) == set()


def test_credits_without_a_verified_matching_intent_are_reported_not_fixed(db):
    user = new_customer()
    orphan = f"fund_{secrets.token_hex(12)}"
    with schema_context("ng"):
        wallet = wallet_for(user=user)
        fund_wallet(wallet=wallet, amount=1_000, reference=f"paystack:{orphan}")  # a credit nobody verified
        short = f"fund_{secrets.token_hex(12)}"
        entry = fund_wallet(wallet=wallet, amount=900, reference=f"paystack:{short}")
        FundingIntent.objects.create(user=user, gateway="paystack", provider_id=0, reference=short, amount_minor=1_000,
                                     currency="NGN", status="succeeded", credit_entry=entry,
                                     verified_amount_minor=1_000, verified_currency="NGN")
        assert mine(orphan) == {"gateway_credit_without_verified_intent"}
        assert mine(short) == {"gateway_credit_mismatch"}
        assert reconcile_gateways_task.apply().get()["ng"] >= 2
        out = io.StringIO()
        with pytest.raises(CommandError):
            call_command("reconcile_ledger", "--schema", "ng", "--gateways", stdout=out)
        assert orphan in out.getvalue() and short in out.getvalue()
        # Reported, never fixed: both credits are still there and the wallet keeps them.
        assert JournalEntry.objects.filter(reference__in=[f"paystack:{orphan}", f"paystack:{short}"]).count() == 2
        assert wallet_for(user=user).balance == 1_900


def test_gateway_list_and_garbage_ids(ng_gateways, host_client):
    listed = client_for(new_customer()).get("/api/wallet/gateways").json()["gateways"]
    assert [g["gateway"] for g in listed] == ["paystack", "flutterwave"] and listed[0]["flow"] == "checkout"
    flutterwave = ng_gateways["flutterwave"]
    headers, raw = flutterwave.build_webhook({"event": "charge.completed", "data": {"id": "x'; drop", "status": "x"}})
    answer = deliver(host_client("ng.localhost"), "/webhook/flutterwave", {"headers": headers, "body": raw})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "malformed_webhook"
    headers, raw = flutterwave.build_webhook({"event": "charge.completed", "data": []})
    assert deliver(host_client("ng.localhost"), "/webhook/flutterwave", {"headers": headers, "body": raw}) \
        .status_code == 400
    unknown = flutterwave.build_webhook({"event": "charge.completed", "data": {"id": 999999, "status": "successful"}})
    answer = deliver(host_client("ng.localhost"), "/webhook/flutterwave", {"headers": unknown[0], "body": unknown[1]})
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    # A gateway this tenant does not use: 404 in the error shape.
    assert host_client("sn.localhost").post("/webhook/paystack", b"{}", content_type="application/json") \
        .status_code == 404


def test_bank_transfer_idempotency_key_replays_one_hold(ng_gateways):
    user = new_customer()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=user), amount=100_000, reference=f"test-fund:{secrets.token_hex(8)}")
    data = {"type": "bank", "recipient": {"bank_code": "058", "account_number": "0123456789"}, "amount": "150.00"}
    first = post(client_for(user), "/api/transfers", data, key="bank-once")
    replay = post(client_for(user), "/api/transfers", data, key="bank-once")
    assert first.status_code == 202 and replay["Idempotency-Replayed"] == "true" and replay.json() == first.json()
    with schema_context("ng"):
        assert wallet_for(user=user).balance == 85_000


def test_a_paid_webhook_matching_no_intent_is_ignored_but_reported(ng_gateways, host_client):
    from provider_plugins.interfaces import ProviderConfig
    from provider_plugins.interfaces.payments import CheckoutRequest
    from provider_plugins.paystack import PaystackConnector

    paystack = ng_gateways["paystack"]
    stray = f"fund_{secrets.token_hex(12)}"  # a checkout created at the gateway with no intent here
    PaystackConnector().initialize_checkout(
        CheckoutRequest(amount_minor=5_000, currency="NGN", reference=stray, callback_url="http://x.test/",
                        email="someone@example.test"),
        config=ProviderConfig(base_url=paystack.url, credentials={"secret_key": paystack.secret_key}))
    paystack.complete(stray)
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", paystack.deliveries[-1])
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    with schema_context("ng"):
        assert mine(stray) == {"gateway_payment_without_intent"}
        assert not JournalEntry.objects.filter(reference__endswith=stray).exists()
