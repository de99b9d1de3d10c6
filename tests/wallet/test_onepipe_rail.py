"""OnePipe in the product: the NG bank payout rail (name enquiry, disburse, requery, failure, callbacks of another
gateway refused) and the BVN check of KYC submissions, through the OnePipe simulator."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from provider_plugins.onepipe.simulator import OnePipeSimulator
from tenant_apps.wallet.models import Transfer
from tenant_apps.wallet.transfers import payout_poll, payout_submit
from tests.wallet.helpers import assert_books_balance, balance_of, client_for, deliver, post, register_gateway
from tests.wallet.test_transfers import ADA, code, funded, transfer_row

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def onepipe_sim():
    with OnePipeSimulator() as sim:
        yield sim


@pytest.fixture
def onepipe(db, onepipe_sim, settings):
    settings.WALLET_PAYOUT_GATEWAYS = ["onepipe"]
    register_gateway(country="NG", key="onepipe", url=onepipe_sim.url, options={"auth_provider": "Polaris"})
    yield onepipe_sim
    onepipe_sim.clear_faults()


def test_payout_through_onepipe(onepipe):
    user = funded()
    enquiry = post(client_for(user), "/api/transfers/name-enquiry", ADA)
    assert enquiry.status_code == 200 and enquiry.json()["account_name"] == "ADA OBI LOVELACE"
    missing = post(client_for(user), "/api/transfers/name-enquiry",
                   {"bank_code": "058", "account_number": "9911111111"})
    assert (missing.status_code, code(missing)) == (422, "invalid_account")
    before = onepipe.balance
    answer = post(client_for(user), "/api/transfers", {"type": "bank", "recipient": ADA, "amount": "300.00"})
    assert answer.status_code == 202, answer.content
    row = transfer_row(answer)
    assert row.gateway == "onepipe" and balance_of(user) == 1_000_000 - 30_000
    with schema_context("ng"):
        assert payout_submit(transfer_id=row.pk, schedule_poll=False).status == "succeeded"
        # The task running twice (a redelivered message) changes nothing: the same transaction_ref at OnePipe.
        assert payout_submit(transfer_id=row.pk, schedule_poll=False).status == "succeeded"
    assert onepipe.balance == before - 30_000
    assert transfer_row(answer).wallet_hold.status == "settled" and balance_of(user) == 970_000
    assert_books_balance("ng")


def test_pending_payout_is_requeried_and_failure_gives_the_money_back(onepipe):
    user = funded()
    onepipe.set_fault("pending_then_success", polls=2)
    row = transfer_row(post(client_for(user), "/api/transfers", {"type": "bank", "recipient": ADA,
                                                                 "amount": "100.00"}))
    with schema_context("ng"):
        assert payout_submit(transfer_id=row.pk, schedule_poll=False).status == "pending"
        statuses = [payout_poll(transfer_id=row.pk, attempt=99) for _ in range(2)]
    assert statuses == ["pending", "succeeded"]
    onepipe.set_fault("failure")
    row = transfer_row(post(client_for(user), "/api/transfers", {"type": "bank", "recipient": ADA,
                                                                 "amount": "50.00"}))
    with schema_context("ng"):
        assert payout_submit(transfer_id=row.pk, schedule_poll=False).status == "failed"
    assert balance_of(user) == 1_000_000 - 10_000
    assert_books_balance("ng")


def test_another_gateways_callback_cannot_settle_a_onepipe_payout(onepipe, ng_gateways, host_client):
    paystack = ng_gateways["paystack"]
    user = funded()
    onepipe.set_fault("pending_then_success", polls=5)
    row = transfer_row(post(client_for(user), "/api/transfers", {"type": "bank", "recipient": ADA,
                                                                 "amount": "100.00"}))
    with schema_context("ng"):
        payout_submit(transfer_id=row.pk, schedule_poll=False)
    # Validly signed by Paystack, naming our OnePipe payout's reference: refused (found only among Paystack payouts).
    headers, raw = paystack.build_webhook({"event": "transfer.reversed", "data": {
        "id": 1, "reference": row.reference, "amount": 10_000, "currency": "NGN", "status": "reversed",
        "transfer_code": "TRF_x"}})
    answer = deliver(host_client("ng.localhost"), "/webhook/paystack", {"headers": headers, "body": raw})
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    with schema_context("ng"):
        assert Transfer.objects.get(pk=row.pk).status == "pending"
    assert balance_of(user) == 1_000_000 - 10_000 and json.loads(raw)["data"]["reference"] == row.reference


def test_bvn_submissions_are_checked_by_onepipe_in_nigeria(onepipe, settings):
    from tenant_apps.kyc.services import kyc_submit
    from tests.wallet.helpers import new_customer

    settings.KYC_VERIFIER = {**settings.KYC_VERIFIER, "ENABLED": False}  # only the registry's OnePipe row answers
    user = new_customer()
    before = len(onepipe.lookups)
    with schema_context("ng"):
        found = kyc_submit(user=user, scheme="bvn", number="22212345678")
        assert (found.verification_status, found.status) == ("match", "pending")
        other = new_customer()
        missing = kyc_submit(user=other, scheme="bvn", number="22212340000")
        assert (missing.verification_status, missing.status) == ("no_match", "rejected")
    kinds = [lookup["request_type"] for lookup in onepipe.lookups[before:]]
    assert kinds == ["lookup_bvn_min", "lookup_bvn_min"]
    assert "22212345678" not in str(onepipe.lookups)
