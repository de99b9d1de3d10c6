"""Polling in a real Celery worker: MTN MoMo request-to-pay (202) and a pending bank payout, until final."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from tenant_apps.ledger.services import fund_wallet, wallet_for
from tenant_apps.wallet.models import FundingIntent, Transfer
from tests.support.processes import celery_worker
from tests.support.waiting import wait_for
from tests.wallet.helpers import assert_books_balance, balance_of, client_for, funding_entries, new_customer, post

pytestmark = pytest.mark.slow

FAST_POLLS = "0.3,0.3,0.3,0.5,0.5,1,1,1"


@pytest.fixture(scope="module")
def worker(django_db_setup):
    """One real worker for the module's tests (a start is ~1.5 s of CPU): polls at FAST_POLLS, no SMS."""
    with celery_worker(WALLET_POLL_DELAYS_SECONDS=FAST_POLLS, WALLET_SMS_NOTIFICATIONS="0") as running:
        yield running


@pytest.fixture
def fast_polls(settings):
    settings.WALLET_POLL_DELAYS_SECONDS = [float(x) for x in FAST_POLLS.split(",")]
    settings.WALLET_SMS_NOTIFICATIONS = False


def status_of(model, schema: str, public_id: str) -> str:
    with schema_context(schema):
        return model.objects.get(public_id=public_id).status


def test_momo_request_to_pay_then_polling_credits_once_and_a_rejection_credits_nothing(committed_gateway, momo,
                                                                                        fast_polls, worker):
    committed_gateway(country="GH", key="mtn_momo", url=momo.url, options={"target_environment": "sandbox"})
    payer, rejecter = new_customer("gh"), new_customer("gh")
    accepted = post(client_for(payer, "gh"), "/api/wallet/fund", {"amount": "2.50", "gateway": "mtn_momo"})
    assert accepted.status_code == 202, accepted.content
    body = accepted.json()
    assert body["status"] == "pending" and body["authorization_url"] == ""
    momo.set_fault("failure")
    refused = post(client_for(rejecter, "gh"), "/api/wallet/fund", {"amount": "1.00", "gateway": "mtn_momo"})
    assert refused.status_code == 202
    wait_for(lambda: status_of(FundingIntent, "gh", body["id"]) == "succeeded", timeout=30)
    wait_for(lambda: status_of(FundingIntent, "gh", refused.json()["id"]) == "failed", timeout=30)
    assert balance_of(payer, "gh") == 250 and funding_entries(body["reference"], "gh") == 1
    assert balance_of(rejecter, "gh") == 0 and funding_entries(refused.json()["reference"], "gh") == 0
    with schema_context("gh"):
        assert FundingIntent.objects.get(public_id=body["id"]).polls >= 1
    assert_books_balance("gh")


def test_pending_payout_is_polled_until_final(committed_gateway, paystack, fast_polls, worker):
    committed_gateway(country="NG", key="paystack", url=paystack.url)
    paystack.set_fault("pending_then_success", polls=2)
    user = new_customer()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=user), amount=500_000, reference=f"test-fund:{uuid.uuid4()}")
    answer = post(client_for(user), "/api/transfers",
                  {"type": "bank", "recipient": {"bank_code": "058", "account_number": "0123456789"},
                   "amount": "150.00"})
    assert answer.status_code == 202, answer.content
    transfer_id = answer.json()["id"]
    wait_for(lambda: status_of(Transfer, "ng", transfer_id) == "succeeded", timeout=30)
    with schema_context("ng"):
        row = Transfer.objects.select_related("hold").get(public_id=transfer_id)
        assert row.polls >= 1 and row.wallet_hold.status == "settled"
    assert balance_of(user) == 500_000 - 15_000
    assert_books_balance("ng")
