"""The reseller float moves in the sale's own transactions (tenant_apps.agents.sales hooks).

* accepted: the cost is held on the parent's float wallet inside the purchase transaction (a short float
  refuses the sale with nothing written on either side, the agent's velocity count included);
* concurrent sales racing for the last of the float: one wins, the parent wallet never goes below zero;
* the provider fails: the float hold and the velocity count come back;
* agents' sales racing past their limit: counted one after the other.
``reconcile_resellers`` is clean after each step.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tenants.utils import schema_context

from tenant_apps.agents import sales
from tenant_apps.agents.floats import InsufficientFloat, float_balances, fund_float
from tenant_apps.agents.models import AgentSale
from tenant_apps.agents.services import VelocityExceeded, add_agent, agent_record_sale
from tenant_apps.ledger.models import Hold, JournalEntry
from tenant_apps.ledger.services import fund_wallet, wallet_for
from tenants.models import Tenant
from tests.accounts.helpers import call, login, make_user
from tests.support.concurrency import run_concurrently

from .helpers import assert_ledger_balanced, balance, system_total
from .test_purchase_on_reseller import _phone, _submit, airtime, vtpass_sim  # noqa: F401  (fixtures)


def _entries() -> tuple[int, int]:
    counts = []
    for schema in ("quickvend", "ng"):
        with schema_context(schema):
            counts.append(JournalEntry.objects.count())
    return counts[0], counts[1]


def _agent_buyer(amount: int = 100_000, **limits):
    user = make_user("quickvend", email=f"fl-{uuid.uuid4().hex[:8]}@qv.test", role="agent",
                     phone=f"+234803{random.randrange(10**6, 10**7)}")
    with schema_context("quickvend"):
        agent = add_agent(user=user, parent=None)
        for field, value in limits.items():
            setattr(agent, field, value)
        agent.save()
        fund_wallet(wallet=wallet_for(user=user), amount=amount, reference=f"fl-{uuid.uuid4()}")
    return agent


def _buy(host_client, capture, product, user, n: int, key: str, amount: str = "100.00"):
    site = host_client("quickvend.localhost")
    token = login(site, user.email)["access"]
    with capture(execute=False):  # the submit task: run in-process by the test
        return call(site, "POST", "/api/purchase", {"product_id": product.pk, "recipient_phone": _phone(n),
                                                    "amount": amount}, token=token, HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_float_held_at_acceptance_and_given_back_when_the_provider_fails(host_client, airtime, vtpass_sim,  # noqa: F811
                                                                           django_capture_on_commit_callbacks):
    reseller = Tenant.objects.get(schema_name="quickvend")
    fund_float(reseller=reseller, amount_minor=50_000, reference=f"h-{uuid.uuid4()}")
    start = float_balances(reseller=reseller).parent_balance  # committed tests may have left some float
    agent = _agent_buyer()
    response = _buy(host_client, django_capture_on_commit_callbacks, airtime, agent.user, 21, "hold-1")
    assert response.status_code in (201, 202), response.content
    # 100.00 airtime: ng's price (quickvend's cost) 98.94, held on the float inside the purchase transaction.
    held = float_balances(reseller=reseller)
    assert held.parent_balance == held.mirror_balance == start - 9_894
    with schema_context("ng"):
        hold = Hold.objects.get(reference__endswith=response.json()["id"])
        assert (hold.status, hold.amount) == ("placed", 9_894)
    with schema_context("quickvend"):
        assert AgentSale.objects.filter(agent=agent).count() == 1
    call_command("reconcile_resellers")  # a pending sale: its hold and the reseller's mirror agree

    vtpass_sim.set_fault("failure", times=1)
    order = _submit("quickvend", response.json()["id"], django_capture_on_commit_callbacks)
    assert order.status == "released"
    back = float_balances(reseller=reseller)
    assert back.parent_balance == back.mirror_balance == start
    with schema_context("ng"):
        assert Hold.objects.get(pk=hold.pk).status == "released"
        assert_ledger_balanced()
    with schema_context("quickvend"):
        assert balance(agent.user) == 100_000
        assert not AgentSale.objects.filter(agent=agent).exists()  # a failed sale no longer counts
        assert system_total("provider_settlement") == 0
        assert_ledger_balanced()
    call_command("reconcile_resellers")


@pytest.mark.django_db
def test_a_short_float_refuses_the_sale_inside_its_transaction(host_client, airtime, monkeypatch,  # noqa: F811
                                                                django_capture_on_commit_callbacks):
    """Even past the preflight read (two sales racing), the hold refuses: no order, nothing on either side."""
    from tenant_apps.orders.models import Order
    from tenant_apps.orders.services import create as order_create

    monkeypatch.setattr(order_create, "sale_preflight", lambda **kwargs: None)
    reseller = Tenant.objects.get(schema_name="quickvend")
    start = float_balances(reseller=reseller).parent_balance  # committed tests may have left some float
    if start < 9_894:
        fund_float(reseller=reseller, amount_minor=9_894 - start, reference=f"s-{uuid.uuid4()}")
        start = 9_894
    # 100.00 of airtime costs quickvend 98.94: buy enough hundreds to need more than the float holds.
    hundreds = start // 9_894 + 1
    agent = _agent_buyer(amount=hundreds * 10_092 + 10_000)
    before = _entries()
    with schema_context("quickvend"):
        orders = Order.objects.count()
    response = _buy(host_client, django_capture_on_commit_callbacks, airtime, agent.user, 22, "short-1",
                    amount=f"{hundreds * 100}.00")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "insufficient_float"), response.content
    assert _entries() == before
    with schema_context("quickvend"):
        assert Order.objects.count() == orders
        assert balance(agent.user) == hundreds * 10_092 + 10_000
        assert not AgentSale.objects.filter(agent=agent).exists()  # the velocity count rolled back with it
    assert float_balances(reseller=reseller).parent_balance == start
    call_command("reconcile_resellers")


def test_concurrent_sales_race_for_the_last_of_the_float(live_db):
    """Committed, in threads: six sales each needing just over half the float; exactly one is accepted."""
    reseller = Tenant.objects.get(schema_name="quickvend")
    top_up = 10_000 if float_balances(reseller=reseller).parent_balance < 1_000 else 0
    if top_up:
        fund_float(reseller=reseller, amount_minor=top_up, reference=f"race-{uuid.uuid4()}")
    start = float_balances(reseller=reseller).parent_balance
    cost = start // 2 + 1
    quote = {"cost_minor": cost, "lines": [], "currency": "NGN", "price_minor": cost}
    orders = [sales.Sale(reference=str(uuid.uuid4()), quote=quote) for _ in range(6)]

    def sale(index: int):
        with transaction.atomic():
            sales.sale_accepted(sale=orders[index])
            time.sleep(0.05)  # keep the float row locked while the others queue on it
        return index

    results = run_concurrently(6, sale, schema="quickvend")
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1 and all(isinstance(r, InsufficientFloat) for r in results if r not in winners), results
    after = float_balances(reseller=reseller)
    assert after.parent_balance == after.mirror_balance == start - cost >= 0
    call_command("reconcile_resellers")
    with schema_context("quickvend"), transaction.atomic():  # the winner's provider fails: the float comes back
        sales.sale_released(sale=orders[winners[0]])
    back = float_balances(reseller=reseller)
    assert back.parent_balance == back.mirror_balance == start
    call_command("reconcile_resellers")
    if top_up:  # committed: hand the top-up back so other tests find quickvend's float as it was
        _refund_float(reseller, top_up)
        call_command("reconcile_resellers")


def _refund_float(reseller, amount: int) -> None:
    """The operator pays float back to the reseller (the funding entries negated), both schemas at once."""
    from tenant_apps.agents.models import ResellerFloat
    from tenant_apps.ledger.services import Line, post_entry, system_account

    reference = f"test-refund-{uuid.uuid4()}"
    with transaction.atomic():
        with schema_context("ng"):
            row = ResellerFloat.objects.select_related("account").get(reseller_tenant_id=reseller.pk)
            post_entry(entry_type="reseller_float_refund", reference=reference,
                       lines=[Line(row.account, -amount), Line(system_account(kind="gateway_clearing"), amount)])
        with schema_context("quickvend"):
            post_entry(entry_type="reseller_float_refund", reference=reference,
                       lines=[Line(system_account(kind="float_at_parent"), amount),
                              Line(system_account(kind="float_funding"), -amount)])


def test_concurrent_sales_of_one_agent_are_counted_one_after_the_other(live_db):
    user = make_user("quickvend", email=f"race-{uuid.uuid4().hex[:8]}@qv.test", role="agent")
    with schema_context("quickvend"):
        agent = add_agent(user=user, parent=None)
        agent.max_transactions_per_hour = 2
        agent.save()

    def sale(index: int):
        with transaction.atomic():
            agent_record_sale(agent=agent, amount_minor=100, reference=f"race-{uuid.uuid4().hex}")
            time.sleep(0.05)
        return index

    results = run_concurrently(6, sale, schema="quickvend")
    assert sum(isinstance(r, int) for r in results) == 2, results
    assert sum(isinstance(r, VelocityExceeded) for r in results) == 4, results
    with schema_context("quickvend"):
        assert AgentSale.objects.filter(agent=agent).count() == 2


# --- the less common settlement shapes (the purchase path's steps, each with its hook, rolled back) --------

def _set_float(reseller, amount: int) -> None:
    current = float_balances(reseller=reseller).parent_balance
    if current < amount:
        fund_float(reseller=reseller, amount_minor=amount - current, reference=f"set-{uuid.uuid4()}")
    elif current > amount:
        _refund_float(reseller, current - amount)
    assert float_balances(reseller=reseller).parent_balance == amount


def _acceptance_ways(monkeypatch) -> list[tuple[bool, bool]]:
    """Each acceptance's way, as it is decided: (two stages?, hooks after the hold?)."""
    from tenant_apps.orders import acceptance

    ways: list[tuple[bool, bool]] = []
    needs_python, needs_hooks = acceptance.needs_python, acceptance.needs_hooks

    def noted(**kw):
        ways.append((needs_python(**kw), needs_hooks(user=kw["user"], quote=kw["quote"])))
        return ways[-1][0]

    monkeypatch.setattr(acceptance, "needs_python", noted)
    return ways


def _bought_one_way(monkeypatch, *, product, user, phone: str, staged: bool):
    """``purchase_create`` of 100.00 by ``user``: through the two stages (``staged``: as every reseller and agent
    sale took it before) or the one call, the number of ``purchase_accept`` calls checked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenant_apps.orders import acceptance
    from tenant_apps.orders.services.create import purchase_create

    with monkeypatch.context() as patch:
        if staged:
            patch.setattr(acceptance, "needs_python", lambda **kwargs: True)
        with CaptureQueriesContext(connection) as run:
            order = purchase_create(user=user, product_id=product.pk, recipient_phone=phone, amount_minor=10_000)
    calls = [q["sql"] for q in run.captured_queries if "purchase_accept(" in q["sql"]]
    assert len(calls) == (2 if staged else 1)
    return order


def _customer(amount: int = 1_000_000, phone: str | None = None):
    user = make_user("quickvend", email=f"cu-{uuid.uuid4().hex[:8]}@qv.test", phone=phone)
    with schema_context("quickvend"):
        fund_wallet(wallet=wallet_for(user=user), amount=amount, reference=f"cu-{uuid.uuid4()}")
    return user


def _settle_with(order, breakdown: dict) -> None:
    """The settlement step with the settling attempt's quote (``breakdown``), and its hook."""
    from tenant_apps.ledger.services import Split, settle_hold, system_account

    splits = [Split(system_account(kind="provider_settlement"), breakdown["cost_minor"])]
    splits += [Split(system_account(kind=line["account_kind"]), line["amount_minor"]) for line in breakdown["lines"]]
    with transaction.atomic():
        settle_hold(hold=order.hold, splits=splits)
        sales.sale_settled(sale=replace(order.sale, quote=breakdown))


@pytest.mark.django_db
def test_failover_to_a_cheaper_provider_gives_the_difference_back_to_the_float(products):
    from .helpers import sell

    reseller = Tenant.objects.get(schema_name="quickvend")
    _set_float(reseller, 300_000)
    buyer = _customer()
    with schema_context("quickvend"):
        order = sell(product=products["ng_1gb"], buyer=buyer, settle=False)
        held = order.quote.tenant_cost_minor
        assert float_balances(reseller=reseller).parent_balance == 300_000 - held
        cheaper = dict(order.price_breakdown, cost_minor=order.price_breakdown["cost_minor"] - 1_000)
        cheaper["lines"] = [dict(line, amount_minor=line["amount_minor"] + 1_000) if line["party"] == "reseller"
                            else line for line in cheaper["lines"]]
        _settle_with(order, cheaper)
        assert_ledger_balanced()
    assert float_balances(reseller=reseller).parent_balance == 300_000 - (held - 1_000)
    with schema_context("ng"):
        hold = Hold.objects.get(reference=f"float:quickvend:{order.public_id}")
        assert (hold.status, hold.settled_amount) == ("settled", held - 1_000)
        assert_ledger_balanced()
    call_command("reconcile_resellers")
    with schema_context("quickvend"), transaction.atomic():  # reversed: exactly what was drawn comes back
        sales.sale_reversed(sale=replace(order.sale, quote=cheaper))
    assert float_balances(reseller=reseller).parent_balance == 300_000


@pytest.mark.django_db
def test_a_late_success_after_the_refund_draws_the_float_or_is_owed(products):
    from django.core.management.base import CommandError

    from tenant_apps.agents.floats import reconcile_reseller_floats

    from .helpers import fail, refund, sell

    reseller = Tenant.objects.get(schema_name="quickvend")
    _set_float(reseller, 300_000)
    buyer = _customer()
    with schema_context("quickvend"):
        first = sell(product=products["ng_1gb"], buyer=buyer, settle=False)
    cost = first.quote.tenant_cost_minor
    with schema_context("quickvend"):
        fail(first)  # refunded: the hold back to the float
    _set_float(reseller, cost)
    with schema_context("quickvend"):
        sell(product=products["ng_1gb"], buyer=buyer)  # a second sale takes the whole float
    assert float_balances(reseller=reseller).parent_balance == 0
    call_command("reconcile_resellers")

    # The first order's provider delivers after all: the float cannot pay, so the cost is owed.
    with schema_context("quickvend"):
        _late_settle(first)
        assert_ledger_balanced()
        assert system_total("suspense") == cost  # payable to the operation
        assert system_total("provider_settlement") == 0
    with schema_context("ng"):
        assert system_total("suspense") == -cost  # receivable from the reseller
        assert_ledger_balanced()
    assert float_balances(reseller=reseller).parent_balance == 0
    assert reconcile_reseller_floats() == [{"reseller": "quickvend", "owed_to_parent": [str(first.public_id)]}]
    with pytest.raises(CommandError):
        call_command("reconcile_resellers")  # owed_to_parent: the operator must collect it
    with schema_context("quickvend"):  # the provider reverses it (refund + hook): nothing owed any more
        refund(first)
        assert system_total("suspense") == system_total("provider_settlement") == 0
    with schema_context("ng"):
        assert system_total("suspense") == 0
    assert reconcile_reseller_floats() == []
    call_command("reconcile_resellers")


def _late_settle(order) -> None:
    """The purchase path's late charge: the buyer's wallet pays again, each quote line to its account."""
    from tenant_apps.ledger.services import Line, post_entry, system_account

    quote = order.quote
    lines = [Line(wallet_for(user=order.buyer), -quote.price_minor),
             Line(system_account(kind="provider_settlement"), quote.cost_minor)]
    lines += [Line(system_account(kind=line.account_kind), line.amount_minor) for line in quote.lines]
    with transaction.atomic():
        post_entry(entry_type="order_late_charge", reference=f"order:{order.public_id}", lines=lines)
        sales.sale_settled(sale=order.sale)


@pytest.mark.django_db
def test_the_sales_float_check_reads_one_row_not_the_resellers_history():
    """check_float (every reseller sale's pre-check) reads the parent's cached float balance: one statement that
    does not sum the mirror postings, whose count grows with the reseller's history."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenant_apps.agents.floats import check_float, float_parent_balance

    reseller = Tenant.objects.get(schema_name="quickvend")
    fund_float(reseller=reseller, amount_minor=7_000, reference=f"p-{uuid.uuid4()}")
    balances = float_balances(reseller=reseller)
    assert float_parent_balance(reseller=reseller) == balances.parent_balance == balances.mirror_balance > 0
    with CaptureQueriesContext(connection) as read:
        check_float(reseller=reseller, amount_minor=balances.parent_balance)  # exactly covered: no refusal
    statements = [q["sql"] for q in read.captured_queries if not q["sql"].upper().startswith("SET ")]
    assert len(statements) == 1 and "SUM(" not in statements[0].upper(), statements
    with pytest.raises(InsufficientFloat):
        check_float(reseller=reseller, amount_minor=balances.parent_balance + 1)


@pytest.mark.django_db
def test_the_sales_float_check_stays_in_the_resellers_schema():
    """check_float names the parent's tables with their schema: no SET search_path to the parent and back (the
    connection stays in the reseller's schema), the same balance as the ORM's read at the parent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenant_apps.agents.floats import check_float, float_parent_balance
    from tenant_apps.agents.models import ResellerFloat

    reseller = Tenant.objects.select_related("parent").get(schema_name="quickvend")
    fund_float(reseller=reseller, amount_minor=7_000, reference=f"p-{uuid.uuid4()}")
    with schema_context("ng"):
        expected = ResellerFloat.objects.filter(reseller_tenant_id=reseller.pk).values_list(
            "account__balance", flat=True).first()
    assert expected is not None  # the float is open
    with schema_context("quickvend"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # the reseller's search_path set
        with CaptureQueriesContext(connection) as read:
            assert float_parent_balance(reseller=reseller) == expected > 0
            check_float(reseller=reseller, amount_minor=expected)
            with pytest.raises(InsufficientFloat):
                check_float(reseller=reseller, amount_minor=expected + 1)
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_schema()")
                assert cursor.fetchone()[0] == "quickvend"
        assert not [q["sql"] for q in read.captured_queries if q["sql"].upper().startswith("SET ")]
    never_opened = Tenant(pk=-1, schema_name="nofloat", kind=reseller.kind, parent=reseller.parent)
    assert float_parent_balance(reseller=never_opened) == 0  # a float never opened reads as zero


@pytest.mark.django_db
def test_the_float_holds_accounts_are_read_in_one_statement():
    """hold_float reads the float wallet, the parent's holds account and the reseller's two mirror accounts in one
    statement: the same rows the long way finds (``_float_row_here``, ``system_account``); a mirror account not
    made yet reads None (hold_float then makes it through ``system_account``)."""
    from tenant_apps.agents.floats import _float_row_here, _hold_accounts
    from tenant_apps.ledger.models import AccountKind
    from tenant_apps.ledger.services import system_account

    reseller = Tenant.objects.select_related("parent").get(schema_name="quickvend")
    fund_float(reseller=reseller, amount_minor=7_000, reference=f"a-{uuid.uuid4()}")
    with schema_context("quickvend"):
        mirror = [system_account(kind=kind, currency="NGN")
                  for kind in (AccountKind.PROVIDER_SETTLEMENT, AccountKind.FLOAT_AT_PARENT)]
    with schema_context("ng"):
        wallet = _float_row_here(reseller).account
        holds = system_account(kind=AccountKind.HOLDS, currency=wallet.currency)
        found = _hold_accounts(reseller, "NGN")
        elsewhere = _hold_accounts(reseller, "XOF")
    fields = [field.attname for field in wallet._meta.concrete_fields]

    def columns(account):
        return [getattr(account, name) for name in fields]

    assert [columns(account) for account in (found.wallet, found.holds, found.provider_settlement,
                                             found.float_at_parent)] == \
        [columns(account) for account in (wallet, holds, *mirror)]
    assert not found.wallet._state.adding and found.wallet.is_wallet
    assert (elsewhere.provider_settlement, elsewhere.float_at_parent) == (None, None)
    assert columns(elsewhere.wallet) == columns(wallet)


@pytest.mark.django_db
def test_a_float_hold_writes_the_same_rows_with_one_lookup():
    """A sale's float hold: the parent's hold (float wallet -> holds) and the reseller's mirror entry
    (provider_settlement -> float_at_parent) on the accounts ``system_account`` names, with one read of the
    accounts instead of four; a currency whose mirror accounts do not exist yet makes them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenant_apps.agents.floats import FloatEntry, hold_float
    from tenant_apps.ledger.models import Account, AccountKind, Posting
    from tenant_apps.ledger.services import system_account

    reseller = Tenant.objects.select_related("parent").get(schema_name="quickvend")
    fund_float(reseller=reseller, amount_minor=7_000, reference=f"w-{uuid.uuid4()}")
    before = float_balances(reseller=reseller)
    order_ref = uuid.uuid4().hex
    with schema_context("ng"):
        system_account(kind=AccountKind.HOLDS, currency="NGN")
    with schema_context("quickvend"), transaction.atomic():
        for kind in (AccountKind.PROVIDER_SETTLEMENT, AccountKind.FLOAT_AT_PARENT):
            system_account(kind=kind, currency="NGN")  # as after the reseller's first sale
        with CaptureQueriesContext(connection) as run:
            hold = hold_float(reseller=reseller, order_ref=order_ref, amount_minor=1_234, currency="NGN")
        statements = [q["sql"] for q in run.captured_queries
                      if not q["sql"].upper().startswith(("SET ", "SAVEPOINT", "RELEASE"))]
        # The accounts, ledger_place_hold, the mirror's entry and its postings.
        assert len(statements) == 4, "\n".join(statements)
        entry = JournalEntry.objects.get(entry_type=FloatEntry.HOLD, reference=order_ref)
        assert sorted(Posting.objects.filter(entry=entry).values_list("account_id", "amount")) == sorted([
            (system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="NGN").pk, -1_234),
            (system_account(kind=AccountKind.FLOAT_AT_PARENT, currency="NGN").pk, 1_234)])
        other = uuid.uuid4().hex
        assert not Account.objects.filter(kind=AccountKind.FLOAT_AT_PARENT, currency="XOF").exists()
        hold_float(reseller=reseller, order_ref=other, amount_minor=10, currency="XOF")
        entry = JournalEntry.objects.get(entry_type=FloatEntry.HOLD, reference=other)
        assert sorted(Posting.objects.filter(entry=entry).values_list("account_id", "amount")) == sorted([
            (system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="XOF").pk, -10),
            (system_account(kind=AccountKind.FLOAT_AT_PARENT, currency="XOF").pk, 10)])
    assert hold is not None
    with schema_context("ng"):
        placed = Hold.objects.select_related("wallet").get(pk=hold.pk)
        assert (placed.amount, placed.status, placed.wallet.kind) == (1_234, "placed", AccountKind.RESELLER_FLOAT)
        assert sorted(Posting.objects.filter(entry_id=placed.place_entry_id).values_list("account_id", "amount")) \
            == sorted([(placed.wallet_id, -1_234), (system_account(kind=AccountKind.HOLDS, currency="NGN").pk, 1_234)])
    after = float_balances(reseller=reseller)
    # Both holds came off the parent's wallet; the NGN mirror moved by the NGN sale only (the other is in XOF).
    assert (after.parent_balance, after.mirror_balance) == (before.parent_balance - 1_244,
                                                            before.parent_balance - 1_234)


@pytest.mark.django_db
def test_the_sales_float_hold_takes_no_savepoint_of_its_own(products):
    """sale_accepted holds the float in the caller's transaction without a SAVEPOINT / RELEASE (the purchase rolls
    all of it back on any error); a short float still refuses with 422 ``insufficient_float`` and, once the
    caller's block has rolled back, nothing of the sale is left on either side."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenant_apps.pricing.quotes import quote_price

    from .helpers import sell

    reseller = Tenant.objects.get(schema_name="quickvend")
    _set_float(reseller, 300_000)
    buyer = _customer()
    with schema_context("quickvend"):
        quote = quote_price(product=products["ng_1gb"], amount_minor=None, buyer=buyer)
        cost = quote.tenant_cost_minor
        assert cost is not None  # a reseller brand's sale has its cost at the parent
        sale = sales.Sale(reference=uuid.uuid4().hex, quote=quote.breakdown(), seller=buyer)
        with transaction.atomic(), CaptureQueriesContext(connection) as run:
            sales.sale_accepted(sale=sale)
        assert not [q["sql"] for q in run.captured_queries if "SAVEPOINT" in q["sql"].upper()]
        assert JournalEntry.objects.filter(reference=sale.reference).count() == 1  # the mirror entry
    assert float_balances(reseller=reseller).parent_balance == 300_000 - cost
    _set_float(reseller, cost - 1)
    before = _entries()
    with schema_context("quickvend"):
        with pytest.raises(InsufficientFloat):
            sell(product=products["ng_1gb"], buyer=buyer, settle=False)  # its block: the caller's transaction
        assert balance(buyer) == 1_000_000  # the refused sale's buyer hold rolled back with it
    assert _entries() == before
    assert float_balances(reseller=reseller).parent_balance == cost - 1
    call_command("reconcile_resellers")


def _rows(order, reseller) -> dict:
    """Every row a reseller sale's acceptance writes, without what differs by construction (ids, times, the
    buyer, the order's own references)."""
    from django.forms.models import model_to_dict

    from tenant_apps.kyc.models import KycSpend
    from tenant_apps.orders.models import OrderOutbox, OrderTransition
    from tenant_apps.risk.models import RiskDecision

    differs = {"id", "public_id", "created_at", "updated_at", "user", "order", "reference", "subject_id",
               "recipient_hash", "recipient_phone", "recipient_label", "wallet", "place_entry", "enqueued_at", "at",
               "entry", "hold", "occurred_at"}

    def clean(row) -> dict:
        return {name: value for name, value in model_to_dict(row).items() if name not in differs}

    reference = str(order.public_id)
    rows = {
        "order": clean(order),
        "hold": clean(order.hold),
        "transitions": [clean(row) for row in OrderTransition.objects.filter(order=order).order_by("pk")],
        "outbox": OrderOutbox.objects.filter(order=order).count(),
        "decisions": [clean(row) for row in RiskDecision.objects.filter(subject_id=reference)],
        "spends": [clean(row) for row in KycSpend.objects.filter(user=order.user)],
        "mirror": sorted(JournalEntry.objects.get(entry_type="reseller_float_hold", reference=reference)
                         .postings.values_list("account_id", "amount")),
    }
    with schema_context("ng"):
        hold = Hold.objects.get(reference=f"float:{reseller.schema_name}:{reference}")
        rows["float_hold"] = (clean(hold), sorted(hold.place_entry.postings.values_list("account_id", "amount")))
    return rows


@pytest.mark.django_db
def test_a_reseller_customers_purchase_is_accepted_in_one_call_with_the_same_rows(airtime, monkeypatch):  # noqa: F811
    """A reseller brand's customer (no agent, no risk rule that applies): ``purchase_accept`` in one call, then the
    float hold in the same transaction; the same rows as the two-stage acceptance (screen, gate, hold), and a
    refused float leaves nothing on either side."""
    from django_tenants.utils import tenant_context

    from tenant_apps.orders.models import Order
    from tenant_apps.orders.services.create import purchase_create

    reseller = Tenant.objects.select_related("parent").get(schema_name="quickvend")
    _set_float(reseller, 300_000)
    one, two = (_customer(phone=f"+234803{random.randrange(10**6, 10**7)}") for _ in range(2))
    rows = []
    with tenant_context(reseller):
        for buyer, phone, staged in ((one, _phone(31), True), (two, _phone(32), False)):
            order = _bought_one_way(monkeypatch, product=airtime, user=buyer, phone=phone, staged=staged)
            rows.append(_rows(Order.objects.select_related("hold").get(pk=order.pk), reseller))
            assert balance(buyer) == 1_000_000 - order.price_minor
        assert rows[0] == rows[1]
        assert rows[1]["decisions"] and rows[1]["spends"] and rows[1]["transitions"] and rows[1]["outbox"] == 1
        assert rows[1]["float_hold"][0]["amount"] == order.quote["tenant_cost_minor"] > 0
    assert float_balances(reseller=reseller).parent_balance == 300_000 - 2 * order.quote["tenant_cost_minor"]
    call_command("reconcile_resellers")
    # A float too short for the next sale (past the pre-check): refused after the one call, nothing left.
    _set_float(reseller, order.quote["tenant_cost_minor"] - 1)
    monkeypatch.setattr("tenant_apps.orders.services.create.sale_preflight", lambda **kwargs: None)
    before = _entries()
    with tenant_context(reseller):
        orders = Order.objects.count()
        with pytest.raises(InsufficientFloat), transaction.atomic():
            purchase_create(user=two, product_id=airtime.pk, recipient_phone=_phone(33), amount_minor=10_000)
        assert Order.objects.count() == orders
        assert balance(two) == 1_000_000 - order.price_minor
    assert _entries() == before
    assert float_balances(reseller=reseller).parent_balance == order.quote["tenant_cost_minor"] - 1


@pytest.mark.django_db
def test_a_customers_key_is_not_spent_by_a_float_refused_after_the_one_call(host_client, airtime,  # noqa: F811
                                                                            monkeypatch,
                                                                            django_capture_on_commit_callbacks):
    """A reseller brand's customer is accepted by ONE ``purchase_accept`` call (which stores the Idempotency-Key's
    answer), then the float hold: a float refused there (past the preflight: two sales racing) rolls the call back,
    the key's answer with it, so the same key and body, once the float is funded, buy for real; replayed after
    that, the same 202."""
    from tenant_apps.idempotency.models import IdempotencyKey
    from tenant_apps.orders.models import Order
    from tenant_apps.orders.services import create as order_create

    monkeypatch.setattr(order_create, "sale_preflight", lambda **kwargs: None)
    ways = _acceptance_ways(monkeypatch)
    reseller = Tenant.objects.get(schema_name="quickvend")
    start = float_balances(reseller=reseller).parent_balance
    hundreds = start // 9_894 + 1  # 100.00 of airtime costs quickvend 98.94: more than the float holds
    buyer = _customer(amount=hundreds * 10_092 + 10_000, phone=f"+234803{random.randrange(10**6, 10**7)}")
    before = _entries()
    with schema_context("quickvend"):
        orders, keys = Order.objects.count(), IdempotencyKey.objects.count()
    amount = f"{hundreds * 100}.00"
    refused = _buy(host_client, django_capture_on_commit_callbacks, airtime, buyer, 31, "cu-short", amount=amount)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "insufficient_float"), refused.content
    assert ways == [(False, True)]  # one call, then the hooks (not the two stages)
    assert _entries() == before
    with schema_context("quickvend"):
        assert (Order.objects.count(), IdempotencyKey.objects.count()) == (orders, keys)
        assert balance(buyer) == hundreds * 10_092 + 10_000
    fund_float(reseller=reseller, amount_minor=hundreds * 9_894, reference=f"cu-{uuid.uuid4()}")
    accepted = _buy(host_client, django_capture_on_commit_callbacks, airtime, buyer, 31, "cu-short", amount=amount)
    assert accepted.status_code == 202, accepted.content
    assert "Idempotency-Replayed" not in accepted
    replayed = _buy(host_client, django_capture_on_commit_callbacks, airtime, buyer, 31, "cu-short", amount=amount)
    assert replayed.status_code == 202 and replayed["Idempotency-Replayed"] == "true"
    assert replayed.json() == accepted.json()
    with schema_context("quickvend"):
        assert Order.objects.count() == orders + 1
        assert balance(buyer) == 10_000  # one purchase held
    assert float_balances(reseller=reseller).parent_balance == start + hundreds * 9_894 - hundreds * 9_894
    call_command("reconcile_resellers")


def _settle_order(order) -> None:
    """The purchase path's settlement with the order's own quote: the hold to each account, then the hook."""
    from tenant_apps.ledger.services import Split, settle_hold, system_account
    from tenant_apps.orders.services._helpers import _sale

    quote = order.quote
    splits = [Split(system_account(kind="provider_settlement"), quote["cost_minor"])]
    splits += [Split(system_account(kind=line["account_kind"]), line["amount_minor"]) for line in quote["lines"]]
    with transaction.atomic():
        settle_hold(hold=order.hold, splits=splits)
        sales.sale_settled(sale=_sale(order, quote))


@pytest.mark.django_db
def test_an_agents_purchase_is_accepted_in_one_call_with_the_same_rows(airtime, monkeypatch):  # noqa: F811
    """An agent of a reseller brand (no risk rule that applies): ``purchase_accept`` in one call, then the velocity
    count and the float hold in the same transaction; the same rows as the two-stage acceptance (screen, gate,
    hold): order, hold, transitions, outbox, risk decision, KYC spend, velocity row, float hold and its mirror,
    and the commissions once settled. Past the agent's limit, the sale is refused after the one call and
    leaves nothing."""
    from django_tenants.utils import tenant_context

    from tenant_apps.agents.models import CommissionPosting
    from tenant_apps.kyc.models import KycSpend
    from tenant_apps.orders.models import Order
    from tenant_apps.orders.services.create import purchase_create
    from tenant_apps.pricing.models import CommissionTier

    reseller = Tenant.objects.select_related("parent").get(schema_name="quickvend")
    _set_float(reseller, 300_000)
    with schema_context("quickvend"):
        CommissionTier.objects.create(level=1, rate_bp=300)
    agent = _agent_buyer(amount=1_000_000, max_transactions_per_hour=2)
    user = agent.user
    orders, rows = [], []
    with tenant_context(reseller):
        for phone, staged in ((_phone(41), True), (_phone(42), False)):
            order = _bought_one_way(monkeypatch, product=airtime, user=user, phone=phone, staged=staged)
            order = Order.objects.select_related("hold").get(pk=order.pk)
            orders.append(order)
            found = _rows(order, reseller)  # one buyer: its own order's spend row
            found["spends"] = [(row.amount_minor, row.currency)
                               for row in KycSpend.objects.filter(user=user, reference=order.reference)]
            found["velocity"] = list(AgentSale.objects.filter(order_ref=str(order.public_id))
                                     .values_list("agent_id", "amount_minor"))
            rows.append(found)
        assert balance(user) == 1_000_000 - 2 * order.price_minor
        before = balance(user)
        for order in orders:  # settled: each agent's commission paid
            _settle_order(order)
            rows[orders.index(order)]["commissions"] = list(
                CommissionPosting.objects.filter(order_ref=str(order.public_id)).order_by("level")
                .values_list("agent_id", "level", "amount_minor", "currency", "status"))
        commission = balance(user) - before
        assert rows[0] == rows[1]
        assert rows[1]["decisions"] and rows[1]["spends"] and rows[1]["transitions"] and rows[1]["outbox"] == 1
        assert rows[1]["velocity"] == [(agent.pk, order.price_minor)]
        assert rows[1]["commissions"] and rows[1]["commissions"][0][:3] == (agent.pk, 1, commission // 2)
        assert rows[1]["float_hold"][0]["amount"] == order.quote["tenant_cost_minor"] > 0
    assert float_balances(reseller=reseller).parent_balance == 300_000 - 2 * order.quote["tenant_cost_minor"]
    call_command("reconcile_resellers")
    # The agent's hourly limit reached: refused after the one call (the velocity count), nothing left.
    before_entries = _entries()
    with tenant_context(reseller):
        counts = (Order.objects.count(), AgentSale.objects.count(), KycSpend.objects.count())
        held = balance(user)
        with pytest.raises(VelocityExceeded), transaction.atomic():
            purchase_create(user=user, product_id=airtime.pk, recipient_phone=_phone(43), amount_minor=10_000)
        assert (Order.objects.count(), AgentSale.objects.count(), KycSpend.objects.count()) == counts
        assert balance(user) == held
    assert _entries() == before_entries
    assert float_balances(reseller=reseller).parent_balance == 300_000 - 2 * order.quote["tenant_cost_minor"]


@pytest.mark.django_db
def test_an_agents_key_is_not_spent_by_a_velocity_refused_after_the_one_call(host_client, airtime,  # noqa: F811
                                                                             monkeypatch,
                                                                             django_capture_on_commit_callbacks):
    """An agent is accepted by ONE ``purchase_accept`` call (which stores the Idempotency-Key's answer), then the
    velocity count: past the agent's limit it refuses (429 ``agent_velocity_exceeded``) and rolls the call back,
    the key's answer with it (no order, no key row, no money moved), so the same key and body, once the limit
    allows, buy for real; replayed after that, the same 202."""
    from tenant_apps.idempotency.models import IdempotencyKey
    from tenant_apps.kyc.models import KycSpend
    from tenant_apps.orders.models import Order
    from tenant_apps.risk.models import RiskDecision

    ways = _acceptance_ways(monkeypatch)
    reseller = Tenant.objects.get(schema_name="quickvend")
    _set_float(reseller, 300_000)
    agent = _agent_buyer(amount=100_000, max_transactions_per_hour=1)
    with schema_context("quickvend"):
        agent_record_sale(agent=agent, amount_minor=100, reference=f"earlier-{uuid.uuid4()}")  # the hour's one
        counts = (Order.objects.count(), IdempotencyKey.objects.count(), AgentSale.objects.count(),
                  KycSpend.objects.count(), RiskDecision.objects.count())
    before = _entries()
    refused = _buy(host_client, django_capture_on_commit_callbacks, airtime, agent.user, 51, "ag-fast")
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "agent_velocity_exceeded"), refused.content
    assert ways == [(False, True)]  # one call, then the hooks (not the two stages)
    assert _entries() == before
    with schema_context("quickvend"):
        assert (Order.objects.count(), IdempotencyKey.objects.count(), AgentSale.objects.count(),
                KycSpend.objects.count(), RiskDecision.objects.count()) == counts
        assert balance(agent.user) == 100_000
        agent.max_transactions_per_hour = 2  # the limit allows one more
        agent.save(update_fields=["max_transactions_per_hour"])
    assert float_balances(reseller=reseller).parent_balance == 300_000
    accepted = _buy(host_client, django_capture_on_commit_callbacks, airtime, agent.user, 51, "ag-fast")
    assert accepted.status_code == 202, accepted.content
    assert "Idempotency-Replayed" not in accepted
    replayed = _buy(host_client, django_capture_on_commit_callbacks, airtime, agent.user, 51, "ag-fast")
    assert replayed.status_code == 202 and replayed["Idempotency-Replayed"] == "true"
    assert replayed.json() == accepted.json()
    with schema_context("quickvend"):
        assert Order.objects.count() == counts[0] + 1
        assert IdempotencyKey.objects.count() == counts[1] + 1
        assert AgentSale.objects.count() == counts[2] + 1
        order = Order.objects.get(public_id=accepted.json()["id"])
        assert balance(agent.user) == 100_000 - order.price_minor
    assert ways == [(False, True)] * 3
    call_command("reconcile_resellers")
