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


def test_an_agent_earns_one_commissioned_cash_in_per_customer_a_day_even_when_they_race(live_db, settings):
    """Commission churning: an agent cashing in to a second account of its own and sending it back by P2P (free)
    would be paid by the operator every round. One commissioned cash-in per (agent, customer) in 24 h: six racing
    cash-ins to one customer pay it once (the customer's wallet lock orders them); another customer still earns."""
    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False, "CASH_IN_COMMISSION_BPS": 50,
                           "COMMISSIONED_CASH_INS_PER_CUSTOMER_PER_DAY": 1}
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.pricing.models import CommissionTier

    agent, _ = new_agent(float_minor=1_000_000)
    own_account, stranger = new_user(), new_user()

    def cash_in(index: int):
        return post(agent, "/api/cash/in", {"customer": own_account.phone, "amount": "100"}).status_code

    with schema_context("ng"):  # committed (live_db): put back as it was
        before = CommissionTier.objects.filter(level=1).values_list("rate_bp", flat=True).first()
        CommissionTier.objects.update_or_create(level=1, defaults={"rate_bp": 50})
    try:
        assert run_concurrently(6, cash_in) == [201] * 6
        assert post(agent, "/api/cash/in", {"customer": stranger.phone, "amount": "100"}).status_code == 201
    finally:
        with schema_context("ng"):  # saved and deleted one by one: the pricing version moves with them
            if before is None:
                CommissionTier.objects.get(level=1).delete()
            else:
                CommissionTier.objects.update_or_create(level=1, defaults={"rate_bp": before})
    with schema_context("ng"):
        paid = dict(CashTransaction.objects.filter(agent=agent, customer=own_account)
                    .values_list("reference", "commission_minor"))
        assert sorted(paid.values()) == [0] * 5 + [50], paid  # 0.5 % of 10,000 kobo, once
        assert CashTransaction.objects.get(agent=agent, customer=stranger).commission_minor == 50
        withheld = AuditEvent.objects.filter(action="cash_in", actor_id=agent.public_id,
                                             details__commission_withheld="repeat_customer")
        assert withheld.count() == 5
    # The float paid 7 cash-ins of 100 NGN and got two commissions back.
    assert balance(agent) == 1_000_000 - 7 * 10_000 + 2 * 50
    assert balance(own_account) == 6 * 10_000
    assert_books_balance("ng")
