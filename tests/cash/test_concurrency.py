"""No overdraft under concurrency: many cash-ins racing on one agent's float, and one withdrawal code redeemed
by racing agents (real commits, threads with their own connections)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenant_apps.cash.models import CashTransaction
from tests.cash.helpers import balance, new_agent, new_user, post
from tests.support.concurrency import run_concurrently
from tests.wallet.helpers import assert_books_balance


def test_racing_cash_ins_never_overdraw_the_agents_float(live_db, settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False, "CASH_IN_COMMISSION_BPS": 0}
    agent, _ = new_agent(float_minor=100_000)  # room for 6 cash-ins of 150 NGN
    customers = [new_user() for _ in range(10)]

    def cash_in(index: int):
        return post(agent, "/api/cash/in", {"customer": customers[index].phone, "amount": "150"}).status_code

    results = run_concurrently(10, cash_in)
    codes = [r for r in results if not isinstance(r, Exception)]
    assert len(codes) == len(results), results
    assert sorted(codes) == [201] * 6 + [422] * 4
    assert balance(agent) == 100_000 - 6 * 15_000
    assert sum(balance(customer) for customer in customers) == 6 * 15_000
    with schema_context("ng"):
        assert CashTransaction.objects.filter(agent=agent, status="completed").count() == 6
    assert_books_balance("ng")


def test_one_code_racing_at_several_agents_pays_once(live_db, settings):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}
    customer = new_user()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=customer), amount=50_000, reference=f"t:{customer.pk}")
    code = post(customer, "/api/cash/withdrawal-codes", {"amount": "400"}).json()["code"]
    agents = [new_agent()[0] for _ in range(6)]

    def redeem(index: int):
        return post(agents[index], "/api/cash/out", {"customer": customer.phone, "code": code,
                                                     "amount": "400"}).status_code

    results = run_concurrently(6, redeem)
    assert results.count(201) == 1 and set(results) <= {201, 400, 409}, results
    assert sum(balance(agent) for agent in agents) >= 40_000 and balance(customer) == 50_000 - 40_400
    assert_books_balance("ng")


def test_racing_cash_ins_to_one_tier0_customer_never_pass_the_balance_cap(live_db, settings):
    """Six agents at once, 3,000 NGN each, to a tier-0 customer holding 12,000 (cap 20,000): exactly two fit. The
    ledger decides under the wallet's row lock (balance + holds), not a check read before it."""
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False, "CASH_IN_COMMISSION_BPS": 0}
    customer = new_user()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=customer), amount=1_200_000, reference=f"t:{customer.pk}")
    agents = [new_agent(float_minor=500_000)[0] for _ in range(6)]

    def cash_in(index: int):
        answer = post(agents[index], "/api/cash/in", {"customer": customer.phone, "amount": "3000"})
        return answer.status_code, answer.json().get("error", {}).get("code")

    results = run_concurrently(6, cash_in)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results, key=str) == [(201, None)] * 2 + [(422, "balance_limit_exceeded")] * 4
    assert balance(customer) == 1_800_000
    assert sum(balance(agent) for agent in agents) == 6 * 500_000 - 2 * 300_000
    assert_books_balance("ng")
