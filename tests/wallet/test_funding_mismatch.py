"""A payment the gateway captured for another amount or currency than asked goes to suspense, never to the wallet.

Before, such an intent went to review and nothing was posted: the money the gateway held for us was in no account
(the gateway's settlement never matched the ledger), and when finance then gave the customer what they had paid
(an adjustment of the wallet against suspense, the tool there is for it) it came out of a suspense account that
had never received it. Now what the gateway verified is posted gateway clearing -> suspense, in the currency it
was paid in, once however often the notification comes; the wallet is still not credited.
"""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from provider_plugins.interfaces.common import OutcomeStatus
from provider_plugins.interfaces.payments import PaymentVerification
from tenant_apps.ledger.models import AccountKind, JournalEntry
from tenant_apps.ledger.selectors import system_balance
from tenant_apps.wallet.funding import FUNDING_MISMATCH_ENTRY, funding_apply_verification
from tenant_apps.wallet.models import FundingIntent
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


def _suspense(currency: str = "NGN") -> int:
    with schema_context("ng"):
        return system_balance(kind=AccountKind.SUSPENSE, currency=currency)


def test_an_underpaid_checkout_is_held_in_suspense_once_and_finance_can_settle_it(ng_gateways, host_client):
    from tenant_apps.wallet.adjustments import wallet_adjust
    from tests.merchants.helpers import staff

    flutterwave = ng_gateways["flutterwave"]
    user = new_customer()
    started = post(client_for(user), "/api/wallet/fund", {"amount": "250.00", "gateway": "flutterwave"})
    assert started.status_code in (201, 202), started.content
    reference = started.json()["reference"]
    suspense_before = _suspense()
    flutterwave.complete(reference, amount_minor=2_500)  # the customer paid 25.00, not 250.00
    client = host_client("ng.localhost")
    for _ in range(2):  # the same notification again changes nothing
        answer = deliver(client, "/webhook/flutterwave", flutterwave.deliveries[-1])
        assert answer.status_code == 200, answer.content
    assert balance_of(user) == 0
    assert _suspense() == suspense_before + 2_500
    with schema_context("ng"):
        intent = FundingIntent.objects.get(reference=reference)
        assert (intent.status, intent.failure_reason) == ("review", "amount_mismatch")
        assert JournalEntry.objects.filter(entry_type=FUNDING_MISMATCH_ENTRY, reference=intent.ledger_reference) \
            .count() == 1
        # finance gives the customer what they paid, from the suspense that holds it
        wallet_adjust(actor=staff(role="operator_finance"), user=user, amount="25.00", currency="NGN",
                      reason=f"underpaid funding {reference}", returns_own_money=False)
    assert balance_of(user) == 2_500 and _suspense() == suspense_before
    assert_books_balance("ng")


@pytest.mark.parametrize(("currency", "posted"), [("USD", True), ("XYZ", False), ("", False)])
def test_another_currency_is_held_in_that_currency_and_no_currency_is_left_to_review(ng_gateways, currency, posted):
    user = new_customer()
    with schema_context("ng"):
        before = system_balance(kind=AccountKind.SUSPENSE, currency="USD")
    intent = verified_intent(user, asked_minor=100_000, paid_minor=100_000, paid_currency=currency)
    with schema_context("ng"):
        assert (intent.status, intent.failure_reason) == ("review", "amount_mismatch")
        assert JournalEntry.objects.filter(entry_type=FUNDING_MISMATCH_ENTRY).filter(
            reference=intent.ledger_reference).exists() is posted
        if currency == "USD":
            assert system_balance(kind=AccountKind.SUSPENSE, currency="USD") == before + 100_000
    assert balance_of(user) == 0
    assert_books_balance("ng")


def test_a_reseller_float_payment_of_another_amount_is_held_where_the_gateway_paid_it(host_client, paystack):
    """A reseller's float is paid to its country operation's gateway account: the suspense is the operation's, and
    neither side of the float moves."""
    from tenant_apps.agents.floats import float_balances
    from tenants.models import Tenant
    from tests.accounts.helpers import call, login, make_user
    from tests.wallet.helpers import register_gateway

    register_gateway(country="NG", key="paystack", url=paystack.url)
    reseller = Tenant.objects.get(schema_name="quickvend")
    floats_before = float_balances(reseller=reseller)
    email = f"qv-fund-{uuid.uuid4().hex[:6]}@qv.test"
    make_user("quickvend", email=email, role="operator_admin")
    site = host_client("quickvend.localhost")
    token = login(site, email)["access"]
    started = call(site, "POST", "/api/resellers/float/fund", {"amount": "2500.00", "gateway": "paystack"},
                   token=token, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert started.status_code == 201, started.content
    suspense_before = {schema: _suspense_in(schema) for schema in ("ng", "quickvend")}
    with schema_context("quickvend"):
        intent = FundingIntent.objects.get(public_id=started.json()["id"])
        intent = funding_apply_verification(intent_id=intent.pk, verification=PaymentVerification(
            OutcomeStatus.SUCCESS, intent.gateway_reference, 25_000, "NGN"))
        assert (intent.status, intent.failure_reason, intent.credit_entry_id) == ("review", "amount_mismatch", None)
    assert _suspense_in("ng") == suspense_before["ng"] + 25_000
    assert _suspense_in("quickvend") == suspense_before["quickvend"]
    after = float_balances(reseller=reseller)
    assert (after.parent_balance, after.mirror_balance) == (floats_before.parent_balance, floats_before.mirror_balance)
    assert_books_balance("ng")


def _suspense_in(schema: str) -> int:
    with schema_context(schema):
        return system_balance(kind=AccountKind.SUSPENSE, currency="NGN")
