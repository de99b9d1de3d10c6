"""Funding through gateways: Paystack (checkout page -> signed webhook -> verify -> credit), Flutterwave contract
body, Orange unsigned notification, mismatches, bad signatures, idempotency."""

from __future__ import annotations

import logging

import pytest
import requests
from django_tenants.utils import schema_context

from tenant_apps.wallet.models import FundingIntent, WebhookEvent
from tests.support.unchanged import nothing_changes
from tests.wallet.helpers import (
    assert_books_balance,
    balance_of,
    client_for,
    deliver,
    funding_entries,
    new_customer,
    post,
    register_gateway,
)

pytestmark = pytest.mark.django_db


def start(user, gateway: str, amount: str = "1500.00", schema: str = "ng", **extra):
    response = post(client_for(user, schema), "/api/wallet/fund", {"amount": amount, "gateway": gateway, **extra})
    assert response.status_code in (201, 202), response.content
    return response.json()


def intent_of(body: dict, schema: str = "ng") -> FundingIntent:
    with schema_context(schema):
        return FundingIntent.objects.get(public_id=body["id"])


def test_paystack_checkout_page_webhook_verify_credit(ng_gateways, host_client):
    paystack = ng_gateways["paystack"]
    user = new_customer()
    body = start(user, "paystack")
    assert body["status"] == "pending" and body["authorization_url"].startswith(paystack.url + "/checkout/")
    # The customer pays on the simulator's hosted page; it redirects back to our funding URL.
    page = requests.post(body["authorization_url"] + "/pay", data={"action": "pay"}, allow_redirects=False,
                         timeout=5)
    assert page.status_code == 302 and f"/wallet/fund/return/{body['id']}" in page.headers["Location"]
    assert balance_of(user) == 0  # nothing before our own verification
    [webhook] = paystack.deliveries
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", webhook)
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded", answer.content
    assert balance_of(user) == 150_000
    assert funding_entries(body["reference"]) == 1
    # The customer's browser comes back: the status is final, no second credit; a redelivery is a duplicate.
    back = client_for(user).get(f"/api/wallet/fund/{body['id']}")
    assert back.status_code == 200 and back.json()["status"] == "succeeded"
    again = deliver(host_client("ng.localhost"), "/webhook/paystack", webhook)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert balance_of(user) == 150_000 and funding_entries(body["reference"]) == 1
    with schema_context("ng"):
        assert WebhookEvent.objects.filter(provider="paystack", subject=body["reference"]).count() == 1
    assert_books_balance("ng")


def test_return_before_webhook_credits_once_then_webhook_is_a_no_op(ng_gateways, host_client):
    paystack = ng_gateways["paystack"]
    user = new_customer()
    body = start(user, "paystack", amount="20.00")
    assert client_for(user).get(f"/api/wallet/fund/{body['id']}").json()["status"] == "pending"
    paystack.complete(body["reference"])
    assert client_for(user).get(f"/api/wallet/fund/{body['id']}").json()["status"] == "succeeded"
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", paystack.deliveries[-1])
    assert answer.status_code == 200
    assert balance_of(user) == 2_000 and funding_entries(body["reference"]) == 1
    assert_books_balance("ng")


def test_declined_payment_fails_without_credit_and_gives_the_kyc_allowance_back(ng_gateways):
    from tenant_apps.kyc.selectors import kyc_spent_today

    paystack = ng_gateways["paystack"]
    user = new_customer()
    body = start(user, "paystack", amount="100.00")
    with schema_context("ng"):
        assert kyc_spent_today(user=user, currency="NGN") == 10_000
    paystack.complete(body["reference"], approve=False)
    assert client_for(user).get(f"/api/wallet/fund/{body['id']}").json()["status"] == "failed"
    assert balance_of(user) == 0
    with schema_context("ng"):
        assert kyc_spent_today(user=user, currency="NGN") == 0
    assert_books_balance("ng")


def test_bad_signature_is_401_logged_and_writes_nothing(ng_gateways, host_client, caplog):
    paystack = ng_gateways["paystack"]
    user = new_customer()
    body = start(user, "paystack")
    paystack.complete(body["reference"])
    headers, raw = paystack.build_webhook({"event": "charge.success",
                                           "data": paystack._public(paystack.transactions[body["reference"]])},
                                          bad_signature=True)
    with schema_context("ng"):
        events_before = WebhookEvent.objects.count()
    with caplog.at_level(logging.WARNING, logger="tenant_apps.wallet.webhooks"):
        answer = deliver(host_client("ng.localhost"), "/webhook/paystack", {"headers": headers, "body": raw})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"
    [record] = [r for r in caplog.records if r.name == "tenant_apps.wallet.webhooks"]
    assert record.getMessage() == "webhook signature rejected"
    assert record.levelno == logging.WARNING and record.provider == "paystack" and record.reason
    assert "sk_test_simulator" not in caplog.text and headers["x-paystack-signature"] not in caplog.text
    with schema_context("ng"):
        assert WebhookEvent.objects.count() == events_before
        assert intent_of(body).status == "pending"
    assert balance_of(user) == 0
    # Missing signature and garbage bodies: 401 / 400 in the error shape, never a 500.
    client = host_client("ng.localhost")
    assert client.post("/webhook/paystack", b"not json", content_type="application/json").status_code == 401
    signed = paystack.sign_webhook(b"not json")
    garbage = client.post("/webhook/paystack", b"not json", content_type="application/json",
                          HTTP_X_PAYSTACK_SIGNATURE=signed["x-paystack-signature"])
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "malformed_webhook"
    assert client.get("/webhook/paystack").status_code == 405


def test_flutterwave_contract_body_is_verified_by_id_then_credited_once(ng_gateways, host_client):
    flutterwave = ng_gateways["flutterwave"]
    user = new_customer()
    body = start(user, "flutterwave", amount="250.00")
    flutterwave.complete(body["reference"])
    txn_id = flutterwave.deliveries[-1]["body"]
    import json

    txn_id = json.loads(txn_id)["data"]["id"]
    headers, raw = flutterwave.build_webhook({"event": "charge.completed", "data": {"id": txn_id,
                                                                                  "status": "successful"}})
    client = host_client("ng.localhost")
    first = deliver(client, "/webhook/flutterwave", {"headers": headers, "body": raw})
    assert first.status_code == 200 and first.json()["status"] == "succeeded", first.content
    second = deliver(client, "/webhook/flutterwave", {"headers": headers, "body": raw})
    assert second.json()["status"] == "duplicate"
    assert balance_of(user) == 25_000 and funding_entries(body["reference"]) == 1
    bad = deliver(client, "/webhook/flutterwave", {"headers": {"verif-hash": "wrong"}, "body": raw})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_signature"
    assert_books_balance("ng")


def test_amount_mismatch_is_never_credited_and_is_flagged_for_review(ng_gateways, host_client):
    from tenant_apps.wallet.selectors import gateway_discrepancies

    flutterwave = ng_gateways["flutterwave"]
    user = new_customer()
    body = start(user, "flutterwave", amount="250.00")
    flutterwave.complete(body["reference"], amount_minor=2_500)  # the customer paid 25.00, not 250.00
    answer = deliver(host_client("ng.localhost"), "/webhook/flutterwave", flutterwave.deliveries[-1])
    assert answer.status_code == 200 and answer.json()["status"] == "review"
    assert balance_of(user) == 0 and funding_entries(body["reference"]) == 0
    with schema_context("ng"):
        intent = intent_of(body)
        assert (intent.status, intent.failure_reason, intent.verified_amount_minor) == ("review", "amount_mismatch",
                                                                                       2_500)
        kinds = {d.kind for d in gateway_discrepancies() if body["reference"] in d.subject}
    assert kinds == {"funding_needs_review"}
    assert client_for(user).get(f"/api/wallet/fund/{body['id']}").json()["status"] == "review"
    assert_books_balance("ng")


def test_orange_contract_notification_is_reverified_before_credit(db, orange, host_client):
    register_gateway(country="SN", key="orange_money", url=orange.url, options={"country": "sn", "currency": "XOF"})
    user = new_customer("sn")
    body = start(user, "orange_money", amount="1000", schema="sn")
    assert body["authorization_url"].startswith(orange.url + "/payment/")
    client = host_client("sn.localhost")
    notification = {"transaction_ref": body["reference"], "amount": 1000, "status": "SUCCESS"}
    # Unsigned: a forged "SUCCESS" before the customer paid credits nothing (Orange says it is still pending)...
    forged = client.post("/webhook/orange", notification, content_type="application/json")
    assert forged.status_code == 200 and forged.json()["status"] == "pending"
    assert balance_of(user, "sn") == 0
    # ...and is not recorded, so the genuine notification after payment still counts.
    with schema_context("sn"):
        pay_token = intent_of(body, "sn").provider_reference.split(":")[0]
    orange.complete(pay_token)
    genuine = client.post("/webhook/orange", notification, content_type="application/json")
    assert genuine.status_code == 200 and genuine.json()["status"] == "succeeded", genuine.content
    assert client.post("/webhook/orange", notification, content_type="application/json").json()["status"] == \
        "duplicate"
    assert balance_of(user, "sn") == 1_000 and funding_entries(body["reference"], "sn") == 1
    assert client.post("/webhook/orange", b"{", content_type="application/json").status_code == 400
    forged_native = client.post("/webhook/orange", {"status": "SUCCESS", "notif_token": "guess", "txnid": "x"},
                                content_type="application/json")
    assert forged_native.status_code == 401
    assert_books_balance("sn")


def test_funding_needs_key_verified_phone_known_gateway_and_kyc_room(ng_gateways):
    user = new_customer()
    client = client_for(user)
    assert post(client, "/api/wallet/fund", {"amount": "10.00", "gateway": "paystack"}, key=None).json()[
        "error"]["code"] == "idempotency_key_required"
    unknown = post(client, "/api/wallet/fund", {"amount": "10.00", "gateway": "orange_money"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "gateway_unavailable"
    with nothing_changes("ng"):  # no intent, no call to the gateway's checkout recorded
        over = post(client, "/api/wallet/fund", {"amount": "5000.01", "gateway": "paystack"})
        assert over.status_code == 403 and over.json()["error"]["code"] == "kyc_limit_exceeded"
    bad = post(client, "/api/wallet/fund", {"amount": "1.001", "gateway": "paystack"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_amount"
    wrong_currency = post(client, "/api/wallet/fund", {"amount": "10.00", "gateway": "paystack", "currency": "GHS"})
    assert wrong_currency.json()["error"]["code"] == "currency_mismatch"
    unverified_customer = new_customer(verified=False)
    with nothing_changes("ng"):
        unverified = post(client_for(unverified_customer), "/api/wallet/fund",
                          {"amount": "10.00", "gateway": "paystack"})
        assert unverified.status_code == 403 and unverified.json()["error"]["code"] == "phone_not_verified"
    with schema_context("ng"):
        assert not FundingIntent.objects.filter(user=user).exists()


def test_fund_replay_returns_the_first_checkout(ng_gateways):
    user = new_customer()
    client = client_for(user)
    first = post(client, "/api/wallet/fund", {"amount": "10.00", "gateway": "paystack"}, key="fund-once")
    replay = post(client, "/api/wallet/fund", {"amount": "10.00", "gateway": "paystack"}, key="fund-once")
    assert replay.status_code == 201 and replay["Idempotency-Replayed"] == "true"
    assert replay.json() == first.json()
    with schema_context("ng"):
        assert FundingIntent.objects.filter(user=user).count() == 1
    other = post(client, "/api/wallet/fund", {"amount": "11.00", "gateway": "paystack"}, key="fund-once")
    assert other.status_code == 422


def test_gateway_down_is_502_and_leaves_nothing(ng_gateways):
    paystack = ng_gateways["paystack"]
    paystack.set_fault("server_error")
    user = new_customer()
    answer = post(client_for(user), "/api/wallet/fund", {"amount": "10.00", "gateway": "paystack"})
    assert answer.status_code == 502 and answer.json()["error"]["code"] == "gateway_error"
    with schema_context("ng"):
        assert not FundingIntent.objects.filter(user=user).exists()


def test_an_event_id_recorded_for_another_payment_is_not_taken_as_a_duplicate(ng_gateways, host_client):
    paystack = ng_gateways["paystack"]
    user = new_customer()
    body = start(user, "paystack", amount="30.00")
    paystack.complete(body["reference"])
    webhook = paystack.deliveries[-1]
    import json

    event_id = f"charge.success:{json.loads(webhook['body'])['data']['id']}"
    with schema_context("ng"):
        WebhookEvent.objects.create(provider="paystack", event_id=event_id, subject="fund_someone_else")
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", webhook)
    assert answer.status_code == 200 and balance_of(user) == 3_000 and funding_entries(body["reference"]) == 1


def test_momo_callback_is_only_a_reason_to_poll(db, host_client):
    from provider_plugins.mtn_momo.simulator import MtnMomoSimulator

    with MtnMomoSimulator(auto_approve=False) as momo:
        register_gateway(country="GH", key="mtn_momo", url=momo.url, options={"target_environment": "sandbox"})
        user = new_customer("gh")
        body = start(user, "mtn_momo", amount="2.00", schema="gh")
        assert body["authorization_url"] == ""
        reference_id = intent_of(body, "gh").provider_reference
        client = host_client("gh.localhost")
        # A forged "SUCCESSFUL" callback: MoMo still says PENDING when asked, so nothing is credited.
        forged = {"externalId": body["reference"], "amount": "2.00", "currency": "GHS", "status": "SUCCESSFUL",
                  "financialTransactionId": "1"}
        answer = client.put("/webhook/mtn_momo", forged, content_type="application/json")
        assert answer.status_code == 200 and answer.json()["status"] == "pending"
        assert balance_of(user, "gh") == 0
        momo.complete(reference_id)
        [callback] = momo.deliveries
        assert callback["url"].endswith("gh.localhost/webhook/mtn_momo")
        real = client.put("/webhook/mtn_momo", callback["body"], content_type="application/json")
        assert real.status_code == 200 and real.json()["status"] == "succeeded"
        assert client.put("/webhook/mtn_momo", b"[]", content_type="application/json").status_code == 400
    assert balance_of(user, "gh") == 200 and funding_entries(body["reference"], "gh") == 1
    assert_books_balance("gh")


def test_contract_path_webhook_mtn_takes_momo_callbacks(db, host_client):
    """/webhook/mtn (the API contract's path) speaks MTN's one published callback protocol, MoMo's:
    a callback there is only a reason to ask MoMo, and credits once whichever path it came by."""
    from provider_plugins.mtn_momo.simulator import MtnMomoSimulator

    with MtnMomoSimulator(auto_approve=False) as momo:
        register_gateway(country="GH", key="mtn_momo", url=momo.url, options={"target_environment": "sandbox"})
        user = new_customer("gh")
        body = start(user, "mtn_momo", amount="3.00", schema="gh")
        client = host_client("gh.localhost")
        forged = {"externalId": body["reference"], "amount": "3.00", "currency": "GHS", "status": "SUCCESSFUL",
                  "financialTransactionId": "2"}
        answer = client.post("/webhook/mtn", forged, content_type="application/json")
        assert answer.status_code == 200 and answer.json()["status"] == "pending"
        assert balance_of(user, "gh") == 0
        momo.complete(intent_of(body, "gh").provider_reference)
        [callback] = momo.deliveries
        first = client.put("/webhook/mtn", callback["body"], content_type="application/json")
        assert first.status_code == 200 and first.json()["status"] == "succeeded"
        again = client.put("/webhook/mtn_momo", callback["body"], content_type="application/json")
        assert again.status_code == 200 and again.json()["status"] in ("duplicate", "succeeded")
        assert client.put("/webhook/mtn", b"{not json", content_type="application/json").status_code == 400
    assert balance_of(user, "gh") == 300 and funding_entries(body["reference"], "gh") == 1
    assert_books_balance("gh")


def test_flutterwave_unreachable_during_verification_asks_for_redelivery(ng_gateways, host_client):
    flutterwave = ng_gateways["flutterwave"]
    user = new_customer()
    body = start(user, "flutterwave", amount="60.00")
    flutterwave.complete(body["reference"])
    webhook = flutterwave.deliveries[-1]
    flutterwave.set_fault("server_error", count=1)
    first = deliver(host_client("ng.localhost"), "/webhook/flutterwave", webhook)
    assert first.status_code == 503 and first.json()["error"]["code"] == "verification_unavailable"
    assert balance_of(user) == 0
    again = deliver(host_client("ng.localhost"), "/webhook/flutterwave", webhook)
    assert again.status_code == 200 and again.json()["status"] == "succeeded"
    assert balance_of(user) == 6_000 and funding_entries(body["reference"]) == 1
    assert_books_balance("ng")


def test_stale_pending_fundings_are_verified_once_more_then_expired_and_a_late_payment_still_credits(
        ng_gateways, host_client):
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.kyc.selectors import kyc_spent_today
    from tenant_apps.wallet.funding import funding_expire_stale

    paystack = ng_gateways["paystack"]
    paid_meanwhile, abandoned, recent = new_customer(), new_customer(), new_customer()
    paid_body = start(paid_meanwhile, "paystack", amount="30.00")
    abandoned_body = start(abandoned, "paystack", amount="40.00")
    recent_body = start(recent, "paystack", amount="50.00")
    with schema_context("ng"):
        FundingIntent.objects.filter(public_id__in=[paid_body["id"], abandoned_body["id"]]).update(
            created_at=timezone.now() - timedelta(hours=25))
    paystack.complete(paid_body["reference"])  # paid, but no webhook or return reached us

    with schema_context("ng"):
        counts = funding_expire_stale()
        assert counts["succeeded"] == 1 and counts["expired"] == 1
        assert kyc_spent_today(user=abandoned, currency="NGN") == 0  # the allowance is given back
    assert intent_of(paid_body).status == "succeeded" and balance_of(paid_meanwhile) == 3_000
    expired = intent_of(abandoned_body)
    assert (expired.status, expired.failure_reason, expired.credit_entry_id) == ("failed", "expired", None)
    assert intent_of(recent_body).status == "pending"  # not stale yet
    assert client_for(abandoned).get(f"/api/wallet/fund/{abandoned_body['id']}").json()["status"] == "failed"

    # The customer pays the old checkout after all: the verified payment is credited, once.
    paystack.complete(abandoned_body["reference"])
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", paystack.deliveries[-1])
    assert answer.status_code == 200, answer.content
    late = intent_of(abandoned_body)
    assert (late.status, late.failure_reason) == ("succeeded", "") and balance_of(abandoned) == 4_000
    assert funding_entries(abandoned_body["reference"]) == 1
    with schema_context("ng"):
        assert funding_expire_stale() == {"succeeded": 0, "failed": 0, "review": 0, "expired": 0}
    assert balance_of(abandoned) == 4_000 and balance_of(paid_meanwhile) == 3_000
    assert_books_balance("ng")
