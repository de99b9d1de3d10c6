"""Step 3, the common case: a batch's plain successes settled set-based, a few statements for the whole batch.

What ``order_apply_outcome`` does for one delivered order (attempt answered, two transitions, the hold settled
by one balanced ``hold_settle`` entry split per the attempt's quote, the order settled with its receipt and tax
lines, the outbox row gone, counters and the buyer's text after commit) is done here for every plain success of
a batch at once: one locking SELECT per kind of locked row (orders, holds, the wallets a leftover goes
back to), one INSERT per table (journal entries, postings, transitions), one UPDATE per table (holds,
attempts, orders), one DELETE of the outbox rows. The same rows and balances as the per-order path
(tests/orders/test_settle_plain.py settles twin batches both ways and compares them).

Plain means: the order is open (submitted, pending, manual review) and the answer is about its current attempt;
its hold is still placed, in the order's currency, and covers the quote's splits (each a non-negative
integer); what else its settlement moves can be moved set-based (``sales.sales_settleable_set_based``): its
agents' commissions, if any (every agent and wallet found, every amount positive) and, in a reseller brand, its
float hold at the parent (placed, exactly the settled cost: locked then). Those are posted for the whole batch at
once (``sales.sales_settled_set_based``: one ``agent_commission`` entry per sale and the commission rows, as
``post_commissions`` makes them; the float holds settled whole at the parent by one statement, as
``settle_float`` settles them). Everything else (a late success after a refund, a success after a fail-over, a
repeated answer, a float hold of another amount, a commission to an agent or wallet not found) is left to the
per-order path, unchanged.

Locks, in the global order (``shared_apps.core.locks``): the orders (subject, ascending id), their holds
(hold, ascending id; then a reseller's float holds at the parent, ascending id), the wallets credited
(ledger_account, ascending id, one statement: the agents' commissions and the leftovers, which are rare: only
when the settling attempt costs less than the hold). System accounts (holds, provider settlement, revenue,
taxes, commissions payable...) carry no balance and are never updated: their postings only key-share their rows
(the foreign key), which never blocks an acceptance posting to the same account.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from provider_plugins.interfaces import OutcomeStatus
from shared_apps.core import rows
from shared_apps.core.locks import lock_ledger_accounts
from tenant_apps.agents.sales import (
    Sale,
    SetBasedSale,
    sales_settleable_set_based,
    sales_settled_plainly,
    sales_settled_set_based,
)
from tenant_apps.ledger.models import AccountKind, HoldStatus
from tenant_apps.ledger.services import ENTRIES_AND_POSTINGS, EntryType, entries_and_postings

from .. import routing
from ..models import AttemptStatus, Order, OrderAttempt, OrderStatus
from ..services._helpers import _count_purchase, _system_account
from ..services.notify import _notify
from ..services.outcomes import _receipt_details, _tax_metadata, order_quote_taxes
from .claims import Claimed

OPEN_STATES = frozenset({OrderStatus.SUBMITTED, OrderStatus.PENDING, OrderStatus.MANUAL_REVIEW})

# The ORM's select_for_update(of=("self",)) of the orders and a read of their attempts, written out in ONE
# statement (shared_apps.core.rows): only the orders are locked, in id order.
LOCK_ORDERS = ("SELECT {orders}, {attempts} FROM orders_order o "
               "JOIN unnest(%s::bigint[], %s::bigint[]) AS v(order_id, attempt_id) ON o.id = v.order_id "
               "JOIN orders_orderattempt a ON a.id = v.attempt_id "
               "ORDER BY o.id FOR UPDATE OF o")  # lock: subject

LOCK_HOLDS = ("SELECT id, wallet_id, amount, currency, status, reference FROM ledger_hold "
              "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE")  # lock: hold

CREDIT_WALLETS = """
UPDATE ledger_account a SET balance = a.balance + d.delta
  FROM unnest(%s::bigint[], %s::bigint[]) AS d(account_id, delta)
 WHERE a.id = d.account_id AND a.balance + d.delta >= 0
RETURNING a.id
"""

# Every write of the batch in ONE statement (its rows are locked): the hold_settle entries (an entry already
# posted is skipped, and the count returned tells: the batch then rolls back), their postings and the holds
# closed (both joined to their entry by the hold's reference), the attempts answered, the orders settled, their
# transitions, their outbox rows deleted. Each table is written once; the ledger's balance and two-postings
# rules are deferred constraint triggers (checked at commit), the postings' foreign key at the statement's end.
SETTLE = "WITH " + ENTRIES_AND_POSTINGS + """, h AS (
    UPDATE ledger_hold h SET status = %(hold_status)s, settled_amount = d.settled, close_entry_id = e.id,
           closed_at = %(now)s
      FROM unnest(%(holds)s::bigint[], %(settled)s::bigint[], %(references)s::text[]) AS d(hold_id, settled, reference)
      JOIN e ON e.reference = d.reference
     WHERE h.id = d.hold_id
), a AS (
    UPDATE orders_orderattempt a SET status = %(attempt_status)s, answered_at = %(now)s, reason = '',
           provider_code = d.code, provider_reference = d.reference
      FROM unnest(%(attempts)s::bigint[], %(codes)s::text[], %(attempt_references)s::text[])
        AS d(attempt_id, code, reference)
     WHERE a.id = d.attempt_id
), o AS (
    UPDATE orders_order o SET status = %(order_status)s, updated_at = %(now)s, final_at = %(now)s,
           next_requery_at = NULL, provider_reference = d.reference, token = d.token, units = d.units,
           receipt_details = d.receipt::jsonb, tax_lines = d.taxes::jsonb, price_minor = d.price
      FROM unnest(%(orders)s::bigint[], %(order_references)s::text[], %(tokens)s::text[], %(units)s::text[],
                  %(receipts)s::text[], %(taxes)s::text[], %(prices)s::bigint[])
        AS d(order_id, reference, token, units, receipt, taxes, price)
     WHERE o.id = d.order_id
), t AS (
    INSERT INTO orders_ordertransition (order_id, from_status, to_status, reason, source, created_at)
    SELECT t.order_id, t.from_status, t.to_status, t.reason, %(source)s, %(now)s
      FROM unnest(%(transition_orders)s::bigint[], %(from_statuses)s::text[], %(to_statuses)s::text[],
                  %(reasons)s::text[]) WITH ORDINALITY AS t(order_id, from_status, to_status, reason, n)
     ORDER BY t.n
), b AS (
    DELETE FROM orders_orderoutbox WHERE order_id = ANY(%(orders)s::bigint[])
)
SELECT count(*) FROM e
"""  # noqa: S608 (the ledger's constant fragment)


class BatchConflict(Exception):
    """A row changed under the batch (an entry already posted, a wallet refused): roll the batch back; its
    orders are then settled one by one, each by the per-order path, which knows every case."""


@dataclass
class _Plain:
    item: Claimed
    order: Order
    attempt: OrderAttempt
    hold: tuple  # (id, wallet_id, amount, currency, status, reference)
    lines: list[tuple[int, int]]  # (account id, amount), in the per-order path's order
    sale: SetBasedSale  # what else its settlement moves: the agents' commissions, a reseller's float hold


def _dumps(value: object) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder)


def _lines(attempt: OrderAttempt, order: Order, hold: tuple) -> list[tuple[int, int]] | None:
    """The hold_settle entry's lines as ``settle_hold`` makes them (holds, splits, leftover to the wallet);
    None when the splits are not what the set-based path may post (the per-order path raises on them)."""
    quote = attempt.quote
    splits = [(AccountKind.PROVIDER_SETTLEMENT, quote["cost_minor"])]
    splits += [(line["account_kind"], line["amount_minor"]) for line in quote.get("lines", ())
               if int(line["amount_minor"])]
    amounts = [int(amount) for _kind, amount in splits]
    if any(amount < 0 for amount in amounts) or sum(amounts) > hold[2]:
        return None
    lines = [(_system_account(AccountKind.HOLDS, order.currency).pk, -hold[2])]
    lines += [(_system_account(kind, order.currency).pk, amount)
              for (kind, _), amount in zip(splits, amounts, strict=True) if amount]
    if hold[2] - sum(amounts):
        lines.append((hold[1], hold[2] - sum(amounts)))
    return lines


def _candidate(item: Claimed, order: Order, attempt: OrderAttempt, hold: tuple | None) -> bool:
    """Whether the answer and the locked rows are the common case (before the sale's agents are looked at)."""
    outcome = item.outcome
    if outcome is None or outcome.status != OutcomeStatus.SUCCESS or hold is None:
        return False
    if order.status not in OPEN_STATES or attempt.number != order.attempt_count:
        return False
    return hold[4] == HoldStatus.PLACED and hold[3] == order.currency \
        and attempt.quote.get("currency", order.currency) == order.currency


def _plain(item: Claimed, order: Order, attempt: OrderAttempt, hold: tuple, sale: SetBasedSale) -> _Plain | None:
    lines = _lines(attempt, order, hold)
    return None if lines is None else _Plain(item, order, attempt, hold, lines, sale)


def _credit_wallets(cursor, plain: list[_Plain]) -> None:
    """The wallets credited by the batch, locked and credited in ONE ascending order: the agents' commissions and
    the leftovers back to the buyers (rare: the settling attempt cost less than the hold)."""
    wallets: Counter[int] = Counter()
    for p in plain:
        if len(p.lines) > 1 and p.lines[-1][0] == p.hold[1]:
            wallets[p.hold[1]] += p.lines[-1][1]
        for credit in p.sale.commissions:
            wallets[credit.wallet_id] += credit.amount_minor
    if wallets:
        ordered = lock_ledger_accounts(wallets)  # ascending id
        cursor.execute(CREDIT_WALLETS, [ordered, [wallets[account_id] for account_id in ordered]])
        if len(cursor.fetchall()) != len(ordered):
            raise BatchConflict("a wallet refused its credit")


def _after_commit(plain: list[_Plain]) -> None:
    """The circuit breakers and the buyers' texts, as the per-order path queues them (the postings' counters:
    ``entries_and_postings``)."""
    for provider_id in sorted({p.attempt.provider_id for p in plain}):
        transaction.on_commit(_breaker_success(provider_id))
    for p in plain:
        _notify(p.order, "delivered")


def _breaker_success(provider_id: int) -> Callable[[], None]:
    return lambda: routing.breaker_record_success(provider_id)


def _apply(cursor, plain: list[_Plain], *, source: str, now: datetime) -> None:
    """The set-based writes of the batch (holds, wallets and orders are locked): the wallets' credits, ``SETTLE``,
    then the agents' commission entries and a reseller's float holds at the parent."""
    _credit_wallets(cursor, plain)
    transitions: list[tuple[int, str, str, str]] = []
    for p in plain:
        order, attempt, outcome = p.order, p.attempt, p.item.outcome
        assert outcome is not None
        attempt.status, attempt.reason, attempt.answered_at = AttemptStatus.SUCCEEDED, "", now
        attempt.provider_code = outcome.provider_code[:20]
        if outcome.provider_reference:
            attempt.provider_reference = outcome.provider_reference[:100]
        order._metrics_provider = attempt.plugin_key  # type: ignore[attr-defined]
        order.provider_reference = outcome.provider_reference or order.provider_reference
        order.token, order.units = outcome.token or order.token, outcome.units or order.units
        order.receipt_details = _receipt_details(order, attempt, outcome)
        order.tax_lines = order_quote_taxes(attempt.quote)
        order.price_minor = int(attempt.quote["price_minor"])  # what the wallet paid (outcomes._settle)
        transitions.append((order.pk, order.status, OrderStatus.SUCCEEDED, outcome.provider_reference[:200]))
        transitions.append((order.pk, OrderStatus.SUCCEEDED, OrderStatus.SETTLED, "hold settled"))
        _count_purchase(order, from_status=order.status, to_status=OrderStatus.SUCCEEDED)
        order.status, order.updated_at, order.final_at, order.next_requery_at = OrderStatus.SETTLED, now, now, None
    lines = [(p.hold[5], account_id, amount, p.order.currency) for p in plain for account_id, amount in p.lines]
    transition_orders, from_statuses, to_statuses, reasons = (list(column) for column in zip(*transitions,
                                                                                             strict=True))
    cursor.execute(SETTLE, {
        **entries_and_postings(entry_type=EntryType.HOLD_SETTLE, now=now, lines=lines, entries=[
            (p.hold[5], {"order": str(p.order.public_id), "provider_id": p.attempt.provider_id,
                         **_tax_metadata(p.attempt.quote)}) for p in plain]),
        "source": source,
        "hold_status": HoldStatus.SETTLED, "holds": [p.hold[0] for p in plain],
        "settled": [p.hold[2] - _leftover(p) for p in plain],
        "attempt_status": AttemptStatus.SUCCEEDED, "attempts": [p.attempt.pk for p in plain],
        "codes": [p.attempt.provider_code for p in plain],
        "attempt_references": [p.attempt.provider_reference for p in plain],
        "order_status": OrderStatus.SETTLED, "orders": [p.order.pk for p in plain],
        "order_references": [p.order.provider_reference for p in plain], "tokens": [p.order.token for p in plain],
        "units": [p.order.units for p in plain], "receipts": [_dumps(p.order.receipt_details) for p in plain],
        "taxes": [_dumps(p.order.tax_lines) for p in plain], "prices": [p.order.price_minor for p in plain],
        "transition_orders": transition_orders, "from_statuses": from_statuses, "to_statuses": to_statuses,
        "reasons": reasons})
    (posted,) = cursor.fetchone()
    if posted != len(plain):
        raise BatchConflict("a hold_settle entry of the batch was already posted")
    if not sales_settled_set_based(sales=[
            (str(p.order.public_id), p.order.currency,
             _system_account(AccountKind.COMMISSIONS_PAYABLE, p.order.currency).pk if p.sale.commissions else 0,
             p.sale) for p in plain if p.sale.commissions or p.sale.float_hold is not None], now=now):
        raise BatchConflict("a commission or float entry of the batch was already posted")
    sales_settled_plainly(sales=[Sale(reference=str(p.order.public_id), quote=p.attempt.quote,
                                      recipient=p.order.recipient_phone) for p in plain])
    _after_commit(plain)


def _leftover(p: _Plain) -> int:
    """What goes back to the wallet (the last line, when the settling attempt costs less than the hold)."""
    return p.lines[-1][1] if len(p.lines) > 1 and p.lines[-1][0] == p.hold[1] else 0


def settle_plain(items: list[Claimed], *, source: str, now: datetime) -> tuple[dict[int, Order], list[Claimed]]:
    """Lock the successes' orders and holds, settle the plain ones set-based, in ONE transaction (the caller's
    if it has one); returns the settled orders by id and the items left for the per-order path."""
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(LOCK_ORDERS.format(orders=rows.columns(Order, "o"),
                                              attempts=rows.columns(OrderAttempt, "a")),
                           [[i.order.pk for i in items], [i.attempt.pk for i in items]])
            locked, answered = rows.pairs(Order, OrderAttempt, cursor.fetchall())
            orders = {order.pk: order for order in locked}
            attempts = {a.pk: a for a in answered}
            cursor.execute(LOCK_HOLDS, [sorted({o.hold_id for o in orders.values() if o.hold_id is not None})])
            holds = {row[0]: row for row in cursor.fetchall()}
        plain: list[_Plain] = []
        left: list[Claimed] = []
        candidates: list[tuple[Claimed, Order, OrderAttempt, tuple]] = []
        for item in sorted(items, key=lambda i: i.order.pk):
            order, attempt = orders.get(item.order.pk), attempts.get(item.attempt.pk)
            hold = holds.get(order.hold_id) if order is not None and order.hold_id else None
            if order is not None and attempt is not None and hold is not None and _candidate(item, order, attempt,
                                                                                               hold):
                candidates.append((item, order, attempt, hold))
            else:
                left.append(item)
        # A reseller's float holds are locked in the parent schema here (schema_context): django-tenants sets a
        # connection's search_path when a cursor is CREATED, so a cursor opened before that would go on writing
        # to the parent's tables. The writes below get a cursor of their own, opened back in this schema.
        settleable = sales_settleable_set_based(sales=[
            (Sale(reference=str(order.public_id), quote=attempt.quote), order.currency)
            for _item, order, attempt, _hold in candidates])
        for item, order, attempt, hold in candidates:
            sale = settleable.get(str(order.public_id))
            found = None if sale is None else _plain(item, order, attempt, hold, sale)
            if found is None:
                left.append(item)
            else:
                plain.append(found)
        left.sort(key=lambda i: i.order.pk)
        if plain:
            with connection.cursor() as cursor:
                _apply(cursor, plain, source=source, now=now)
    return {p.order.pk: p.order for p in plain}, left
