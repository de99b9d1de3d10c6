"""NG -> GH to a mobile-money wallet through MTN MoMo's simulator (the wallet app's payout state machine in GH):
paid out once; a definite failure at the rail returns the money through the hub and refunds the sender."""

from __future__ import annotations

import random

import pytest
from django_tenants.utils import schema_context

from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
from tenant_apps.wallet.models import Transfer
from tenant_apps.wallet.transfers import payout_poll, payout_submit
from tests.remittances.helpers import advance, assert_reconciled, funded, quote, remittance, send
from tests.support.waiting import wait_for
from tests.wallet.helpers import balance_of, register_gateway

SEND, RECEIVE = 500_000, 4_777


@pytest.fixture(scope="module")
def momo_gh():
    with MtnMomoSimulator(transfer_delay=0.02) as sim:
        yield sim


@pytest.fixture
def gh_momo(remit, momo_gh):
    register_gateway(country="GH", key="mtn_momo", url=momo_gh.url, options={"target_environment": "sandbox"})
    return momo_gh


def momo_phone() -> str:
    return "+233244" + "".join(random.choices("0123456789", k=6))


def inbound_transfer(rid: str, schema: str = "gh") -> Transfer:
    from tenant_apps.remittances.models import InboundRemittance

    with schema_context(schema):
        inbound = InboundRemittance.objects.get(public_id=rid)
        assert inbound.status == "paying_out" and inbound.transfer_id is not None
        return Transfer.objects.get(pk=inbound.transfer_id)


def run_payout(row: Transfer, schema: str = "gh") -> Transfer:
    """What the wallet app's tasks do after commit: submit, then poll the rail until final."""
    with schema_context(schema):
        payout_submit(transfer_id=row.pk, schedule_poll=False)

        def final():
            payout_poll(transfer_id=row.pk, attempt=5)
            fresh = Transfer.objects.get(pk=row.pk)
            return fresh if fresh.status != "pending" else None

        return wait_for(final, timeout=10)


def hub_status(rid: str) -> str:
    from shared_apps.remittance_hub.models import HubTransfer

    with schema_context("public"):
        return HubTransfer.objects.get(public_id=rid).status


@pytest.mark.django_db
def test_payout_to_mobile_money_in_ghana_paid_out_once(gh_momo):
    sender = funded("ng", 1_500_000)
    q = quote(sender, method="mobile_money", recipient_phone=momo_phone(), rail="mtn_momo").json()
    assert q["minor"]["receive"] == RECEIVE
    rid = send(sender, q["id"]).json()["id"]
    assert advance(rid) == "in_transit"  # the payout is on its way (pending at the rail)
    row = inbound_transfer(rid)
    assert (row.type, row.amount_minor, row.currency, row.account_number) == ("wallet", RECEIVE, "GHS",
                                                                             q["recipient"]["phone"].lstrip("+"))
    assert hub_status(rid) == "in_clearing"
    assert_reconciled()  # in transit: the clearing holds the principal, the payout's hold its amount
    assert run_payout(row).status == "succeeded"
    assert advance(rid) == "paid_out" and advance(rid) == "paid_out"
    assert hub_status(rid) == "settled"
    assert [t["externalId"] for t in gh_momo.transfers.values()].count(row.reference) == 1  # paid once
    assert balance_of(sender, "ng") == 1_500_000 - SEND
    assert remittance(rid).status == "paid_out"
    assert_reconciled()


@pytest.mark.django_db
def test_a_definite_payout_failure_refunds_the_sender(gh_momo):
    sender = funded("ng", 1_500_000)
    q = quote(sender, method="mobile_money", recipient_phone=momo_phone(), rail="mtn_momo").json()
    rid = send(sender, q["id"]).json()["id"]
    assert advance(rid) == "in_transit"
    row = inbound_transfer(rid)
    gh_momo.fault_for(row.reference, "failure")
    assert run_payout(row).status == "failed"
    assert advance(rid) == "refunded"
    assert balance_of(sender, "ng") == 1_500_000  # the whole amount, the fee too
    assert hub_status(rid) == "refunded"
    assert "failed at the rail" in remittance(rid).failure_reason
    with schema_context("gh"):
        from tenant_apps.ledger.models import Account

        assert Account.objects.get(holder=f"remittance:{rid}").balance == 0
    assert_reconciled()


@pytest.mark.django_db
def test_a_pending_payout_stays_in_transit(gh_momo):
    sender = funded("ng", 1_500_000)
    rid = send(sender, quote(sender, method="mobile_money", recipient_phone=momo_phone(), rail="mtn_momo")
               .json()["id"]).json()["id"]
    assert advance(rid) == "in_transit" and advance(rid) == "in_transit"  # not submitted yet: pending
    assert remittance(rid).status == "in_transit" and hub_status(rid) == "in_clearing"
    assert_reconciled()


@pytest.mark.django_db
def test_gh_to_ng_bank_account_through_paystack(remit, ng_gateways):
    """GHS 200.00, fee 1 % + GHS 1.00 = 300 pesewas, principal 19_700; mid 100 NGN per GHS, customer rate
    98.5: 19_700 * 98_500_000_000 * 100 / (100 * 10^9) = 1_940_450 kobo (NGN 19,404.50) to account 0123456789."""
    from tests.remittances.helpers import open_corridor

    open_corridor("gh", "NG", fee_fixed_minor=100)
    sender = funded("gh", 50_000)
    answer = quote(sender, amount="200.00", country="NG", method="bank", bank_code="058",
                   account_number="0123456789", recipient_name="Ada Obi Lovelace", schema="gh")
    assert answer.status_code == 201, answer.content
    assert answer.json()["minor"] == {"send": 20_000, "fee": 300, "principal": 19_700, "receive": 1_940_450,
                                      "rate_e9": 98_500_000_000}
    rid = send(sender, answer.json()["id"], schema="gh").json()["id"]
    assert advance(rid, "gh") == "in_transit"
    row = inbound_transfer(rid, "ng")
    assert (row.type, row.amount_minor, row.account_number, row.account_name) == \
        ("bank", 1_940_450, "0123456789", "ADA OBI LOVELACE")
    assert run_payout(row, "ng").status == "succeeded"
    assert advance(rid, "gh") == "paid_out" and balance_of(sender, "gh") == 30_000
    assert_reconciled("gh", "ng")
