"""Payouts and funding through the gate, against the Paystack simulator over HTTP.

A held bank payout keeps the money on hold and is not sent to the rail until an operator releases it; a
rejected one comes back. Funding checkouts are screened when they start, and the money's arrival (the
gateway's verified credit) opens the payout-after-funding window.
"""

from __future__ import annotations

from django_tenants.utils import schema_context

from provider_plugins.interfaces.common import OutcomeStatus
from provider_plugins.interfaces.payments import PaymentVerification
from tests.orders.helpers import assert_books, wallet_balance
from tests.risk.helpers import call, decisions, error, make_rule, person
from tests.wallet.helpers import register_gateway

ADA = {"bank_code": "058", "account_number": "0123456789"}
FUNDS = 500_000


def test_a_held_bank_payout_is_not_sent_until_released_and_a_rejected_one_comes_back(db, paystack):
    from tenant_apps.wallet.models import Transfer
    from tenant_apps.wallet.transfers import payout_submit

    register_gateway(country="NG", key="paystack", url=paystack.url)
    make_rule(name="large payout", rule_type="amount_above", flows=["bank_payout"], threshold_amount="1000.00",
              action="hold")
    user, token = person(balance=FUNDS)
    _finance, finance_token = person("operator_finance")
    payouts = [call("POST", "/api/transfers", token, {"type": "bank", "recipient": ADA, "amount": amount})
               for amount in ("1500.00", "1200.00", "300.00")]
    assert [(r.status_code, r.json()["status"]) for r in payouts] == [(202, "held"), (202, "held"),
                                                                      (202, "pending")], payouts[0].content
    assert wallet_balance(user) == FUNDS - 300_000
    first, second = decisions(user=user, review_status="pending")
    with schema_context("ng"):
        held = Transfer.objects.get(public_id=first.subject_id)
        assert payout_submit(transfer_id=held.pk).status == "held"  # a stray task sends nothing
    assert held.reference not in paystack.transfers
    released = call("POST", f"/api/risk/decisions/{first.public_id}/release", finance_token)
    assert released.status_code == 200, released.content
    with schema_context("ng"):
        assert Transfer.objects.get(pk=held.pk).status == "pending"
        payout_submit(transfer_id=held.pk, schedule_poll=False)  # what the task sent after commit does
    assert held.reference in paystack.transfers
    assert call("POST", f"/api/risk/decisions/{second.public_id}/reject", finance_token).status_code == 200
    with schema_context("ng"):
        rejected = Transfer.objects.get(public_id=second.subject_id)
    assert (rejected.status, rejected.reference in paystack.transfers) == ("failed", False)
    assert wallet_balance(user) == FUNDS - 180_000  # 1500 + 300 out; the rejected 1200 back
    assert_books(user, FUNDS - 180_000)


def test_funding_is_screened_at_checkout_and_its_credit_opens_the_payout_after_funding_window(db, paystack):
    from tenant_apps.wallet.funding import funding_apply_verification
    from tenant_apps.wallet.models import FundingIntent

    register_gateway(country="NG", key="paystack", url=paystack.url)
    make_rule(name="one checkout a minute", rule_type="velocity_count", flows=["funding"], window_seconds=60,
              threshold_count=1, action="block")
    make_rule(name="payout after funding", rule_type="after_funding", flows=["bank_payout"], window_seconds=3600,
              action="block")
    user, token = person()
    started = call("POST", "/api/wallet/fund", token, {"amount": "100.00", "gateway": "paystack"})
    assert started.status_code == 201, started.content
    refused = call("POST", "/api/wallet/fund", token, {"amount": "100.00", "gateway": "paystack"})
    assert refused.status_code == 403 and error(refused)["code"] == "risk_blocked"
    [checkout] = decisions(user=user, flow="funding", counted=True)
    assert checkout.completed_at is None
    # Not paid yet: a payout is not "after a funding".
    assert call("POST", "/api/transfers", token, {"type": "bank", "recipient": ADA, "amount": "1.00"}).json()[
        "error"]["code"] == "insufficient_funds"
    with schema_context("ng"):
        intent = FundingIntent.objects.get(public_id=checkout.subject_id)
        funding_apply_verification(intent_id=intent.pk, verification=PaymentVerification(
            status=OutcomeStatus.SUCCESS, reference=intent.reference, amount_minor=10_000, currency="NGN",
            provider_id="1234", provider_status="success"))
    [checkout] = decisions(user=user, flow="funding", counted=True)
    assert checkout.completed_at is not None and wallet_balance(user) == 10_000
    blocked = call("POST", "/api/transfers", token, {"type": "bank", "recipient": ADA, "amount": "50.00"})
    assert blocked.status_code == 403 and error(blocked)["code"] == "risk_blocked"
    assert decisions(user=user, outcome="block", flow="bank_payout")[0].rule_name == "payout after funding"
