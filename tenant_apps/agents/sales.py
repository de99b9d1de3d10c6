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
provider answer changes nothing. ``quote`` is the stored price breakdown
(``PriceQuote.breakdown()``) the step used: the order's at acceptance, the
settling attempt's afterwards.
"""

from __future__ import annotations

import logging

from django.db import transaction

from .floats import current_tenant, hold_float, release_float, reverse_float, settle_float
from .models import WebhookDelivery, WebhookSubscription
from .services import agent_record_sale, agent_release_sale, claw_back_commissions, post_commissions
from .webhooks import enqueue_event

logger = logging.getLogger(__name__)

BREAKDOWN_ATTRIBUTES = ("price_breakdown", "breakdown", "quote", "pricing")


def order_reference(order) -> str:
    for attribute in ("public_id", "reference"):
        value = getattr(order, attribute, None)
        if value:
            return str(value)
    return f"order-{order.pk}"


def order_breakdown(order) -> dict | None:
    """The quote the settlement actually used: the current provider attempt's, else the order's."""
    attempts = getattr(order, "attempts", None)
    if attempts is not None and getattr(order, "attempt_count", 0) and hasattr(attempts, "filter"):
        attempt = attempts.filter(number=order.attempt_count).first()
        quote = getattr(attempt, "quote", None)
        if isinstance(quote, dict) and "lines" in quote:
            return quote
    for attribute in BREAKDOWN_ATTRIBUTES:
        value = getattr(order, attribute, None)
        if callable(getattr(value, "breakdown", None)):
            value = value.breakdown()
        if isinstance(value, dict) and "lines" in value:
            return value
    return None


def _operator_margin(breakdown: dict) -> int:
    return sum(int(line["amount_minor"]) for line in breakdown.get("lines", ())
               if line.get("party") == "operator" and line.get("account_kind") == "provider_settlement")


def _reseller(breakdown: dict | None = None):
    """The current tenant if it is a reseller brand. The quote says which kind of tenant priced it, which
    spares every other tenant's purchase path a query."""
    if breakdown is not None and breakdown.get("tenant_kind") not in (None, "reseller_brand"):
        return None
    tenant = current_tenant()
    return tenant if tenant is not None and tenant.kind == "reseller_brand" else None


def _float_amounts(breakdown: dict) -> dict:
    return {"provider_cost_minor": int(breakdown["cost_minor"]), "operator_margin_minor": _operator_margin(breakdown),
            "currency": breakdown["currency"]}


def _payload(order, breakdown: dict | None, status: str) -> dict:
    return {"order": order_reference(order), "status": getattr(order, "status", status) or status,
            "product_id": (breakdown or {}).get("product_id"), "currency": (breakdown or {}).get("currency"),
            "price_minor": (breakdown or {}).get("price_minor"),
            "recipient": getattr(order, "recipient_phone", "") or getattr(order, "recipient", "") or ""}


def order_breakdown_at_acceptance(order) -> dict | None:
    quote = getattr(order, "quote", None)
    return quote if isinstance(quote, dict) else order_breakdown(order)


def _enqueue_once(order, breakdown: dict | None, event: str, status: str) -> None:
    """Queue the reseller's webhooks for this order event, once (a repeated hook call queues nothing)."""
    if not any(event in sub.events or "*" in sub.events for sub in WebhookSubscription.objects.filter(is_active=True)):
        return  # most tenants: no subscription, one query
    if WebhookDelivery.objects.filter(event=event, payload__order=order_reference(order)).exists():
        return
    enqueue_event(event=event, payload=_payload(order, breakdown, status))


def _seller(order):
    return getattr(order, "user", None) or getattr(order, "buyer", None)


def sale_accepted(*, order, quote: dict | None = None) -> None:
    """In the purchase transaction: velocity (the agent's row lock), then the float hold (the parent's hot row,
    taken last so it is held the shortest time). Raises 429 / 403 / 422; the caller's transaction rolls back."""
    ref, breakdown = order_reference(order), quote or order_breakdown(order)
    seller = _seller(order)
    if getattr(seller, "role", "") == "agent":
        agent_record_sale(agent=seller, amount_minor=int(breakdown["price_minor"]), reference=ref)
    reseller = _reseller(breakdown)
    if reseller is not None and breakdown is not None:
        amounts = _float_amounts(breakdown)
        hold_float(reseller=reseller, order_ref=ref, currency=amounts["currency"],
                   amount_minor=amounts["provider_cost_minor"] + amounts["operator_margin_minor"])


def sale_settled(*, order, quote: dict | None = None) -> None:
    """In the settlement transaction (also a late success after a refund): float draw, commissions, webhooks."""
    ref, breakdown = order_reference(order), quote or order_breakdown(order)
    with transaction.atomic(savepoint=False):  # part of the caller's transaction: no savepoint trip
        if breakdown is None:
            logger.error("settled order without a price breakdown", extra={"order": ref})
        else:
            # Agent wallets first, the parent's float row last: the purchase path's lock order (buyer's wallet,
            # agent row, float), so a settlement and a sale of the same tree never wait on each other in a cycle.
            post_commissions(order_ref=ref, breakdown=breakdown)
            reseller = _reseller(breakdown)
            if reseller is not None:
                settle_float(reseller=reseller, order_ref=ref, **_float_amounts(breakdown))
        _enqueue_once(order, breakdown, "order.settled", "settled")


def sale_released(*, order) -> None:
    """The sale failed and the buyer's hold was released: give back the float hold and the velocity count."""
    ref = order_reference(order)
    with transaction.atomic(savepoint=False):  # part of the caller's transaction: no savepoint trip
        if getattr(_seller(order), "role", "") == "agent":
            agent_release_sale(reference=ref)
        reseller = _reseller(order_breakdown_at_acceptance(order))
        if reseller is not None:
            release_float(reseller=reseller, order_ref=ref)


def sale_reversed(*, order, quote: dict | None = None) -> None:
    """The provider reversed a delivered sale (buyer refunded): claw back, reverse the draw, queue webhooks."""
    ref, breakdown = order_reference(order), quote or order_breakdown(order)
    with transaction.atomic(savepoint=False):  # part of the caller's transaction: no savepoint trip
        claw_back_commissions(order_ref=ref)
        reseller = _reseller(breakdown)
        if breakdown is not None and reseller is not None:
            reverse_float(reseller=reseller, order_ref=ref, **_float_amounts(breakdown))
        _enqueue_once(order, breakdown, "order.reversed", "reversed")
