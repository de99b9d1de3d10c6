"""Daily settlement (time given explicitly: ``now=``) to the owner's wallet and to a bank account through
the Paystack simulator and the wallet app's payout state machine; refunds racing on committed data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from tenant_apps.merchants import services
from tenant_apps.merchants.models import MerchantPayment, MerchantRefund, MerchantSettlement
from tenant_apps.merchants.selectors import merchant_discrepancies
from tenant_apps.wallet.models import Transfer
from tenant_apps.wallet.transfers import payout_poll, payout_submit
from tests.merchants.helpers import balances, funded, open_business, takings
from tests.support.concurrency import run_concurrently
from tests.support.waiting import wait_for
from tests.wallet.helpers import assert_books_balance, client_for, post

DAY1 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def pay(payer, merchant, amount: str):
    answer = post(client_for(payer), "/api/merchant-payments", {"merchant_code": merchant.code, "amount": amount})
    assert answer.status_code == 201, answer.content
    return answer


@pytest.mark.django_db
def test_daily_settlement_to_the_wallet_runs_once_per_merchant_per_day(db):
    merchant = open_business()
    payer = funded()
    pay(payer, merchant, "1000.00")
    with schema_context("ng"):
        results = services.settlements_run(now=DAY1 + timedelta(hours=10))  # 01:00 the next day
        assert results["settled"] >= 1
        settlement = MerchantSettlement.objects.get(merchant=merchant)
        assert (settlement.business_date.isoformat(), settlement.amount_minor, settlement.status) == \
            ("2026-03-02", 99_000, "succeeded")
        assert services.merchant_settle(merchant=merchant, business_date=settlement.business_date) is None
    assert takings(merchant) == 0 and balances(merchant.owner) == [99_000]
    pay(payer, merchant, "500.00")
    with schema_context("ng"):
        services.settlements_run(now=DAY1 + timedelta(hours=11))  # same business date: already settled
        assert MerchantSettlement.objects.filter(merchant=merchant).count() == 1
        services.settlements_run(now=DAY1 + timedelta(days=1, hours=10))
        assert list(MerchantSettlement.objects.filter(merchant=merchant).values_list("amount_minor", flat=True)) \
            == [49_500, 99_000]
        assert merchant_discrepancies() == []
    dashboard = client_for(merchant.owner).get(f"/api/merchants/{merchant.public_id}/settlements").json()
    assert [row["status"] for row in dashboard["results"]] == ["succeeded", "succeeded"]
    assert_books_balance("ng")


@pytest.mark.django_db
def test_settlement_to_a_bank_account_through_the_payout_rail(ng_gateways):
    rail = ng_gateways["paystack"]
    merchant = open_business(settlement=services.SettlementDetails(method="bank", bank_code="058",
                                                                   account_number="0123456789"))
    assert merchant.settlement_account_name == "ADA OBI LOVELACE"  # name enquiry at the bank
    payer = funded()
    pay(payer, merchant, "2000.00")
    with schema_context("ng"):
        services.settlements_run(now=DAY1 + timedelta(hours=10))
        settlement = MerchantSettlement.objects.select_related("transfer").get(merchant=merchant)
        transfer = settlement.transfer
        assert transfer is not None
        assert (transfer.type, transfer.amount_minor, transfer.account_number) == ("bank", 198_000, "0123456789")
        hold = transfer.hold
        assert hold is not None and hold.wallet_id == merchant.account_id and hold.status == "placed"
    assert takings(merchant) == 0 and balances(merchant.owner) == [0]  # not the owner's wallet: the takings'
    with schema_context("ng"):
        payout_submit(transfer_id=transfer.pk, schedule_poll=False)
        wait_for(lambda: rail.transfers[transfer.reference]["status"] == "success")
        assert payout_poll(transfer_id=transfer.pk, attempt=0) == "succeeded"
        settlement = services.settlement_sync(settlement=MerchantSettlement.objects.get(pk=settlement.pk))
        assert settlement.status == "succeeded"
        hold.refresh_from_db()
        assert hold.status == "settled"
        assert merchant_discrepancies() == []
    assert_books_balance("ng")


@pytest.mark.django_db
def test_a_failed_bank_settlement_returns_to_the_takings_and_is_paid_the_next_day(ng_gateways):
    rail = ng_gateways["paystack"]
    rail.set_fault("failure")
    merchant = open_business(settlement=services.SettlementDetails(method="bank", bank_code="058",
                                                                   account_number="0123456789"))
    pay(funded(), merchant, "300.00")
    with schema_context("ng"):
        services.settlements_run(now=DAY1 + timedelta(hours=10))
        transfer = MerchantSettlement.objects.get(merchant=merchant).transfer
        assert transfer is not None
        payout_submit(transfer_id=transfer.pk, schedule_poll=False)
        wait_for(lambda: rail.transfers[transfer.reference]["status"] == "failed")
        assert payout_poll(transfer_id=transfer.pk, attempt=0) == "failed"
        services.settlements_run(now=DAY1 + timedelta(days=1, hours=10))
        first, second = MerchantSettlement.objects.filter(merchant=merchant).order_by("business_date")
        assert first.status == "failed" and second.amount_minor == 29_700 and second.status == "pending"
        assert merchant_discrepancies() == []
    assert_books_balance("ng")


def test_concurrent_refunds_never_pass_the_amount_paid(live_db):
    """Ten refunds of 30 % of one payment at once, on committed data: exactly three succeed."""
    merchant = open_business(name=f"Race Shop {uuid.uuid4().hex[:6]}")
    payer = funded()
    with schema_context("ng"):
        payment = services.merchant_pay(payer=payer, payee=services.payee_from_code(merchant.code),
                                        amount_minor=100_000)

    def refund(_index: int):
        row = MerchantPayment.objects.get(pk=payment.pk)
        return services.payment_refund(actor=merchant.owner, payment=row, amount_minor=30_000)

    results = run_concurrently(10, refund)
    done = [r for r in results if isinstance(r, MerchantRefund)]
    refused = [r for r in results if isinstance(r, services.RefundTooLarge)]
    assert (len(done), len(refused)) == (3, 7), results
    with schema_context("ng"):
        payment.refresh_from_db()
        assert payment.refunded_minor == 90_000 and payment.status == "partially_refunded"
        assert Transfer.objects.filter(sender=merchant.owner).count() == 0
        assert [d for d in merchant_discrepancies() if merchant.code in d.subject] == []
    assert balances(payer) == [1_000_000 - 100_000 + 90_000]


@pytest.mark.django_db
def test_a_wallet_settlement_over_the_owners_maximum_balance_stays_in_the_takings(db):
    """Settlement brings new money into the owner's customer wallet: the KYC tier's maximum balance holds
    (NG tier 0: 20,000.00). Nothing moves, the day's row says why, the takings keep the money, and the next
    day's settlement pays the whole balance once the wallet has room."""
    from tenant_apps.ledger.services import fund_wallet, transfer, wallet_for
    from tests.wallet.helpers import new_customer

    owner = new_customer()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=owner), amount=1_950_000, reference=f"test-fund:{uuid.uuid4()}")
    merchant = open_business(owner=owner)
    payer = funded()
    pay(payer, merchant, "1000.00")  # 990.00 net of the 1 % grocery fee
    with schema_context("ng"):
        assert services.settlements_run(now=DAY1 + timedelta(hours=10))["settled"] >= 1
        settlement = MerchantSettlement.objects.get(merchant=merchant)
        assert (settlement.status, settlement.failure_reason, settlement.entry_id, settlement.amount_minor) == \
            ("failed", "balance_limit_exceeded", None, 99_000)
        assert merchant_discrepancies() == []
    assert takings(merchant) == 99_000 and balances(owner) == [1_950_000]
    rows = client_for(owner).get(f"/api/merchants/{merchant.public_id}/settlements").json()["results"]
    assert [(row["status"], row["failure_code"]) for row in rows] == [("failed", "balance_limit_exceeded")]
    assert rows[0]["failure_reason"].startswith("Your wallet would pass the maximum balance"), rows

    with schema_context("ng"):  # the owner spends: room for the takings
        transfer(source=wallet_for(user=owner), destination=wallet_for(user=payer), amount=100_000,
                 reference=f"spend:{uuid.uuid4()}")
        services.settlements_run(now=DAY1 + timedelta(days=1, hours=10))
        assert list(MerchantSettlement.objects.filter(merchant=merchant).values_list("status", "amount_minor")) \
            == [("succeeded", 99_000), ("failed", 99_000)]
        assert merchant_discrepancies() == []
    assert takings(merchant) == 0 and balances(owner) == [1_949_000]
    assert_books_balance("ng")


@pytest.mark.django_db
def test_a_mobile_money_settlement_pays_what_the_rail_can_and_keeps_the_rest_in_the_takings(host_client):
    """A CinetPay wallet is paid in multiples of 5 units: takings of 1,487 F CFA (1,502 paid, 1 % fee 15) settle
    1,485 and keep 2 for a later day. The whole 1,487 used to be sent, refused by CinetPay and released, every day."""
    from provider_plugins.cinetpay.simulator import CinetPaySimulator
    from tests.wallet.helpers import register_gateway

    with CinetPaySimulator(transfer_delay=0.02) as cinetpay:
        register_gateway(country="SN", key="cinetpay", url=cinetpay.url)
        merchant = open_business("sn", settlement=services.SettlementDetails(method="mobile_money", rail="cinetpay"))
        payer = funded(10_000, schema="sn")
        paid = post(client_for(payer, "sn"), "/api/merchant-payments", {"merchant_code": merchant.code,
                                                                        "amount": "1502"})
        assert paid.status_code == 201, paid.content
        assert takings(merchant, "sn") == 1_487
        with schema_context("sn"):
            services.settlements_run(now=DAY1 + timedelta(hours=10))
            settlement = MerchantSettlement.objects.select_related("transfer").get(merchant=merchant)
            transfer = settlement.transfer
            assert transfer is not None and (transfer.type, transfer.amount_minor) == ("wallet", 1_485)
            payout_submit(transfer_id=transfer.pk, schedule_poll=False)
            wait_for(lambda: cinetpay.transfers[transfer.reference]["treatment_status"] == "VAL")
            assert payout_poll(transfer_id=transfer.pk, attempt=0) == "succeeded"
            settlement = services.settlement_sync(settlement=MerchantSettlement.objects.get(pk=settlement.pk))
            assert settlement.status == "succeeded"
            assert merchant_discrepancies() == []
        assert takings(merchant, "sn") == 2
    assert_books_balance("sn")
