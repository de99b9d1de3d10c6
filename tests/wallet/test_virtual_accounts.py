"""Funding by bank transfer into a dedicated account (Paystack dedicated virtual accounts), end to end:
open the account through the API, a transfer at the simulator, its signed ``charge.success`` (channel
``dedicated_nuban``) into /webhook/paystack, verification, one credit; duplicates, tampering, KYC tiers,
callbacks bound to the provider that issued the account."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.wallet.models import FundingIntent, VirtualAccount, WebhookEvent
from tests.wallet.helpers import (
    assert_books_balance,
    balance_of,
    client_for,
    deliver,
    new_customer,
    post,
    register_gateway,
)
from tests.wallet.test_concurrency import race


def open_account(user, *, first="Ada", last="Obi"):
    answer = post(client_for(user), "/api/wallet/virtual-account", {"first_name": first, "last_name": last})
    assert answer.status_code == 201, answer.content
    return answer.json()


def webhook_for(paystack, reference: str) -> dict:
    return next(d for d in reversed(paystack.deliveries)
                if json.loads(d["body"])["data"].get("reference") == reference)


def credits(user) -> list[FundingIntent]:
    with schema_context("ng"):
        return list(FundingIntent.objects.filter(user=user, virtual_account__isnull=False))


@pytest.mark.django_db
def test_open_account_transfer_webhook_verify_credit_once(ng_gateways, host_client):
    paystack = ng_gateways["paystack"]
    user = new_customer()
    assert client_for(user).get("/api/wallet/virtual-account").status_code == 404
    body = open_account(user)
    assert body["status"] == "active" and len(body["account_number"]) == 10 and body["bank_name"] == "Wema Bank"
    assert body["account_name"] == "NEXUSTOP/ADA OBI"
    # Asking again answers the same account; GET shows it.
    assert open_account(user)["account_number"] == body["account_number"]
    assert client_for(user).get("/api/wallet/virtual-account").json()["account_number"] == body["account_number"]
    with schema_context("ng"):
        row = VirtualAccount.objects.get(user=user)
    assert row.customer_code.startswith("CUS_") and row.customer_code in paystack.customers

    txn = paystack.bank_transfer(account_number=body["account_number"], amount=250_000)
    assert balance_of(user) == 0  # nothing before the webhook and our verification
    webhook = webhook_for(paystack, txn["reference"])
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", webhook)
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded", answer.content
    assert balance_of(user) == 250_000
    [intent] = credits(user)
    assert intent.reference == f"dva_{txn['reference']}" and intent.provider_reference == txn["reference"]
    assert (intent.verified_amount_minor, intent.verified_currency) == (250_000, "NGN")
    # Redelivered: a duplicate, no second credit. The funding shows in the user's list of intents.
    again = deliver(host_client("ng.localhost"), "/webhook/paystack", webhook)
    assert again.json()["status"] == "duplicate" and balance_of(user) == 250_000
    detail = client_for(user).get(f"/api/wallet/fund/{intent.public_id}")
    assert detail.status_code == 200 and detail.json()["status"] == "succeeded"
    assert_books_balance("ng")


@pytest.mark.django_db
def test_verified_amount_counts_not_the_webhooks_and_bad_signatures_are_refused(ng_gateways, host_client, caplog):
    paystack = ng_gateways["paystack"]
    user = new_customer()
    number = open_account(user)["account_number"]
    txn = paystack.bank_transfer(account_number=number, amount=40_000, notify=False)
    # A correctly signed notification that claims more than was sent (a gateway bug or a replayed edit):
    inflated = dict(txn, amount=4_000_000)
    headers, raw = paystack.build_webhook({"event": "charge.success", "data": inflated})
    with caplog.at_level(logging.WARNING, logger="tenant_apps.wallet.webhooks"):
        forged = deliver(host_client("ng.localhost"), "/webhook/paystack",
                         {"headers": paystack.sign_webhook(raw, bad=True), "body": raw})
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    assert "webhook signature rejected" in caplog.text and paystack.secret_key not in caplog.text
    assert balance_of(user) == 0
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", {"headers": headers, "body": raw})
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded"
    assert balance_of(user) == 40_000  # what the verification says was paid
    garbage = host_client("ng.localhost").post(
        "/webhook/paystack", b'{"event": "charge.success", "data": {"channel": "dedicated_nuban"',
        content_type="application/json", HTTP_X_PAYSTACK_SIGNATURE="00")
    assert garbage.status_code == 401
    assert_books_balance("ng")


@pytest.mark.django_db
def test_payments_above_the_kyc_tier_wait_for_review_and_over_the_cap_are_credited_once_they_fit(ng_gateways,
                                                                                                  host_client):
    """Over the tier's single limit: kept for review, nothing posted. Over its maximum balance: the ledger's cap
    (the same as every gateway funding): the money waits in suspense, the intent in review, and it is credited
    once, when the wallet has room (the customer's "check now", or a look at the funding)."""
    from tenant_apps.ledger.models import AccountKind, JournalEntry
    from tenant_apps.ledger.services import fund_wallet, system_account, transfer, wallet_for

    paystack = ng_gateways["paystack"]
    user = new_customer()  # phone verified only: NG tier 0 (single 5,000, daily 20,000, balance 20,000 NGN)
    number = open_account(user)["account_number"]
    big = paystack.bank_transfer(account_number=number, amount=600_000)
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", webhook_for(paystack, big["reference"]))
    assert answer.json()["status"] == "review"
    with schema_context("ng"):
        intent = FundingIntent.objects.get(provider_reference=big["reference"])
        assert (intent.failure_reason, intent.credit_entry_id) == ("kyc_limit_exceeded", None)
        fund_wallet(wallet=wallet_for(user=user), amount=1_800_000, reference=f"test:{user.pk}")

    def suspense_total() -> int:
        with schema_context("ng"):
            return sum(system_account(kind=AccountKind.SUSPENSE, currency="NGN").postings
                       .values_list("amount", flat=True))

    suspense_before = suspense_total()
    # Within the single and daily limits, but the balance would pass the tier's maximum (20,000 NGN).
    small = paystack.bank_transfer(account_number=number, amount=300_000)
    webhook = webhook_for(paystack, small["reference"])
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", webhook)
    assert answer.json()["status"] == "review"
    assert balance_of(user) == 1_800_000 and suspense_total() == suspense_before + 300_000  # capped, not lost
    with schema_context("ng"):
        held = FundingIntent.objects.get(provider_reference=small["reference"])
        assert (held.failure_reason, held.credit_entry_id) == ("balance_limit_exceeded", None)
        from tenant_apps.wallet.selectors import gateway_discrepancies

        kinds = [d.kind for d in gateway_discrepancies() if big["reference"] in d.subject
                 or small["reference"] in d.subject]
    assert kinds == ["funding_needs_review", "funding_needs_review"]
    assert deliver(host_client("ng.localhost"), "/webhook/paystack", webhook).json()["status"] == "duplicate"
    # Still no room: asking changes nothing.
    assert client_for(user).post("/api/wallet/virtual-account/requery").json()["credited"] == []
    with schema_context("ng"):  # the customer spends 2,000 NGN: the 3,000 now fits
        transfer(source=wallet_for(user=user), destination=wallet_for(user=new_customer()), amount=200_000,
                 reference=f"test-spend:{user.pk}")
    answer = client_for(user).post("/api/wallet/virtual-account/requery")
    assert [row["status"] for row in answer.json()["credited"]] == ["succeeded"]
    assert balance_of(user) == 1_900_000 and suspense_total() == suspense_before
    assert client_for(user).post("/api/wallet/virtual-account/requery").json()["credited"] == []
    assert client_for(user).get(f"/api/wallet/fund/{held.public_id}").json()["status"] == "succeeded"
    with schema_context("ng"):
        assert JournalEntry.objects.filter(entry_type="funding",
                                           reference=f"paystack:dva_{small['reference']}").count() == 1
    assert balance_of(user) == 1_900_000
    assert_books_balance("ng")


@pytest.mark.django_db
def test_callbacks_are_bound_to_the_provider_that_issued_the_account(ng_gateways, host_client):
    """A payment notification reaches only an account opened with the same provider, found by its own
    customer code; another gateway's callback naming our references is refused."""
    paystack, flutterwave = ng_gateways["paystack"], ng_gateways["flutterwave"]
    user = new_customer()
    number = open_account(user)["account_number"]
    txn = paystack.bank_transfer(account_number=number, amount=100_000, notify=False)
    with schema_context("ng"):
        row = VirtualAccount.objects.get(user=user)
        # The same customer code, but on an account of another provider: a Paystack event must not reach it.
        other = new_customer()
        VirtualAccount.objects.create(user=other, gateway="flutterwave", provider_id=row.provider_id,
                                      customer_code="CUS_elsewhere", account_number="7000000001", currency="NGN",
                                      status="active")
        VirtualAccount.objects.filter(pk=row.pk).update(gateway="flutterwave", customer_code="CUS_elsewhere2")
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", {"headers": paystack.build_webhook(
        {"event": "charge.success", "data": txn})[0], "body": paystack.build_webhook(
        {"event": "charge.success", "data": txn})[1]})
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    with schema_context("ng"):
        assert WebhookEvent.objects.get(provider="paystack", event_id=f"charge.success:{txn['id']}").outcome == \
            "unknown_payment"
        VirtualAccount.objects.filter(pk=row.pk).update(gateway="paystack", customer_code=row.customer_code)
        WebhookEvent.objects.filter(provider="paystack", event_id=f"charge.success:{txn['id']}").delete()
    # A Flutterwave notification (validly signed by Flutterwave) naming the Paystack payment's references:
    forged = {"event": "charge.completed", "data": {"id": txn["id"], "tx_ref": f"dva_{txn['reference']}",
                                                    "status": "successful", "amount": 1000, "currency": "NGN"}}
    headers, raw = flutterwave.build_webhook(forged)
    refused = deliver(host_client("ng.localhost"), "/webhook/flutterwave", {"headers": headers, "body": raw})
    assert refused.status_code in (200, 503) and refused.json().get("status") != "succeeded"
    assert balance_of(user) == 0 and credits(user) == []
    # The genuine Paystack notification still credits, once.
    headers, raw = paystack.build_webhook({"event": "charge.success", "data": txn})
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", {"headers": headers, "body": raw})
    assert answer.json()["status"] == "succeeded" and balance_of(user) == 100_000


@pytest.mark.django_db
def test_assignment_webhook_and_requery(ng_gateways, host_client):
    paystack = ng_gateways["paystack"]
    user = new_customer()
    from shared_apps.providers.models import Provider

    provider = Provider.objects.get(country="NG", plugin_key="paystack")
    with schema_context("ng"):
        VirtualAccount.objects.create(user=user, gateway="paystack", provider_id=provider.pk, currency="NGN")
    # The assign flow: Paystack creates the customer and notifies the account asynchronously.
    customer = paystack.customers
    import requests

    requests.post(paystack.url + "/dedicated_account/assign", json={
        "email": user.email, "first_name": "Bola", "last_name": "Ade", "phone": user.phone,
        "preferred_bank": "test-bank", "country": "NG"}, headers={"Authorization": f"Bearer {paystack.secret_key}"},
        timeout=5).raise_for_status()
    code = next(c["customer_code"] for c in customer.values() if c["email"] == user.email)
    with schema_context("ng"):
        VirtualAccount.objects.filter(user=user).update(customer_code=code)
    from tests.support.waiting import wait_for

    event = wait_for(lambda: next((d for d in paystack.deliveries
                                   if json.loads(d["body"])["event"] == "dedicatedaccount.assign.success"), None))
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", event)
    assert answer.json()["status"] == "active", answer.content
    assert deliver(host_client("ng.localhost"), "/webhook/paystack", event).json()["status"] == "duplicate"
    account = client_for(user).get("/api/wallet/virtual-account").json()
    assert account["bank_name"] == "Test Bank" and account["status"] == "active"
    # A transfer whose webhook was lost: the user asks; Paystack requeries and notifies again.
    txn = paystack.bank_transfer(account_number=account["account_number"], amount=70_000, notify=False)
    before = len(paystack.deliveries)
    assert client_for(user).post("/api/wallet/virtual-account/requery").status_code == 202
    [redelivered] = paystack.deliveries[before:]
    assert deliver(host_client("ng.localhost"), "/webhook/paystack", redelivered).json()["status"] == "succeeded"
    assert balance_of(user) == 70_000 and txn["reference"] in redelivered["body"].decode()


@pytest.mark.django_db
def test_open_account_errors(ng_gateways, flutterwave):
    user = new_customer()
    missing = post(client_for(user), "/api/wallet/virtual-account", {"first_name": "Ada"})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "validation_error"
    wrong = post(client_for(user), "/api/wallet/virtual-account", {"first_name": "A", "last_name": "B",
                                                                    "gateway": "flutterwave"})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "virtual_accounts_unavailable"
    unverified = new_customer(verified=False)
    assert post(client_for(unverified), "/api/wallet/virtual-account",
                {"first_name": "A", "last_name": "B"}).status_code == 403
    ng_gateways["paystack"].set_fault("server_error", path="/dedicated_account")
    down = post(client_for(user), "/api/wallet/virtual-account", {"first_name": "A", "last_name": "B"})
    assert down.status_code == 502 and down.json()["error"]["code"] == "gateway_error"
    with schema_context("ng"):
        assert not VirtualAccount.objects.filter(user=user).exists()  # rolled back


@pytest.fixture
def committed_paystack_row(live_db, paystack):
    """A committed NG registry row on this test's simulator, removed afterwards (a row left pointing at a stopped
    simulator would answer later tests' calls with 502)."""
    from shared_apps.providers.models import Provider

    row = register_gateway(country="NG", key="paystack", url=paystack.url)
    yield row
    Provider.objects.filter(pk=row.pk).delete()


def test_racing_duplicate_webhooks_credit_once(committed_paystack_row, paystack):
    user = new_customer()
    number = open_account(user)["account_number"]
    paystack.set_fault("duplicate_webhook", duplicates=2)
    txn = paystack.bank_transfer(account_number=number, amount=120_000)
    paystack.clear_faults()
    webhook = webhook_for(paystack, txn["reference"])

    def webhook_call():
        return deliver(Client(HTTP_HOST="ng.localhost"), "/webhook/paystack", webhook).json()["status"]

    results = race([webhook_call] * 12)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert set(results) <= {"succeeded", "duplicate"} and "succeeded" in results
    assert balance_of(user) == 120_000
    with schema_context("ng"):
        from tenant_apps.ledger.models import JournalEntry

        assert JournalEntry.objects.filter(reference=f"paystack:dva_{txn['reference']}").count() == 1
        assert WebhookEvent.objects.filter(provider="paystack", subject=f"dva_{txn['reference']}").count() == 1
    assert_books_balance("ng")


@pytest.mark.django_db
def test_portal_page_shows_and_opens_the_account(ng_gateways):
    import re

    from tests.portal.test_ops_pages import quick_login

    user = new_customer()
    page = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", user)
    blank = page.get("/wallet/bank-account").content.decode()
    assert "Get my account number" in blank
    found = re.search(r'name="idempotency_key"[^>]*value="([0-9a-f]+)"', blank)
    assert found
    key = found.group(1)
    answer = page.post("/wallet/bank-account", {"first_name": "Ada", "last_name": "Obi", "idempotency_key": key})
    assert answer.status_code == 302
    shown = page.get("/wallet/bank-account").content.decode()
    with schema_context("ng"):
        number = VirtualAccount.objects.get(user=user).account_number
    assert f"data-account-number>{number}<" in shown and "Wema Bank" in shown
    assert "/wallet/bank-account" in page.get("/wallet/fund").content.decode()


@pytest.mark.django_db
def test_transfers_never_notified_are_found_verified_and_credited_once(ng_gateways):
    """The demo simulators (and a lost webhook) notify nothing: asking again lists the customer's transfers at
    Paystack, verifies each and credits it once."""
    paystack = ng_gateways["paystack"]
    user = new_customer()
    number = open_account(user)["account_number"]
    first = paystack.bank_transfer(account_number=number, amount=30_000, notify=False)
    paystack.bank_transfer(account_number=number, amount=20_000, notify=False)
    answer = client_for(user).post("/api/wallet/virtual-account/requery")
    assert answer.status_code == 202 and len(answer.json()["credited"]) == 2
    assert balance_of(user) == 50_000
    assert client_for(user).post("/api/wallet/virtual-account/requery").json()["credited"] == []
    from tests.portal.test_ops_pages import quick_login

    page = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", user)
    paystack.bank_transfer(account_number=number, amount=5_000, notify=False)
    assert page.post("/wallet/bank-account", {"action": "check"}).status_code == 302
    assert balance_of(user) == 55_000 and len(credits(user)) == 3
    assert first["reference"] in {intent.provider_reference for intent in credits(user)}
    assert_books_balance("ng")
