"""Issue 14: the KYC tier's maximum wallet balance is enforced, not only published.

The attack: ``GET /api/countries/NG`` shows tier 0 ``max_balance`` 20,000.00, yet a tier-0 user
received P2P transfers up to 21,000.00. Every credit that brings NEW money to a customer's wallet
(gateway funding, at intent creation and again when crediting; P2P receive; operator credits) is
refused past the cap with 422 ``balance_limit_exceeded`` before anything moves; refunds and
reversals of the customer's own money are always allowed. What a wallet holds is its balance plus
its money on hold (the customer's until settled). A payment the gateway already captured over the
cap is never lost: it waits in suspense and is credited once it fits.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from tenant_apps.ledger.services import fund_wallet, wallet_for
from tests.support.concurrency import run_concurrently
from tests.wallet.helpers import assert_books_balance, balance_of, deliver, new_customer, post
from tests.wallet.helpers import client_for as _new_client

CAP = 2_000_000  # NG tier 0: 20,000.00 NGN in kobo
_clients: dict = {}


def client_for(user):
    """One API client per user (a new client loads the middleware again: slow)."""
    return _clients.setdefault(user.pk, _new_client(user))


def funded(amount: int):
    user = new_customer()
    if amount:
        with schema_context("ng"):
            fund_wallet(wallet=wallet_for(user=user), amount=amount, reference=f"test-fund:{uuid.uuid4()}")
    return user


def p2p(sender, recipient, amount: str):
    return post(client_for(sender), "/api/transfers", {"type": "p2p", "recipient": recipient.email,
                                                         "amount": amount})


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def kyc_of(user) -> dict:
    return client_for(user).get("/api/kyc").json()


def test_p2p_receive_stops_at_the_tier_maximum_balance(db, host_client):
    from tenant_apps.kyc.models import KycSpend
    from tenant_apps.wallet.models import Transfer

    published = host_client("ng.localhost").get("/api/countries/NG").json()
    tier0 = next(tier for tier in published["kyc_tiers"] if tier["level"] == 0)
    assert tier0["max_balance"] == "20000.00"
    recipient = funded(0)
    senders = [funded(600_000) for _ in range(5)]
    for sender in senders[:4]:  # 4 x 5,000.00 (each within the senders' own tier-0 limits)
        assert p2p(sender, recipient, "5000.00").status_code == 201
    assert balance_of(recipient) == CAP
    refused = p2p(senders[4], recipient, "10.00")  # the attack went on to 21,000.00
    assert error(refused) == (422, "balance_limit_exceeded")
    assert "recipient" in refused.json()["error"]["message"]
    assert balance_of(recipient) == CAP and balance_of(senders[4]) == 600_000  # nothing moved
    with schema_context("ng"):
        assert not Transfer.objects.filter(sender=senders[4]).exists()
        assert not KycSpend.objects.filter(user=senders[4]).exists()
    status = kyc_of(recipient)
    assert (status["max_balance"], status["balance_held"], status["balance_headroom"]) == (
        "20000.00", "20000.00", "0.00")
    assert status["tier"]["max_balance"] == "20000.00"
    assert_books_balance("ng")


def test_money_on_hold_counts_and_refunds_of_own_money_always_pass(db):
    """A payout on hold still counts (it may come back); a reversal refund may take the wallet over the cap."""
    from provider_plugins.interfaces.common import OutcomeStatus
    from tenant_apps.ledger.services import place_hold
    from tenant_apps.wallet.models import Transfer, TransferType
    from tenant_apps.wallet.transfers import payout_apply

    user = funded(CAP)
    with schema_context("ng"):
        row = Transfer.objects.create(type=TransferType.BANK, sender=user, bank_code="058",
                                      account_number="0123456789", account_name="ADA OBI LOVELACE",
                                      amount_minor=500_000, currency="NGN", reference=f"po_{uuid.uuid4().hex[:24]}",
                                      gateway="paystack", provider_id=0)
        row.hold = place_hold(wallet=wallet_for(user=user), amount=500_000, reference=f"payout:{row.reference}")
        row.save(update_fields=["hold"])
    sender = funded(600_000)
    assert error(p2p(sender, user, "100.00")) == (422, "balance_limit_exceeded")  # 15,000 + 5,000 held = the cap
    with schema_context("ng"):
        payout_apply(transfer_id=row.pk, status=OutcomeStatus.SUCCESS)  # paid out: 5,000 left the wallet for good
    assert p2p(sender, user, "5000.00").status_code == 201
    assert balance_of(user) == CAP
    with schema_context("ng"):  # the bank returns the payout: the customer's own money comes back
        assert payout_apply(transfer_id=row.pk, status=OutcomeStatus.FAILED, reversed_=True).status == "reversed"
    assert balance_of(user) == CAP + 500_000
    assert kyc_of(user)["balance_headroom"] == "0.00"
    assert_books_balance("ng")


def test_operator_credits_respect_the_cap_unless_they_return_the_customers_own_money(db):
    from tenant_apps.accounts.models import User

    with schema_context("ng"):
        finance = User.objects.create_user(email=f"fin-{uuid.uuid4().hex[:8]}@example.test",
                                           role="operator_finance")
    customer = funded(CAP - 100)
    body = {"user": str(customer.public_id), "amount": "5.00", "reason": "goodwill"}
    assert error(post(client_for(finance), "/api/wallet/adjustments", body)) == (422, "balance_limit_exceeded")
    refund = post(client_for(finance), "/api/wallet/adjustments", {**body, "returns_own_money": True})
    assert refund.status_code == 201, refund.content
    assert balance_of(customer) == CAP + 400


def test_funding_is_refused_at_the_start_when_it_cannot_fit(ng_gateways):
    from tenant_apps.wallet.models import FundingIntent

    user = funded(1_500_000)
    checkouts = len(ng_gateways["paystack"].transactions)
    answer = post(client_for(user), "/api/wallet/fund", {"amount": "6000.00", "gateway": "paystack"})
    assert error(answer) == (422, "balance_limit_exceeded")
    assert answer.json()["error"]["fields"] == {"amount": ["At most ₦5,000.00."]}  # what still fits, as shown
    with schema_context("ng"):
        assert not FundingIntent.objects.filter(user=user).exists()
    assert len(ng_gateways["paystack"].transactions) == checkouts  # the gateway was never asked
    assert post(client_for(user), "/api/wallet/fund", {"amount": "5000.00", "gateway": "paystack"}).status_code == 201


def test_a_captured_payment_over_the_cap_waits_in_suspense_then_is_credited_once_it_fits(ng_gateways, host_client):
    """Chosen behaviour: the cap holds and the money is not lost. Paid at the gateway, but the wallet filled up
    meanwhile: gateway clearing -> suspense, the intent in review (``balance_limit_exceeded``, listed by
    reconciliation); once the wallet has room (it spent, or its owner verified), the customer's next look at the
    funding credits it, once."""
    from tenant_apps.ledger.models import AccountKind, JournalEntry
    from tenant_apps.ledger.services import system_account
    from tenant_apps.wallet.selectors import gateway_discrepancies

    paystack = ng_gateways["paystack"]
    user = funded(1_200_000)
    started = post(client_for(user), "/api/wallet/fund", {"amount": "5000.00", "gateway": "paystack"})
    assert started.status_code == 201, started.content  # 12,000 + 5,000 fits under 20,000
    started = started.json()
    # Meanwhile the wallet receives 5,000.00: the payment no longer fits (22,000 > 20,000).
    assert p2p(funded(600_000), user, "5000.00").status_code == 201

    def suspense_total() -> int:
        with schema_context("ng"):
            account = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
            return sum(account.postings.values_list("amount", flat=True))

    suspense_before = suspense_total()
    paystack.complete(started["reference"])
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", paystack.deliveries[-1])
    assert answer.status_code == 200 and answer.json()["status"] == "review", answer.content
    assert balance_of(user) == 1_700_000  # not credited over the cap
    assert suspense_total() == suspense_before + 500_000  # but not lost either
    seen = client_for(user).get(f"/api/wallet/fund/{started['id']}").json()
    assert (seen["status"], seen["failure_code"]) == ("review", "balance_limit_exceeded")
    assert seen["failure_reason"].startswith("This payment would take your wallet past the maximum balance"), seen
    with schema_context("ng"):
        kinds = {d.kind for d in gateway_discrepancies() if started["reference"] in d.subject}
    assert kinds == {"funding_needs_review"}
    assert deliver(host_client("ng.localhost"), "/webhook/paystack", paystack.deliveries[-1]).json()["status"] == \
        "duplicate"

    assert p2p(user, funded(0), "2000.00").status_code == 201  # the customer spends: now 5,000.00 fits
    seen = client_for(user).get(f"/api/wallet/fund/{started['id']}").json()
    assert seen["status"] == "succeeded"
    assert balance_of(user) == 2_000_000 and suspense_total() == suspense_before
    assert client_for(user).get(f"/api/wallet/fund/{started['id']}").json()["status"] == "succeeded"
    with schema_context("ng"):
        assert JournalEntry.objects.filter(entry_type="funding", reference=f"paystack:{started['reference']}") \
            .count() == 1
        assert not [d for d in gateway_discrepancies() if started["reference"] in d.subject]
    assert_books_balance("ng")


def test_concurrent_credits_never_jointly_pass_the_cap(live_db):
    """Eight senders at once, 5,000.00 each, to a tier-0 wallet holding 2,000.00: exactly three fit."""
    from tenant_apps.ledger.errors import BalanceLimitExceeded
    from tenant_apps.wallet.transfers import p2p_transfer

    recipient = funded(200_000)
    senders = [funded(600_000) for _ in range(8)]
    lock = threading.Lock()
    outcomes: list[str] = []

    def send(index: int):
        try:
            with transaction.atomic():
                p2p_transfer(sender=senders[index], recipient=recipient.email, amount_minor=500_000)
            result = "sent"
        except BalanceLimitExceeded:
            result = "refused"
        with lock:
            outcomes.append(result)
        return result

    results = run_concurrently(8, send)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(outcomes) == ["refused"] * 5 + ["sent"] * 3
    assert balance_of(recipient) == 1_700_000 <= CAP
    assert sum(balance_of(sender) for sender in senders) == 8 * 600_000 - 3 * 500_000
    with schema_context("ng"), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(amount), 0) FROM ledger_posting p JOIN ledger_account a "
                       "ON a.id = p.account_id WHERE a.owner_id = %s", [recipient.pk])
        assert cursor.fetchone()[0] == 1_700_000  # the cached balance is the postings


@pytest.fixture(autouse=True)
def _quiet_sms(settings):
    settings.WALLET_SMS_NOTIFICATIONS = False
