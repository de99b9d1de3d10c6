"""What a sale means for resellers and agents, in the sale's own transaction.

The purchase path (``tenant_apps.orders.services``) calls these hooks inside the
transaction that changes the order, so a sale and its reseller/agent effects
commit together or not at all (there is never a settled sale without its float
draw, nor a counted sale that rolled back):

* :func:`sale_accepted` (the purchase transaction, after the buyer's hold): count
  the sale against the selling agent's limits (429 ``agent_velocity_exceeded``),
  then, in a reseller brand, hold its cost on the reseller's float at the parent
  operation (both schemas; 422 ``insufficient_float`` refuses the sale before any
  money moves: everything rolls back);
* :func:`sale_settled` (the settlement transaction): the float hold becomes the
  draw, each agent's commission is paid, ``order.settled`` webhooks are queued;
* :func:`sale_released` (the sale failed, buyer refunded): the float hold and the
  velocity count are given back;
* :func:`sale_reversed` (the provider reversed a delivered sale): the commissions
  are clawed back, the float draw is reversed, ``order.reversed`` webhooks queued.

Every step is idempotent per order (ledger references, row states), so a repeated
provider answer changes nothing. Each hook receives a :class:`Sale`, built by the
purchase path from the order: its reference, the stored price breakdown the step
used (``PriceQuote.breakdown()``: the order's at acceptance and release, the
settling attempt's afterwards), the seller and the recipient. These hooks are the
only notification of a sale's outcome (no signals).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from tenant_apps.ledger.models import Account, AccountKind
from tenant_apps.ledger.services import ENTRIES_AND_POSTINGS, WholeSettlement, entries_and_postings

from .floats import (
    FloatDraw,
    current_tenant,
    float_holds_settleable,
    hold_float,
    release_float,
    reverse_float,
    settle_float,
    settle_floats_whole,
)
from .models import Agent, CommissionPosting, CommissionStatus, WebhookDelivery, WebhookSubscription
from .services import (
    CommissionEntry,
    agent_record_sale,
    agent_release_sale,
    claw_back_commissions,
    commission_lines,
    post_commissions,
)
from .webhooks import enqueue_event

if TYPE_CHECKING:
    from tenant_apps.accounts.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sale:
    """One sale, as the reseller and agent side needs it (``tenant_apps.orders`` builds it from the order)."""

    reference: str  # the order's public id: ledger references, velocity rows, webhook payloads
    quote: dict  # the stored price breakdown this step used (PriceQuote.breakdown())
    seller: User | None = None  # the buyer: an agent's own sales count against its limits
    recipient: str = ""  # the phone the value went to (webhook payloads)

    @property
    def by_agent(self) -> bool:
        return self.seller is not None and self.seller.role == "agent"


def _operator_margin(breakdown: dict) -> int:
    return sum(int(line["amount_minor"]) for line in breakdown.get("lines", ())
               if line.get("party") == "operator" and line.get("account_kind") == "provider_settlement")


def _reseller(breakdown: dict):
    """The current tenant if it is a reseller brand. The quote says which kind of tenant priced it, which
    spares every other tenant's purchase path a query."""
    if breakdown.get("tenant_kind") not in (None, "reseller_brand"):
        return None
    tenant = current_tenant()
    return tenant if tenant is not None and tenant.kind == "reseller_brand" else None


def _float_amounts(breakdown: dict) -> dict:
    return {"provider_cost_minor": int(breakdown["cost_minor"]), "operator_margin_minor": _operator_margin(breakdown),
            "currency": breakdown["currency"]}


def _payload(sale: Sale, status: str) -> dict:
    return {"order": sale.reference, "status": status, "product_id": sale.quote.get("product_id"),
            "currency": sale.quote.get("currency"), "price_minor": sale.quote.get("price_minor"),
            "recipient": sale.recipient}


def _enqueue_once(sale: Sale, event: str, status: str) -> None:
    """Queue the reseller's webhooks for this order event, once (a repeated hook call queues nothing)."""
    if not any(event in sub.events or "*" in sub.events for sub in WebhookSubscription.objects.filter(is_active=True)):
        return  # most tenants: no subscription, one query
    if WebhookDelivery.objects.filter(event=event, payload__order=sale.reference).exists():
        return
    enqueue_event(event=event, payload=_payload(sale, status))


def sale_accepted(*, sale: Sale) -> None:
    """In the purchase transaction: velocity (the agent's row lock), then the float hold (the parent's hot row,
    taken last so it is held the shortest time). Raises 429 / 403 / 422; the caller's transaction rolls back."""
    if sale.by_agent:
        agent_record_sale(agent=sale.seller, amount_minor=int(sale.quote["price_minor"]), reference=sale.reference)
    reseller = _reseller(sale.quote)
    if reseller is not None:
        amounts = _float_amounts(sale.quote)
        # The caller's transaction rolls back on any error (above): no savepoint of its own.
        hold_float(reseller=reseller, order_ref=sale.reference, currency=amounts["currency"],
                   amount_minor=amounts["provider_cost_minor"] + amounts["operator_margin_minor"], savepoint=False)


def sale_settled(*, sale: Sale) -> None:
    """In the settlement transaction (also a late success after a refund): float draw, commissions, webhooks."""
    with transaction.atomic(savepoint=False):  # part of the caller's transaction: no savepoint trip
        # Agent wallets first, the parent's float row last: the purchase path's lock order (buyer's wallet,
        # agent row, float), so a settlement and a sale of the same tree never wait on each other in a cycle.
        post_commissions(order_ref=sale.reference, breakdown=sale.quote)
        reseller = _reseller(sale.quote)
        if reseller is not None:
            settle_float(reseller=reseller, order_ref=sale.reference, **_float_amounts(sale.quote))
        _enqueue_once(sale, "order.settled", "settled")


def sale_settles_plainly(*, sale: Sale) -> bool:
    """Whether :func:`sale_settled` moves no money for ``sale`` (no agent commission, not a reseller brand's
    float): then :func:`sales_settled_plainly` is all its settlement needs (the dispatcher's set-based batch)."""
    return not commission_lines(sale.quote) and _reseller(sale.quote) is None


# --- the dispatcher's set-based settlement: commissions of many sales at once ----------------------------------

@dataclass(frozen=True)
class CommissionCredit:
    """One agent's commission on one sale, resolved for the set-based settlement: the agent's row and the wallet
    :func:`post_commissions` would credit (``wallet_for``: an agent wallet, a user wallet if the user is no longer
    an agent)."""

    agent_id: int
    wallet_id: int
    level: int
    amount_minor: int


@cache
def _commission_wallets_sql() -> str:
    """(agent public id, currency) -> the agent's id and its existing wallet, as wallet_for(user=agent.user) finds
    it (the user model is known once the apps are loaded)."""
    return f"""
SELECT v.public_id::text, v.currency, ag.id, acc.id
  FROM unnest(%s::uuid[], %s::text[]) AS v(public_id, currency)
  JOIN {Agent._meta.db_table} ag ON ag.public_id = v.public_id
  JOIN {get_user_model()._meta.db_table} u ON u.id = ag.user_id
  JOIN {Account._meta.db_table} acc ON acc.owner_id = u.id AND acc.currency = v.currency AND acc.holder = ''
   AND acc.kind = CASE WHEN u.role = 'agent' THEN '{AccountKind.AGENT_WALLET}' ELSE '{AccountKind.USER_WALLET}' END
"""  # noqa: S608 (table names and constants)


def commission_credits(*, sales: list[tuple[Sale, str]]) -> dict[str, list[CommissionCredit]]:
    """For each ``(sale, currency)`` whose commissions the set-based settlement may pay, its commission credits
    (``[]``: none), with ONE query for the whole list. A sale is left out (the per-order path,
    :func:`sale_settled`, settles it) when one of its commissions needs what only the per-order path does: an
    agent that is not found (logged there), a wallet not opened yet (created there), an amount that is not
    positive, a party that is not an agent id."""
    wanted: dict[str, list[tuple[str, int, int]]] = {}
    keys: set[tuple[str, str]] = set()
    for sale, currency in sales:
        lines = commission_lines(sale.quote)
        try:
            parsed = [(str(uuid.UUID(pid)), level, amount) for pid, level, amount in lines]
        except ValueError:
            continue
        if any(amount <= 0 for _pid, _level, amount in parsed):
            continue
        wanted[sale.reference] = parsed
        keys.update((pid, currency) for pid, _level, _amount in parsed)
    found: dict[tuple[str, str], tuple[int, int]] = {}
    if keys:
        ordered = sorted(keys)
        with connection.cursor() as cursor:
            cursor.execute(_commission_wallets_sql(),
                           [[pid for pid, _ in ordered], [currency for _, currency in ordered]])
            found = {(pid, currency): (agent_id, wallet_id) for pid, currency, agent_id, wallet_id in cursor.fetchall()}
    currencies = {sale.reference: currency for sale, currency in sales}
    credits: dict[str, list[CommissionCredit]] = {}
    for reference, parsed in wanted.items():
        resolved = [found.get((pid, currencies[reference])) for pid, _level, _amount in parsed]
        if all(row is not None for row in resolved):
            credits[reference] = [CommissionCredit(row[0], row[1], level, amount)  # type: ignore[index]
                                  for row, (_pid, level, amount) in zip(resolved, parsed, strict=True)]
    return credits


@dataclass(frozen=True)
class SetBasedSale:
    """What a sale's settlement moves besides the buyer's hold, resolved for the set-based settlement: its agents'
    commissions and, in a reseller brand, its float hold at the parent (locked), settled whole."""

    commissions: list[CommissionCredit]
    float_hold: WholeSettlement | None = None


def sales_settleable_set_based(*, sales: list[tuple[Sale, str]]) -> dict[str, SetBasedSale]:
    """The ``(sale, currency)`` pairs whose :func:`sale_settled` the set-based settlement can do for the whole
    batch at once, by sale reference: commissions resolved (:func:`commission_credits`) and, for a reseller
    brand's sale, its float hold settleable whole (``floats.float_holds_settleable``: locked here, in the
    caller's transaction). The others are left to the per-order path."""
    credits = commission_credits(sales=sales)
    reseller = None
    draws: list[FloatDraw] = []
    for sale, _currency in sales:
        if sale.reference in credits and (sale_reseller := _reseller(sale.quote)) is not None:
            reseller = sale_reseller
            draws.append(FloatDraw(order_ref=sale.reference, **_float_amounts(sale.quote)))
    floats = float_holds_settleable(reseller=reseller, draws=draws) if reseller is not None else {}
    settleable: dict[str, SetBasedSale] = {}
    for sale, _currency in sales:
        if sale.reference not in credits:
            continue
        if _reseller(sale.quote) is not None:
            if sale.reference not in floats:
                continue
            settleable[sale.reference] = SetBasedSale(credits[sale.reference], floats[sale.reference])
        else:
            settleable[sale.reference] = SetBasedSale(credits[sale.reference])
    return settleable


def sales_settled_set_based(*, sales: list[tuple[str, str, int, SetBasedSale]], now) -> bool:
    """:func:`sale_settled`'s money for the sales :func:`sales_settleable_set_based` resolved, in the caller's
    transaction, which has credited the agents' wallets under its locks: every commission entry in one statement
    (:func:`post_commissions_set_based`), every float hold settled at the parent in one more
    (``floats.settle_floats_whole``). ``sales``: ``(order reference, currency, commissions payable account id,
    what to move)``. False: an entry was already posted or a hold closed (the caller must roll back). The
    ``order.settled`` webhooks are :func:`sales_settled_plainly`'s."""
    paying = [(reference, currency, payable, sale.commissions) for reference, currency, payable, sale in sales
              if sale.commissions]
    if post_commissions_set_based(sales=paying, now=now) != len(paying):
        return False
    holds = [sale.float_hold for _reference, _currency, _payable, sale in sales if sale.float_hold is not None]
    if holds:
        reseller = current_tenant()
        if reseller is None or settle_floats_whole(reseller=reseller, settlements=holds, now=now) != len(holds):
            return False
    return True


# Every commission entry of a batch in ONE statement: the entries (one per sale, an entry already posted skipped:
# the count returned tells, and the caller rolls back), their postings (commissions payable, then each agent's
# wallet, as post_commissions posts them) and the commission rows. The wallets' balances are the caller's: it
# credits them with every other wallet of its batch, locked in one ascending order.
_POST_COMMISSIONS = "WITH " + ENTRIES_AND_POSTINGS + f""", c AS (
    INSERT INTO {CommissionPosting._meta.db_table} (order_ref, agent_id, level, amount_minor, currency, status,
                                                  clawback_shortfall_minor, created_at)
    SELECT c.reference, c.agent_id, c.level, c.amount, c.currency, %(posted)s, 0, %(now)s
      FROM unnest(%(row_references)s::text[], %(row_agents)s::bigint[], %(row_levels)s::int[],
                  %(row_amounts)s::bigint[], %(row_currencies)s::text[]) WITH ORDINALITY
        AS c(reference, agent_id, level, amount, currency, n)
     ORDER BY c.n
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM e
"""  # noqa: S608 (table names)


def post_commissions_set_based(*, sales: list[tuple[str, str, int, list[CommissionCredit]]], now) -> int:
    """:func:`post_commissions` for many sales in ONE statement, in the caller's transaction, which has already
    credited the agents' wallets (``sum(credit.amount_minor)`` each, under its locks). ``sales``: ``(order
    reference, currency, commissions payable account id, credits)``. Returns the entries posted (fewer than the
    sales with credits: one was already posted, and the caller must roll back)."""
    paying = [(reference, currency, payable, credits) for reference, currency, payable, credits in sales if credits]
    if not paying:
        return 0
    lines = [(reference, account_id, amount, currency) for reference, currency, payable, credits in paying
             for account_id, amount in [(payable, -sum(c.amount_minor for c in credits)),
                                         *[(c.wallet_id, c.amount_minor) for c in credits]]]
    commission_rows = [(reference, c.agent_id, c.level, c.amount_minor, currency)
                       for reference, currency, _payable, credits in paying for c in credits]
    with connection.cursor() as cursor:
        cursor.execute(_POST_COMMISSIONS, {
            **entries_and_postings(entry_type=CommissionEntry.POST, now=now, lines=lines,
                                   entries=[(reference, {"order": reference}) for reference, *_ in paying]),
            "posted": CommissionStatus.POSTED,
            **dict(zip(["row_references", "row_agents", "row_levels", "row_amounts", "row_currencies"],
                       (list(column) for column in zip(*commission_rows, strict=True)), strict=True))})
        (posted,) = cursor.fetchone()
    return int(posted)


# WebhookSubscription.objects.filter(is_active=True) with "order.settled" or "*" among its events (a JSON list).
_SETTLED_SUBSCRIBED = (f"SELECT EXISTS (SELECT 1 FROM {WebhookSubscription._meta.db_table} "  # noqa: S608 (a table name)
                       "WHERE is_active AND (events ? 'order.settled' OR events ? '*'))")


def sales_settled_plainly(*, sales: list[Sale]) -> None:
    """:func:`sale_settled` for sales that move no money (:func:`sale_settles_plainly`), in the caller's
    transaction: only the ``order.settled`` webhooks, with ONE subscription read for the whole list."""
    if not sales:
        return
    with connection.cursor() as cursor:  # written out: a queryset compiled per batch was a fifth of a settlement's CPU
        cursor.execute(_SETTLED_SUBSCRIBED)
        (subscribed,) = cursor.fetchone()
    if not subscribed:
        return  # most tenants: no subscription, one query per batch
    with transaction.atomic(savepoint=False):
        for sale in sales:
            _enqueue_once(sale, "order.settled", "settled")


def sale_released(*, sale: Sale) -> None:
    """The sale failed and the buyer's hold was released: give back the float hold and the velocity count.
    ``sale.quote``: the breakdown at acceptance (the order's)."""
    with transaction.atomic(savepoint=False):  # part of the caller's transaction: no savepoint trip
        if sale.by_agent:
            agent_release_sale(reference=sale.reference)
        reseller = _reseller(sale.quote)
        if reseller is not None:
            release_float(reseller=reseller, order_ref=sale.reference)


def sale_reversed(*, sale: Sale) -> None:
    """The provider reversed a delivered sale (buyer refunded): claw back, reverse the draw, queue webhooks."""
    with transaction.atomic(savepoint=False):  # part of the caller's transaction: no savepoint trip
        claw_back_commissions(order_ref=sale.reference)
        reseller = _reseller(sale.quote)
        if reseller is not None:
            reverse_float(reseller=reseller, order_ref=sale.reference, **_float_amounts(sale.quote))
        _enqueue_once(sale, "order.reversed", "reversed")
