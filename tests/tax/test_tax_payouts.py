"""Nigeria's stamp duty on a bank payout: held with the amount, settled to its tax account in the same entry as
the payout, given back with the amount when the payout fails or is reversed (Paystack simulator over HTTP)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.tax.test_tax_flows import tax_postings, tier2
from tests.wallet.helpers import assert_books_balance, balance_of
from tests.wallet.test_transfers import funded, start_payout, submit_and_deliver, transfer_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def payouts(ng_gateways):
    return ng_gateways["paystack"]


def test_a_payout_from_ngn_10000_pays_the_stamp_duty_in_its_settle_entry(payouts, host_client):
    user = funded(3_000_000)
    tier2(user)
    answer = start_payout(user, amount="15000.00")
    assert answer.status_code == 202, answer.content
    assert answer.json()["total_debited"] == "15050.00" and answer.json()["taxes"][0]["code"] == "emtl"
    row = transfer_row(answer)
    # ₦15,000 + ₦50 held: the sender's one conditional debit covers the levy.
    assert row.hold is not None
    assert row.hold.amount == 1_505_000 and balance_of(user) == 3_000_000 - 1_505_000
    [webhook] = submit_and_deliver(payouts, host_client, row)
    assert webhook.json()["status"] == "succeeded", webhook.content
    with schema_context("ng"):
        from tenant_apps.ledger.models import JournalEntry

        entry = JournalEntry.objects.get(entry_type="hold_settle", reference=f"payout:{row.reference}")
        assert dict(entry.postings.values_list("account__kind", "amount")) == {
            "holds": -1_505_000, "gateway_clearing": 1_500_000, "tax_payable_levy_emtl": 5_000}
    assert tax_postings("ng", row.reference) == {"tax_payable_levy_emtl": 5_000}
    assert_books_balance("ng")


def test_a_failed_payout_gives_the_levy_back(payouts, host_client):
    payouts.set_fault("failure")
    user = funded(3_000_000)
    tier2(user)
    row = transfer_row(start_payout(user, amount="15000.00"))
    [webhook] = submit_and_deliver(payouts, host_client, row)
    assert webhook.json()["status"] == "failed"
    assert balance_of(user) == 3_000_000 and tax_postings("ng", row.reference) == {}
    assert_books_balance("ng")


def test_a_reversed_payout_refunds_the_levy_with_the_amount(payouts, host_client):
    payouts.set_fault("reversed")
    payouts.reversal_delay = 2.0
    user = funded(3_000_000)
    tier2(user)
    row = transfer_row(start_payout(user, amount="15000.00"))
    success, reversal = submit_and_deliver(payouts, host_client, row, events=2)
    assert success.json()["status"] == "succeeded" and reversal.json()["status"] == "reversed"
    assert balance_of(user) == 3_000_000
    assert tax_postings("ng", row.reference) == {"tax_payable_levy_emtl": 0}  # +50 at settle, -50 at refund
    assert_books_balance("ng")
