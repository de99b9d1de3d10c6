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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction

from .floats import current_tenant, hold_float, release_float, reverse_float, settle_float
from .models import WebhookDelivery, WebhookSubscription
from .services import (
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
        hold_float(reseller=reseller, order_ref=sale.reference, currency=amounts["currency"],
                   amount_minor=amounts["provider_cost_minor"] + amounts["operator_margin_minor"])


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
