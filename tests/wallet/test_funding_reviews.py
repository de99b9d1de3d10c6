"""Finance settles a top-up in review from suspense: credit the payer or record the refund at the gateway, once.

Before, a top-up in review (paid another amount than asked, or over the wallet's maximum balance) had no tool but a
free-form wallet adjustment: the intent stayed in review, reconciliation listed it for ever, and nothing tied the
adjustment to the payment (two finance users could each credit it). Now ``POST
/api/wallet/funding-reviews/<id>/resolve`` takes one decision under the intent's lock.
"""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from provider_plugins.sms_gateway.simulator import SmsGatewaySimulator
from tenant_apps.ledger.models import AccountKind, JournalEntry
from tenant_apps.ledger.selectors import system_balance
from tenant_apps.wallet.funding_reviews import FUNDING_REVIEW_CREDIT_ENTRY, FUNDING_REVIEW_REFUND_ENTRY
from tenant_apps.wallet.models import FundingIntent
from tenant_apps.wallet.selectors import gateway_discrepancies
from tenant_apps.wallet.tasks import send_sms_task
from tests.wallet.helpers import (
    assert_books_balance,
    balance_of,
    client_for,
    deliver,
    new_customer,
    post,
    verified_intent,
)

pytestmark = pytest.mark.django_db

RESOLVE = "/api/wallet/funding-reviews/{}/resolve"


def _system(kind: str, currency: str = "NGN") -> int:
    with schema_context("ng"):
        return system_balance(kind=kind, currency=currency)


def _underpaid(ng_gateways, host_client, *, asked: str = "250.00", paid_minor: int = 2_500):
    """A customer's Flutterwave top-up paid with less than asked: in review, its money in suspense."""
    flutterwave = ng_gateways["flutterwave"]
    user = new_customer()
    started = post(client_for(user), "/api/wallet/fund", {"amount": asked, "gateway": "flutterwave"})
    assert started.status_code in (201, 202), started.content
    flutterwave.complete(started.json()["reference"], amount_minor=paid_minor)
    assert deliver(host_client("ng.localhost"), "/webhook/flutterwave", flutterwave.deliveries[-1]).status_code == 200
    assert client_for(user).get(f"/api/wallet/fund/{started.json()['id']}").json()["status"] == "review"
    return user, started.json()


def _finance():
    return new_customer(role="operator_finance")


def test_finance_sees_the_top_up_in_review_and_credits_what_was_paid_once(ng_gateways, host_client):
    suspense_before = _system(AccountKind.SUSPENSE)
    user, started = _underpaid(ng_gateways, host_client)
    assert _system(AccountKind.SUSPENSE) == suspense_before + 2_500
    finance = client_for(_finance())
    listed = finance.get("/api/wallet/funding-reviews")
    assert listed.status_code == 200, listed.content
    row = next(row for row in listed.json()["results"] if row["id"] == started["id"])
    assert (row["reason"], row["asked"], row["in_suspense"]) == (
        "amount_mismatch", {"amount": "250.00", "currency": "NGN"}, {"amount": "25.00", "currency": "NGN"})
    assert row["user"]["id"] == str(user.public_id)

    key = uuid.uuid4().hex
    answer = post(finance, RESOLVE.format(started["id"]), {"action": "credit", "note": "customer called"}, key=key)
    assert answer.status_code == 200, answer.content
    assert (answer.json()["status"], answer.json()["resolution"]) == ("resolved", "credited")
    assert balance_of(user) == 2_500 and _system(AccountKind.SUSPENSE) == suspense_before
    # the same request again is its first answer; another request finds nothing left to decide
    again = post(finance, RESOLVE.format(started["id"]), {"action": "credit", "note": "customer called"}, key=key)
    assert again.status_code == 200 and again.json() == answer.json()
    other = post(client_for(_finance()), RESOLVE.format(started["id"]), {"action": "credit"})
    assert (other.status_code, other.json()["error"]["code"]) == (409, "not_in_review")
    assert balance_of(user) == 2_500
    with schema_context("ng"):
        intent = FundingIntent.objects.get(public_id=started["id"])
        assert intent.resolution_entry is not None and intent.resolution_entry.entry_type == \
            FUNDING_REVIEW_CREDIT_ENTRY
        assert intent.resolution_note == "customer called"
        assert not [d for d in gateway_discrepancies() if started["reference"] in d.subject]
        from tenant_apps.audit.models import AuditEvent

        assert AuditEvent.objects.filter(action="funding_review.credit", subject_id=started["id"]).count() == 1
    assert started["id"] not in {row["id"] for row in finance.get("/api/wallet/funding-reviews").json()["results"]}
    assert_books_balance("ng")


def test_a_refund_at_the_gateway_moves_suspense_back_to_clearing_and_needs_its_reference(ng_gateways, host_client):
    user, started = _underpaid(ng_gateways, host_client)
    clearing_before, suspense_before = _system(AccountKind.GATEWAY_CLEARING), _system(AccountKind.SUSPENSE)
    finance = client_for(_finance())
    missing = post(finance, RESOLVE.format(started["id"]), {"action": "refunded"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "refund_reference_required")
    assert "gateway_refund_reference" in missing.json()["error"]["fields"]
    answer = post(finance, RESOLVE.format(started["id"]),
                  {"action": "refunded", "gateway_refund_reference": "FLW-RFD-1234"})
    assert answer.status_code == 200, answer.content
    assert (answer.json()["resolution"], answer.json()["gateway_refund_reference"]) == ("refunded", "FLW-RFD-1234")
    assert balance_of(user) == 0
    assert _system(AccountKind.SUSPENSE) == suspense_before - 2_500
    assert _system(AccountKind.GATEWAY_CLEARING) == clearing_before + 2_500
    with schema_context("ng"):
        assert JournalEntry.objects.filter(entry_type=FUNDING_REVIEW_REFUND_ENTRY).filter(
            reference=f"flutterwave:{started['reference']}").count() == 1
        assert not [d for d in gateway_discrepancies() if started["reference"] in d.subject]
    assert_books_balance("ng")


def test_nobody_decides_on_their_own_top_up_and_only_finance_decides(ng_gateways, host_client):
    user, started = _underpaid(ng_gateways, host_client)
    with schema_context("ng"):
        user.role = "operator_finance"
        user.save(update_fields=["role"])
    own = post(client_for(user), RESOLVE.format(started["id"]), {"action": "credit"})
    assert (own.status_code, own.json()["error"]["code"]) == (403, "own_submission")
    support = post(client_for(new_customer(role="operator_support")), RESOLVE.format(started["id"]),
                   {"action": "credit"})
    assert support.status_code == 403
    assert client_for(new_customer()).get("/api/wallet/funding-reviews").status_code == 403
    assert balance_of(user) == 0


def test_another_tenant_cannot_see_or_resolve_it(ng_gateways, host_client):
    _user, started = _underpaid(ng_gateways, host_client)
    sn_finance = client_for(new_customer("sn", role="operator_finance"), "sn")
    assert started["id"] not in {row["id"] for row in sn_finance.get("/api/wallet/funding-reviews").json()["results"]}
    answer = post(sn_finance, RESOLVE.format(started["id"]), {"action": "credit"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "unknown_funding")
    with schema_context("ng"):
        assert FundingIntent.objects.get(public_id=started["id"]).status == "review"


def test_a_payment_in_another_currency_can_only_be_refunded(ng_gateways):
    user = new_customer()
    intent = verified_intent(user, asked_minor=100_000, paid_minor=7_000, paid_currency="USD")
    usd_before = _system(AccountKind.SUSPENSE, "USD")
    finance = client_for(_finance())
    credit = post(finance, RESOLVE.format(intent.public_id), {"action": "credit"})
    assert (credit.status_code, credit.json()["error"]["code"]) == (400, "currency_mismatch")
    assert balance_of(user) == 0 and _system(AccountKind.SUSPENSE, "USD") == usd_before
    refund = post(finance, RESOLVE.format(intent.public_id), {"action": "refunded", "gateway_refund_reference": "r1"})
    assert refund.status_code == 200, refund.content
    assert refund.json()["in_suspense"] == {"amount": "70.00", "currency": "USD"}
    assert _system(AccountKind.SUSPENSE, "USD") == usd_before - 7_000
    assert_books_balance("ng")


def test_a_payment_held_over_the_balance_limit_is_credited_only_when_it_fits_or_refunded(ng_gateways, host_client):
    from tests.wallet.test_balance_limit import funded, p2p

    paystack = ng_gateways["paystack"]
    user = funded(1_200_000)
    started = post(client_for(user), "/api/wallet/fund", {"amount": "5000.00", "gateway": "paystack"}).json()
    assert p2p(funded(600_000), user, "5000.00").status_code == 201  # now 5,000.00 more would not fit
    paystack.complete(started["reference"])
    assert deliver(host_client("ng.localhost"), "/webhook/paystack", paystack.deliveries[-1]).json()["status"] == \
        "review"
    finance = client_for(_finance())
    full = post(finance, RESOLVE.format(started["id"]), {"action": "credit"})
    assert (full.status_code, full.json()["error"]["code"]) == (422, "balance_limit_exceeded")
    assert balance_of(user) == 1_700_000
    suspense_before = _system(AccountKind.SUSPENSE)
    refund = post(finance, RESOLVE.format(started["id"]), {"action": "refunded", "gateway_refund_reference": "PSK-9"})
    assert refund.status_code == 200, refund.content
    assert refund.json()["in_suspense"] == {"amount": "5000.00", "currency": "NGN"}
    assert _system(AccountKind.SUSPENSE) == suspense_before - 500_000
    # refunded: the customer's next look no longer credits it, even with room
    assert p2p(user, funded(0), "5000.00").status_code == 201
    seen = client_for(user).get(f"/api/wallet/fund/{started['id']}").json()
    assert (seen["status"], seen["resolution"]) == ("resolved", "refunded")
    assert balance_of(user) == 1_200_000
    assert_books_balance("ng")


def test_the_payer_is_texted_the_decision(ng_gateways, host_client, settings, django_capture_on_commit_callbacks):
    user, started = _underpaid(ng_gateways, host_client)
    other, other_started = _underpaid(ng_gateways, host_client, asked="80.00", paid_minor=4_000)
    settings.WALLET_SMS_NOTIFICATIONS = True
    with SmsGatewaySimulator() as sms:
        settings.SMS_GATEWAY = {**settings.SMS_GATEWAY, "BASE_URL": sms.url, "API_KEY": sms.api_key,
                                "TIMEOUT_SECONDS": 2.0}
        eager = send_sms_task.app.conf.task_always_eager
        send_sms_task.app.conf.task_always_eager = True
        try:
            finance = client_for(_finance())
            with django_capture_on_commit_callbacks(execute=True):
                assert post(finance, RESOLVE.format(started["id"]), {"action": "credit"}).status_code == 200
            with django_capture_on_commit_callbacks(execute=True):
                assert post(finance, RESOLVE.format(other_started["id"]),
                            {"action": "refunded", "gateway_refund_reference": "r"}).status_code == 200
        finally:
            send_sms_task.app.conf.task_always_eager = eager
        credited = [message["sms"] for message in sms.messages(to=user.phone)]
        refunded = [message["sms"] for message in sms.messages(to=other.phone)]
    assert credited == ["NexusTop Nigeria: your wallet was funded with NGN 25.00."], credited
    assert refunded == ["NexusTop Nigeria: your payment of NGN 40.00 could not be added to your wallet; it was "
                        "refunded to you."], refunded


def test_the_back_office_reconciliation_page_lists_it_and_resolves_it_once(ng_gateways, host_client):
    from tests.portal.test_ops_pages import quick_login

    user, started = _underpaid(ng_gateways, host_client)
    finance = quick_login(host_client("ng.localhost"), "ng", _finance())
    report = finance.get("/back-office/reconciliation")
    assert report.status_code == 200
    assert started["reference"] in report.content.decode()
    path = f"/back-office/funding-reviews/{started['id']}/resolve"
    no_reference = finance.post(path, {"action": "refunded"}, follow=True)
    assert "Give the gateway&#x27;s reference of the refund." in no_reference.content.decode()
    done = finance.post(path, {"action": "credit", "note": "called"}, follow=True)
    assert done.status_code == 200 and "Credited to the customer&#x27;s wallet." in done.content.decode()
    again = finance.post(path, {"action": "credit"}, follow=True)
    assert "This top-up is not waiting for review." in again.content.decode()
    assert balance_of(user) == 2_500
    assert started["reference"] not in finance.get("/back-office/reconciliation").content.decode().split(
        "Top-ups waiting for a decision")[1].split("Reseller floats")[0]
    support = quick_login(host_client("ng.localhost"), "ng", new_customer(role="operator_support"))
    assert support.post(path, {"action": "credit"}).status_code == 403
    with schema_context("ng"):
        assert FundingIntent.objects.get(public_id=started["id"]).resolution == "credited"
