"""Agent cash-out against a withdrawal code: held at generation, bound to the amount, single use, short-lived,
hashed at rest, counted wrong attempts; fee and commissions; idempotency; audit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.cash.models import CashTransaction, WithdrawalCode
from tests.cash.helpers import balance, client_for, error_code, funded_customer, new_agent, new_user, post
from tests.support.unchanged import nothing_changes
from tests.wallet.helpers import assert_books_balance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quiet(settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}


def vat_total() -> int:
    from tenant_apps.ledger.services import system_account

    with schema_context("ng"):
        return sum(system_account(kind="tax_payable_vat", currency="NGN").postings.values_list("amount", flat=True))


def fees_total() -> int:
    from tenant_apps.ledger.models import AccountKind
    from tenant_apps.ledger.services import system_account

    with schema_context("ng"):
        return sum(system_account(kind=AccountKind.FEES, currency="NGN").postings.values_list("amount", flat=True))


def test_withdraw_with_a_code_at_an_agent():
    from tenant_apps.pricing.models import CommissionTier

    with schema_context("ng"):
        CommissionTier.objects.update_or_create(level=1, defaults={"rate_bp": 40})
    agent, _ = new_agent()
    customer = funded_customer()
    made = post(customer, "/api/cash/withdrawal-codes", {"amount": "3000.00"}, key="wc-1")
    assert made.status_code == 201, made.content
    body = made.json()
    code = body["code"]
    assert len(code) == 8 and code.isdigit()
    # The key's stored answer keeps the code encrypted; a replay of the key shows it again, and holds nothing more.
    with schema_context("ng"):
        from tenant_apps.idempotency.models import IdempotencyKey

        kept = json.dumps(IdempotencyKey.objects.get(user=customer, key="wc-1").response_body)
    assert code not in kept and "__sealed__" in kept
    replay = post(customer, "/api/cash/withdrawal-codes", {"amount": "3000.00"}, key="wc-1")
    assert replay.status_code == 201 and replay["Idempotency-Replayed"] == "true" and replay.json() == body
    assert (body["amount"], body["fee"], body["total"]) == ("3000.00", "30.00", "3030.00")
    assert balance(customer) == 1_000_000 - 303_000  # held at once: the agent can always be paid
    with schema_context("ng"):
        stored = WithdrawalCode.objects.get(public_id=body["id"])
    assert code not in stored.code_hash and len(stored.code_hash) > 64  # only a keyed hash rests
    listed = client_for(customer).get("/api/cash/withdrawal-codes").json()["results"]
    assert listed[0]["id"] == body["id"] and "code" not in listed[0]
    fees_before, vat_before = fees_total(), vat_total()
    # Wrong amount, wrong code, wrong phone: one answer, nothing paid.
    for data in ({"customer": customer.phone, "code": code, "amount": "2999"},
                 {"customer": customer.phone, "code": "00000000" if code != "00000000" else "1", "amount": "3000"},
                 {"customer": "08030000002", "code": code, "amount": "3000"}):
        wrong = post(agent, "/api/cash/out", data)
        assert (wrong.status_code, error_code(wrong)) == (400, "invalid_withdrawal_code")
    paid = post(agent, "/api/cash/out", {"customer": customer.phone, "code": code, "amount": "3000"}, key="co-1")
    assert paid.status_code == 201, paid.content
    assert paid.json()["kind"] == "cash_out" and paid.json()["fee"] == "30.00"
    # The agent gives 3,000 NGN in cash and gets it in e-float, plus its 0.4 % commission (1,200 kobo, within the
    # 3,000 kobo fee); the rest of the fee (18.00) is the operator's income, Nigeria's 7.5 % VAT carved out of it:
    # 18.00 x 7.5 / 107.5 = 1.256 -> 1.26 VAT payable, 16.74 to fees.
    assert balance(agent) == 300_000 + 1_200 and fees_total() == fees_before + 1_674
    assert vat_total() == vat_before + 126
    assert balance(customer) == 1_000_000 - 303_000
    replay = post(agent, "/api/cash/out", {"customer": customer.phone, "code": code, "amount": "3000"}, key="co-1")
    assert replay.status_code == 201 and replay["Idempotency-Replayed"] == "true"
    reuse = post(agent, "/api/cash/out", {"customer": customer.phone, "code": code, "amount": "3000"})
    # Single use; the agent who paid it out is told so (another key: a client minting one per tap), nothing counted.
    assert (reuse.status_code, error_code(reuse)) == (409, "withdrawal_code_not_active")
    with schema_context("ng"):
        stored.refresh_from_db()
        assert stored.status == "used" and stored.attempts == 2  # the wrong amount and the wrong code counted
        from tenant_apps.audit.models import AuditEvent

        assert AuditEvent.objects.filter(action="cash_out", subject_id=paid.json()["id"]).exists()
        assert AuditEvent.objects.filter(action="withdrawal_code_created", subject_id=body["id"]).exists()
    assert balance(agent) == 301_200
    history = client_for(customer).get("/api/cash/transactions").json()["results"]
    assert [r["kind"] for r in history] == ["cash_out"]
    assert_books_balance("ng")


def test_codes_lock_expire_and_cancel_giving_the_money_back(settings):
    from tenant_apps.cash.services import cash_expire_stale

    settings.AGENT_CASH = {**settings.AGENT_CASH, "MAX_ATTEMPTS": 2}
    agent, _ = new_agent()
    customer = funded_customer()
    locked = post(customer, "/api/cash/withdrawal-codes", {"amount": "100"}).json()
    for _ in range(2):
        post(agent, "/api/cash/out", {"customer": customer.phone, "code": "12345678", "amount": "100"})
    with schema_context("ng"):
        assert WithdrawalCode.objects.get(public_id=locked["id"]).status == "locked"
    assert post(agent, "/api/cash/out", {"customer": customer.phone, "code": locked["code"],
                                         "amount": "100"}).status_code == 400
    expiring = post(customer, "/api/cash/withdrawal-codes", {"amount": "200"}).json()
    cancelling = post(customer, "/api/cash/withdrawal-codes", {"amount": "300"}).json()
    assert balance(customer) == 1_000_000 - 20_200 - 30_300
    cancelled = post(customer, f"/api/cash/withdrawal-codes/{cancelling['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    with schema_context("ng"):
        assert cash_expire_stale(now=timezone.now() + timedelta(hours=1)) == 1
        assert WithdrawalCode.objects.get(public_id=expiring["id"]).status == "expired"
    assert balance(customer) == 1_000_000 and balance(agent) == 0
    late = post(agent, "/api/cash/out", {"customer": customer.phone, "code": expiring["code"], "amount": "200"})
    assert error_code(late) == "invalid_withdrawal_code"
    assert_books_balance("ng")


def test_code_limits_and_agent_throttle(settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "AGENT_CODE_FAILURES_PER_HOUR": 3, "MAX_ACTIVE_CODES": 2}
    poor = funded_customer(10_000)
    short = post(poor, "/api/cash/withdrawal-codes", {"amount": "100"})  # 100 + 1 fee > 100 held
    assert (short.status_code, error_code(short)) == (422, "insufficient_funds")
    customer = funded_customer()
    post(customer, "/api/cash/withdrawal-codes", {"amount": "10"})
    post(customer, "/api/cash/withdrawal-codes", {"amount": "10"})
    third = post(customer, "/api/cash/withdrawal-codes", {"amount": "10"})
    assert (third.status_code, error_code(third)) == (409, "too_many_withdrawal_codes")
    big = post(funded_customer(), "/api/cash/withdrawal-codes", {"amount": "6000"})  # tier 0: 5,000 NGN at once
    assert (big.status_code, error_code(big)) == (403, "kyc_limit_exceeded")
    agent, _ = new_agent()
    from django.core.cache import cache

    cache.clear()
    for _ in range(3):
        post(agent, "/api/cash/out", {"customer": customer.phone, "code": "99999999", "amount": "10"})
    throttled = post(agent, "/api/cash/out", {"customer": customer.phone, "code": "99999999", "amount": "10"})
    assert (throttled.status_code, error_code(throttled)) == (429, "too_many_attempts")
    someone = new_user()
    with nothing_changes("ng"):
        assert post(someone, "/api/cash/out", {"customer": customer.phone, "code": "1", "amount": "1"}) \
            .status_code == 403  # customers do not pay out
        assert post(agent, "/api/cash/withdrawal-codes", {"amount": "10"}).status_code == 403  # agents do not
    with schema_context("ng"):
        assert not CashTransaction.objects.filter(customer=customer).exists()
