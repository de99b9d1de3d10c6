"""The dispatcher's set-based settlement of a batch's plain successes (tenant_apps/orders/dispatch/settle_plain.py).

Twin batches (two buyers, the same products, amounts and provider answers) are settled one through the
per-order path (``order_apply_outcome`` per order, the dispatcher's old batch transaction) and one set-based:
every row they write (orders, transitions, attempts, holds, journal entries, postings, the outbox, wallets)
must be the same modulo ids, buyers and timestamps, in two tenants and currencies. Then: what the set-based
path leaves to the per-order path, its statement count, and that an open settlement never blocks an
acceptance posting to the same system accounts. No provider is called (the answers are made here), except in
the concurrency test, which runs the dispatcher's steps in-process against the simulators.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from provider_plugins.interfaces import OutcomeStatus
from shared_apps.core.locks import LockRank
from tests.fixtures.purchase import quiet
from tests.lock_order import assert_lock_order
from tests.orders.helpers import api, assert_books, new_buyer

FUNDS = 5_000_000


@pytest.fixture(scope="module")
def quiet_stack(django_db_setup, django_db_blocker):
    """``tests.fixtures.purchase.quiet`` with the texts on (the settlement's SMS are part of what is compared)."""
    with quiet(django_db_blocker, sms=True) as stack:
        yield stack


HOSTS = {"ng": "ng.localhost", "gh": "gh.localhost", "quickvend": "quickvend.localhost"}


def _buy(token: str, product, phone: str, amount: str, schema: str) -> str:
    response = api("POST", "/api/purchase", token, {"product_id": product.pk, "recipient_phone": phone,
                                                     "amount": amount}, host=HOSTS[schema])
    assert response.status_code == 202, response.content
    return response.json()["id"]


def _claim(public_ids: list[str], schema: str) -> list[Any]:
    """The orders claimed (attempts made and committed), in the order of ``public_ids``; no call made."""
    from tenant_apps.orders.dispatch.claims import claim_batch
    from tenant_apps.orders.models import Order

    with schema_context(schema):
        pks = [Order.objects.get(public_id=public_id).pk for public_id in public_ids]
        items = {item.order.pk: item for item in claim_batch(limit=len(pks), lease_seconds=90, order_ids=pks).items}
    assert sorted(items) == sorted(pks)
    return [items[pk] for pk in pks]


def _answer(i: int):
    """The i-th provider answer of a twin batch: references, tokens, units, fx and receipts in every shape."""
    from tenant_apps.orders.services.outcomes import Outcome

    return Outcome(OutcomeStatus.SUCCESS, provider_reference=f"PR-{i}" if i % 4 else "",
                   token=f"TK{i}" if i % 2 else "",
                   units="3.2kWh" if i % 3 == 0 else "", provider_code="000" if i % 2 else "",
                   fx={"rate": "1.25", "currency": "USD"} if i == 1 else None,
                   receipt={"pin": f"12{i}", "serial": "S1"} if i == 2 else None)


def _shape(items: list[Any], schema: str) -> None:
    """The odd but plain shapes: order 3's attempt costs 150 less than its hold (the leftover goes back to the
    wallet), order 4 is pending (a requery's success), order 5 in manual review."""
    from tenant_apps.orders.models import Order, OrderAttempt

    with schema_context(schema):
        attempt = items[3].attempt
        quote = {**attempt.quote, "cost_minor": int(attempt.quote["cost_minor"]) - 150,
                 "price_minor": int(attempt.quote["price_minor"]) - 150}
        OrderAttempt.objects.filter(pk=attempt.pk).update(quote=quote)
        Order.objects.filter(pk=items[4].order.pk).update(status="pending")
        Order.objects.filter(pk=items[5].order.pk).update(status="manual_review", needs_review=True)


def _snapshot(items: list[Any], schema: str, user, *, wallet_kind: str = "user_wallet") -> list[dict]:
    """Every row the settlement wrote for each order, without ids, buyers and timestamps."""
    from tenant_apps.ledger.models import Account, Hold, JournalEntry, Posting
    from tenant_apps.orders.models import Order, OrderAttempt, OrderOutbox, OrderTransition

    rows = []
    with schema_context(schema):
        kinds = dict(Account.objects.values_list("id", "kind"))
        for item in items:
            order = Order.objects.get(pk=item.order.pk)
            public = str(order.public_id)
            assert order.final_at is not None and order.final_at == order.updated_at
            skip = {"id", "public_id", "user_id", "hold_id", "dedupe_key", "created_at", "updated_at", "final_at"}
            values = {key: value for key, value in dict(Order.objects.filter(pk=order.pk).values()[0]).items()
                      if key not in skip}
            attempt: dict[str, Any] = dict(OrderAttempt.objects.filter(pk=item.attempt.pk).values()[0])
            assert attempt.pop("answered_at") is not None
            for key in ("id", "order_id", "request_id", "created_at"):
                attempt.pop(key)
            assert order.hold_id is not None
            hold = Hold.objects.get(pk=order.hold_id)
            assert hold.closed_at is not None
            assert hold.close_entry_id is not None
            entry = JournalEntry.objects.get(pk=hold.close_entry_id)
            assert entry.metadata.pop("order") == public and entry.reference == hold.reference
            postings = [(kinds[account_id] if kinds[account_id] != "user_wallet" else "wallet", amount, currency)
                        for account_id, amount, currency in Posting.objects.filter(entry=entry).order_by("id")
                        .values_list("account_id", "amount", "currency")]
            rows.append({
                "order": values, "attempt": attempt,
                "transitions": [(before, after, "" if after == "submitted" else reason, source)  # the request id
                                for before, after, reason, source in OrderTransition.objects.filter(order_id=order.pk)
                                .order_by("id").values_list("from_status", "to_status", "reason", "source")],
                "hold": (hold.status, hold.amount, hold.settled_amount, hold.currency),
                "entry": (entry.entry_type, entry.metadata), "postings": postings,
                "entries_of_order": JournalEntry.objects.filter(reference__contains=public).count(),
                "outbox": OrderOutbox.objects.filter(order_id=order.pk).count(),
            })
        wallet = Account.objects.get(owner=user, kind=wallet_kind).balance
    return [*rows, {"wallet": wallet}]


@pytest.mark.parametrize("schema,product,amounts", [
    ("ng", "vt_airtime", ["50.00", "75.00", "100.00", "120.00", "200.00", "60.00", "80.00"]),
    ("gh", "gh_airtime", ["10.00", "12.50", "20.00", "5.00", "7.00", "9.00"]),
])
def test_the_set_based_settlement_writes_what_the_per_order_path_writes(live_db, quiet_stack, schema, product,
                                                                       amounts):
    from tenant_apps.orders.dispatch.settle import SOURCE, _settle_successes
    from tenant_apps.orders.dispatch.settle_plain import settle_plain

    twins = []
    for _ in range(2):
        user, token = new_buyer(FUNDS, schema=schema)
        ids = [_buy(token, quiet_stack.products[product], f"024123{5000 + i:04d}" if schema == "gh"
                    else f"0803{5000 + i:04d}123", amount, schema) for i, amount in enumerate(amounts)]
        items = _claim(ids, schema)
        _shape(items, schema)
        for i, item in enumerate(items):
            item.outcome = _answer(i)
        twins.append((user, items))
    (user_a, items_a), (user_b, items_b) = twins
    with schema_context(schema):
        by_order = _settle_successes(items_a)
        settled, left = settle_plain(items_b, source=SOURCE, now=timezone.now())
    assert left == [] and sorted(settled) == sorted(item.order.pk for item in items_b)
    assert {order.status for order in [*by_order.values(), *settled.values()]} == {"settled"}
    set_based, per_order = _snapshot(items_b, schema, user_b), _snapshot(items_a, schema, user_a)
    for i, (row_b, row_a) in enumerate(zip(set_based, per_order, strict=True)):
        for key in row_a:
            assert (i, key, row_b[key]) == (i, key, row_a[key])
    for user in (user_a, user_b):
        with schema_context(schema):
            wallet = _snapshot(items_a if user is user_a else items_b, schema, user)[-1]["wallet"]
        assert_books(user, wallet, schema)
    prices = sum(int(item.attempt.quote["price_minor"]) for item in items_b)
    assert wallet == FUNDS - prices + 150  # order 3's cheaper attempt: 150 back
    # Its receipt says what the wallet paid, not the accepted quote's price (a fresh make run: a DT One bundle
    # at 495 XOF delivered through Reloadly at 485 showed "price 495" and a VAT line computed on 485).
    for snapshot in (set_based, per_order):
        assert snapshot[3]["order"]["price_minor"] == snapshot[3]["hold"][2] == snapshot[3]["hold"][1] - 150
        assert all(row["order"]["price_minor"] == row["hold"][2] for row in snapshot[:-1])


def _answered_batch(stack, token: str, schema: str, *, first_number: int) -> list[Any]:
    """Six airtime purchases bought with ``token`` on ``schema``'s API, claimed, shaped (``_shape``) and answered
    (``_answer``): one side of a twin batch."""
    ids = [_buy(token, stack.products["vt_airtime"], f"0803{first_number + i:04d}123", amount, schema)
           for i, amount in enumerate(["50.00", "75.00", "100.00", "120.00", "200.00", "60.00"])]
    items = _claim(ids, schema)
    _shape(items, schema)
    for i, item in enumerate(items):
        item.outcome = _answer(i)
    return items


def _agent_chain(schema: str) -> tuple[Any, Any, str]:
    """A selling agent under a parent agent (levels 2 and 1 of a chain), the seller's wallet funded: (parent's
    user, seller's user, seller's access token)."""
    from django.utils import timezone as tz

    from tenant_apps.accounts.models import User
    from tenant_apps.accounts.tokens import tokens_for_user
    from tenant_apps.agents.services import add_agent
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    def user(label: str):
        return User.objects.create_user(email=f"{label}-{uuid.uuid4().hex[:10]}@example.test", role="agent",
                                        phone=f"+234803{uuid.uuid4().int % 10**7:07d}", phone_verified_at=tz.now())

    with schema_context(schema):
        parent = add_agent(user=user("parent"), parent=None)
        seller = add_agent(user=user("seller"), parent=parent)
        fund_wallet(wallet=wallet_for(user=seller.user), amount=FUNDS, reference=f"fund-{uuid.uuid4().hex}")
        wallet_for(user=parent.user)  # opened (a wallet not opened yet is the per-order path's to create)
        access, _refresh = tokens_for_user(seller.user)
    return parent.user, seller.user, access


def _agents_named(rows: list[dict], parent, seller) -> list[dict]:
    """``rows`` with the agents' public ids (the quotes' commission parties) replaced by their place in the chain."""
    text = json.dumps(rows, default=str, sort_keys=True)
    for user, name in ((parent, "PARENT"), (seller, "SELLER")):
        text = text.replace(str(user.agent.public_id), name)
    return json.loads(text)


def _commissions(items: list[Any], schema: str, parent, seller) -> list[dict]:
    """Each order's agent_commission entry (postings by party) and commission rows, the agents' balances."""
    from tenant_apps.agents.models import CommissionPosting
    from tenant_apps.ledger.models import Account, JournalEntry, Posting

    rows: list[dict] = []
    with schema_context(schema):
        party = {account.pk: ("parent" if account.owner_id == parent.pk else "seller" if account.owner_id == seller.pk
                              else account.kind) for account in Account.objects.all()}
        who = {parent.agent.pk: "parent", seller.agent.pk: "seller"}
        for item in items:
            public = str(item.order.public_id)
            entry = JournalEntry.objects.get(entry_type="agent_commission", reference=public)
            rows.append({
                "metadata": entry.metadata,
                "postings": [(party[account_id], amount, currency) for account_id, amount, currency in
                             Posting.objects.filter(entry=entry).order_by("id")
                             .values_list("account_id", "amount", "currency")],
                "rows": sorted((who[agent_id], level, amount, currency, status, shortfall) for
                               agent_id, level, amount, currency, status, shortfall in
                               CommissionPosting.objects.filter(order_ref=public).values_list(
                                   "agent_id", "level", "amount_minor", "currency", "status",
                                   "clawback_shortfall_minor")),
            })
        balances = {name: Account.objects.get(owner=user, kind="agent_wallet").balance
                    for name, user in (("parent", parent), ("seller", seller))}
    return [*rows, balances]


def test_an_agents_sales_settle_set_based_with_their_commissions_as_the_per_order_path_pays_them(live_db,
                                                                                                 quiet_stack):
    """Twin agent chains (a seller under a parent, commission tiers on both levels) sell the same orders: one
    batch settled by the per-order path (``sale_settled`` posts each order's commissions), the other set-based
    (every commission of the batch in one statement, the agents' wallets credited in the batch's lock order):
    the same hold_settle and agent_commission entries, commission rows and balances; books balanced."""
    from tenant_apps.orders.dispatch.settle import SOURCE, _settle_successes
    from tenant_apps.orders.dispatch.settle_plain import settle_plain
    from tenant_apps.pricing.models import CommissionTier

    with schema_context("ng"):
        created = [tier for tier, made in (CommissionTier.objects.get_or_create(level=level,
                                                                                 defaults={"rate_bp": rate_bp})
                                           for level, rate_bp in ((1, 100), (2, 50))) if made]
    try:
        twins = []
        for _ in range(2):
            parent, seller, token = _agent_chain("ng")
            twins.append((parent, seller, _answered_batch(quiet_stack, token, "ng", first_number=6000)))
        (parent_a, seller_a, items_a), (parent_b, seller_b, items_b) = twins
        with schema_context("ng"):
            assert all(item.attempt.quote["lines"] for item in items_b)
            by_order = _settle_successes(items_a)
            settled, left = settle_plain(items_b, source=SOURCE, now=timezone.now())
        assert left == [] and sorted(settled) == sorted(item.order.pk for item in items_b)
        assert {order.status for order in [*by_order.values(), *settled.values()]} == {"settled"}
        set_based = _agents_named(_snapshot(items_b, "ng", seller_b, wallet_kind="agent_wallet"), parent_b, seller_b)
        per_order = _agents_named(_snapshot(items_a, "ng", seller_a, wallet_kind="agent_wallet"), parent_a, seller_a)
        for i, (row_b, row_a) in enumerate(zip(set_based, per_order, strict=True)):
            for key in row_a:
                assert (i, key, row_b[key]) == (i, key, row_a[key])
        paid_b = _commissions(items_b, "ng", parent_b, seller_b)
        paid_a = _commissions(items_a, "ng", parent_a, seller_a)
        for row in paid_b[:-1]:
            row["metadata"].pop("order")
        for row in paid_a[:-1]:
            row["metadata"].pop("order")
        assert paid_b == paid_a
        assert {level for row in paid_b[:-1] for _who, level, *_rest in row["rows"]} == {1, 2}
        assert paid_b[-1]["parent"] > 0 and paid_b[-1]["seller"] > 0
        with schema_context("ng"):
            prices = sum(int(item.attempt.quote["price_minor"]) for item in items_b)
        for parent, seller, balances in ((parent_a, seller_a, paid_a[-1]), (parent_b, seller_b, paid_b[-1])):
            assert_books(parent, balances["parent"])
            assert_books(seller, balances["seller"])
        assert paid_b[-1]["seller"] == FUNDS - prices + 150 + sum(
            amount for row in paid_b[:-1] for who, _level, amount, *_rest in row["rows"] if who == "seller")
    finally:
        with schema_context("ng"):
            CommissionTier.objects.filter(pk__in=[tier.pk for tier in created]).delete()


def _float_side(items: list[Any]) -> list[dict]:
    """Each order's float hold at the parent (ng) and the entry that closed it; the reseller's mirror entries."""
    from tenant_apps.ledger.models import Account, Hold, JournalEntry, Posting

    rows: list[dict] = []
    with schema_context("ng"):
        kinds = dict(Account.objects.values_list("id", "kind"))
        for item in items:
            hold = Hold.objects.get(reference=f"float:quickvend:{item.order.public_id}")
            assert hold.close_entry_id is not None
            entry = JournalEntry.objects.get(pk=hold.close_entry_id)
            metadata = {key: value for key, value in entry.metadata.items() if key != "order"}
            rows.append({"hold": (hold.status, hold.amount, hold.settled_amount, hold.currency),
                         "entry": (entry.entry_type, entry.reference == hold.reference, metadata),
                         "postings": [(kinds[account_id], amount) for account_id, amount in
                                      Posting.objects.filter(entry=entry).order_by("id").values_list("account_id",
                                                                                                     "amount")]})
    with schema_context("quickvend"):
        for row, item in zip(rows, items, strict=True):
            row["mirror"] = sorted(JournalEntry.objects.filter(reference=str(item.order.public_id))
                                   .values_list("entry_type", flat=True))
    return rows


@pytest.mark.django_db
def test_a_reseller_brands_sales_settle_set_based_with_their_float_holds_at_the_parent(quiet_stack):
    """Twin buyers of a reseller brand (quickvend, under ng) buy the same orders: one batch settled by the
    per-order path (``settle_float`` settles each float hold at the parent), the other set-based (every float hold
    that is exactly the settled cost settled whole at the parent by one statement; the cheaper attempt's, whose
    hold is larger than its cost, left to the per-order path): the same rows on both schemas; books balanced on
    both, the float equal to its mirror. Rolled back (not ``live_db``): the quickvend float it funds is shared."""
    from tenant_apps.agents.floats import float_balances, fund_float
    from tenant_apps.ledger.models import Account
    from tenant_apps.orders.dispatch.settle import SOURCE, _settle_successes
    from tenant_apps.orders.dispatch.settle_plain import settle_plain
    from tenant_apps.orders.services._helpers import _accounts
    from tenants.models import Tenant

    reseller = Tenant.objects.select_related("parent").get(schema_name="quickvend")
    fund_float(reseller=reseller, amount_minor=FUNDS, reference=f"float-{uuid.uuid4().hex}")
    twins = []
    for _ in range(2):
        user, token = new_buyer(FUNDS, schema="quickvend")
        twins.append((user, _answered_batch(quiet_stack, token, "quickvend", first_number=7000)))
    (user_a, items_a), (user_b, items_b) = twins
    with schema_context("quickvend"):
        assert all(item.attempt.quote.get("tenant_kind") == "reseller_brand" for item in items_b)
        by_order = _settle_successes(items_a)
    # As a dispatcher that has settled before: the tenant's row as the connection's tenant and the per-process
    # system accounts cached, so no look-up in between (each one opens a cursor, which resets the search path)
    # brings the search path back from the parent's float holds: only settle_plain itself may.
    with schema_context("quickvend"):
        warm = {("quickvend", account.kind, account.currency): account
                for account in Account.objects.filter(owner__isnull=True, holder="")}
    _accounts.update(warm)
    try:
        with tenant_context(reseller):
            settled, left = settle_plain(items_b, source=SOURCE, now=timezone.now())
    finally:
        for key in warm:
            _accounts.pop(key, None)  # rows of this rolled-back test must not stay cached
    with schema_context("quickvend"):
        assert [item.order.pk for item in left] == [items_b[3].order.pk]  # the cheaper attempt: float hold larger
        settled.update(_settle_successes(left))
    assert sorted(settled) == sorted(item.order.pk for item in items_b)
    assert {order.status for order in [*by_order.values(), *settled.values()]} == {"settled"}
    set_based, per_order = _snapshot(items_b, "quickvend", user_b), _snapshot(items_a, "quickvend", user_a)
    for i, (row_b, row_a) in enumerate(zip(set_based, per_order, strict=True)):
        for key in row_a:
            assert (i, key, row_b[key]) == (i, key, row_a[key])
    floats_b, floats_a = _float_side(items_b), _float_side(items_a)
    for i, (row_b, row_a) in enumerate(zip(floats_b, floats_a, strict=True)):
        assert (i, row_b) == (i, row_a)
    assert {row["hold"][0] for row in floats_b} == {"settled"}
    assert floats_b[3]["mirror"] != floats_b[0]["mirror"]  # the per-order path mirrored what came back
    for user, items in ((user_a, items_a), (user_b, items_b)):
        with schema_context("quickvend"):
            wallet = _snapshot(items, "quickvend", user)[-1]["wallet"]
        assert_books(user, wallet, "quickvend")
    with schema_context("ng"), connection.cursor() as cursor:
        cursor.execute("SELECT currency, SUM(amount) FROM ledger_posting GROUP BY currency HAVING SUM(amount) <> 0")
        assert cursor.fetchall() == []
    balances = float_balances(reseller=reseller)
    assert balances.agrees, balances


def test_what_the_set_based_path_leaves_to_the_per_order_path(live_db, quiet_stack):
    """A commission to an agent, an answer about an earlier attempt and an already settled order go through the
    per-order path (settle_batch's second transaction); the plain ones settle set-based; the books balance."""
    from tenant_apps.orders.dispatch.settle import SOURCE, settle_batch
    from tenant_apps.orders.dispatch.settle_plain import settle_plain
    from tenant_apps.orders.models import Order, OrderAttempt

    user, token = new_buyer(FUNDS)
    ids = [_buy(token, quiet_stack.products["vt_airtime"], quiet_stack.phone(), "50.00", "ng")
           for i in range(5)]
    items = _claim(ids, "ng")
    for i, item in enumerate(items):
        item.outcome = _answer(i + 1)
    with schema_context("ng"):
        commission = {**items[0].attempt.quote}
        commission["lines"] = [*commission.get("lines", []), {"account_kind": "commissions_payable", "amount_minor": 0,
                                                              "party": f"agent:{uuid.uuid4()}", "level": 1}]
        OrderAttempt.objects.filter(pk=items[0].attempt.pk).update(quote=commission)
        Order.objects.filter(pk=items[1].order.pk).update(attempt_count=2)  # an answer about an earlier attempt
        with transaction.atomic():
            _settled, left = settle_plain(items, source=SOURCE, now=timezone.now())
            assert [item.order.pk for item in left] == [items[0].order.pk, items[1].order.pk]
            transaction.set_rollback(True)
        Order.objects.filter(pk=items[1].order.pk).update(attempt_count=1)
        done = settle_batch(items[:4], archive=False)
        assert {order.status for order in done.values() if order} == {"settled"} and len(done) == 4
        again = settle_batch([items[2], items[4]], archive=False)  # a repeated answer, and a new one
        assert {getattr(again[item.order.pk], "status", None) for item in (items[2], items[4])} == {"settled"}
        orders = list(Order.objects.filter(user=user).values_list("status", "price_minor"))
    assert {status for status, _ in orders} == {"settled"}
    assert_books(user, FUNDS - sum(price for _, price in orders))


def test_a_batch_of_64_settles_in_a_few_statements(live_db, quiet_stack):
    """The set-based batch: a fixed number of statements, whatever the batch size."""
    from tenant_apps.orders.dispatch.settle import settle_batch

    user, token = new_buyer(FUNDS * 2)
    ids = [_buy(token, quiet_stack.products["vt_airtime"], quiet_stack.phone(), "50.00", "ng")
           for i in range(64)]
    items = _claim(ids, "ng")
    for i, item in enumerate(items):
        item.outcome = _answer(i)
    with schema_context("ng"), CaptureQueriesContext(connection) as settled:
        done = settle_batch(items, archive=False)
    assert {order.status for order in done.values() if order} == {"settled"} and len(done) == 64
    statements = [q["sql"] for q in settled.captured_queries]
    # BEGIN, orders with their attempts, holds, every write (SETTLE), subscriptions, COMMIT (+ the search path and
    # system account lookups the first time in this process).
    assert len([s for s in statements if "ledger_account" not in s and not s.startswith("SET search_path")]) <= 6, \
        "\n".join(statements)
    assert not [s for s in statements if "SAVEPOINT" in s]
    assert_lock_order(statements, expect={LockRank.SUBJECT, LockRank.HOLD})
    with schema_context("ng"):
        total = sum(int(item.attempt.quote["price_minor"]) for item in items)
    assert_books(user, FUNDS * 2 - total)


def test_an_open_batch_settlement_never_blocks_acceptances(live_db, quiet_stack):
    """While a batch's settlement transaction is open (it has posted to holds, provider settlement, revenue...),
    the same buyer's next purchases are accepted (their holds debit the same wallet and credit the same holds
    account: the per-order path locked the wallet row, ``select_related("wallet")`` under FOR UPDATE, for the
    whole batch); then purchases and batches run together from several threads, without a deadlock, and every
    order settles once."""
    from tenant_apps.orders.dispatch.batch import dispatch_orders
    from tenant_apps.orders.dispatch.settle import SOURCE
    from tenant_apps.orders.dispatch.settle_plain import settle_plain
    from tenant_apps.orders.models import Order

    user, token = new_buyer(FUNDS)
    items = _claim([_buy(token, quiet_stack.products["vt_airtime"], quiet_stack.phone(), "50.00", "ng")
                    for i in range(8)], "ng")
    for i, item in enumerate(items):
        item.outcome = _answer(i)
    others = [new_buyer(FUNDS) for _ in range(3)]
    accepted: list[str] = []
    numbers = itertools.count(9000)
    errors: list[BaseException] = []

    def purchase(token: str, n: int) -> None:
        try:
            for _ in range(n):
                accepted.append(_buy(token, quiet_stack.products["vt_airtime"], f"0803{next(numbers):04d}123", "50.00",
                                     "ng"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    with schema_context("ng"), transaction.atomic():
        settled, left = settle_plain(items, source=SOURCE, now=timezone.now())
        assert len(settled) == 8 and not left
        thread = threading.Thread(target=purchase, args=(token, 2))  # the same buyer: the same wallet
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), "an acceptance waited on the open settlement"
    assert not errors and len(accepted) == 2

    stop = threading.Event()

    def settle_loop() -> None:
        try:
            with schema_context("ng"):
                while not stop.is_set():
                    if not dispatch_orders(limit=16):
                        stop.wait(0.05)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    settlers = [threading.Thread(target=settle_loop) for _ in range(2)]
    buyers = [threading.Thread(target=purchase, args=(token, 12)) for _user, token in others]
    for thread in [*settlers, *buyers]:
        thread.start()
    for thread in buyers:
        thread.join(timeout=120)
    with schema_context("ng"):
        pending = lambda: Order.objects.filter(public_id__in=accepted).exclude(status="settled").count()  # noqa: E731
        deadline = time.monotonic() + 60
        while pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        left_over = pending()
    stop.set()
    for thread in settlers:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(accepted) == 2 + 36 and left_over == 0
    for other, _token in [(user, token), *others]:
        with schema_context("ng"):
            spent = sum(Order.objects.filter(user=other).values_list("price_minor", flat=True))
        assert_books(other, FUNDS - spent)


def test_a_batch_that_conflicts_is_settled_one_by_one(live_db, quiet_stack, caplog):
    """The set-based batch meets a hold_settle entry already posted (same lines): it rolls back whole and
    settle_batch settles its orders one by one (the per-order path accepts the identical entry): every order
    settled once, one entry per hold, books balanced."""
    from tenant_apps.ledger.models import Account, Hold, JournalEntry
    from tenant_apps.ledger.services import EntryType, Line, post_entry
    from tenant_apps.orders.dispatch.settle import settle_batch
    from tenant_apps.orders.dispatch.settle_plain import _lines
    from tenant_apps.orders.models import Order, OrderAttempt

    user, token = new_buyer(FUNDS)
    items = _claim([_buy(token, quiet_stack.products["vt_airtime"], quiet_stack.phone(), "50.00", "ng")
                    for _ in range(3)], "ng")
    for i, item in enumerate(items):
        item.outcome = _answer(i)
    with schema_context("ng"):
        order = Order.objects.select_related("hold").get(pk=items[1].order.pk)
        hold = order.wallet_hold
        row = (hold.pk, hold.wallet_id, hold.amount, hold.currency, hold.status, hold.reference)
        lines = _lines(OrderAttempt.objects.get(pk=items[1].attempt.pk), order, row)
        assert lines is not None
        accounts = Account.objects.in_bulk([account_id for account_id, _ in lines])
        post_entry(entry_type=EntryType.HOLD_SETTLE, reference=hold.reference,
                   lines=[Line(accounts[account_id], amount) for account_id, amount in lines])
        done = settle_batch(items, archive=False)
        assert {getattr(order, "status", None) for order in done.values()} == {"settled"} and len(done) == 3
        references = [Hold.objects.get(order__pk=item.order.pk).reference for item in items]
        assert JournalEntry.objects.filter(entry_type=EntryType.HOLD_SETTLE, reference__in=references).count() == 3
        spent = sum(Order.objects.filter(user=user).values_list("price_minor", flat=True))
    assert "settling its 3 orders one by one" in caplog.text
    assert_books(user, FUNDS - spent)


@pytest.mark.django_db
def test_commissions_the_set_based_path_cannot_pay_are_left_to_the_per_order_path():
    """``commission_credits`` answers only for sales whose every commission goes to a found agent's open wallet
    with a positive amount; a sale without commissions has none to pay."""
    from tenant_apps.agents.sales import Sale, commission_credits
    from tenant_apps.ledger.models import Account

    parent, seller, _token = _agent_chain("ng")

    def sale(*parties: tuple[str, int]) -> Sale:
        return Sale(reference=str(uuid.uuid4()), quote={"currency": "NGN", "lines": [
            {"account_kind": "revenue", "party": "operator", "amount_minor": 30},
            *[{"account_kind": "commissions_payable", "party": f"agent:{party}", "level": level + 1,
               "amount_minor": amount} for level, (party, amount) in enumerate(parties)]]})

    with schema_context("ng"):
        seller_id, parent_id = str(seller.agent.public_id), str(parent.agent.public_id)
        unopened = _agent_chain("ng")[0]
        Account.objects.filter(owner=unopened, kind="agent_wallet").delete()
        good, plain = sale((seller_id, 40), (parent_id, 20)), sale()
        cases = [good, plain, sale((seller_id, 40), (str(uuid.uuid4()), 20)), sale((seller_id, 0)),
                 sale(("not-a-uuid", 10)), sale((seller_id, 40), (str(unopened.agent.public_id), 20)),
                 sale((seller_id, -5))]
        credits = commission_credits(sales=[(case, "NGN") for case in cases])
        wallets = {user.pk: Account.objects.get(owner=user, kind="agent_wallet").pk for user in (parent, seller)}
    assert set(credits) == {good.reference, plain.reference}
    assert credits[plain.reference] == []
    assert [(c.agent_id, c.wallet_id, c.level, c.amount_minor) for c in credits[good.reference]] == [
        (seller.agent.pk, wallets[seller.pk], 1, 40), (parent.agent.pk, wallets[parent.pk], 2, 20)]
