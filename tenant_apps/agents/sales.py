"""What a settled or reversed sale means for resellers and agents.

Receivers of ``tenant_apps.orders.signals.order_settled`` / ``order_reversed``
(connected in apps.py when that module exists). For the order's stored price
breakdown (``PriceQuote.breakdown()``) they, in one transaction joined with the
sender's:

* pay each agent's commission (commissions payable -> agent wallets) / claw it back;
* in a reseller brand, draw the reseller's cost from its float at the parent
  operation (both schemas, one transaction) / put it back;
* queue the reseller's outbound webhooks.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_context

from .floats import current_tenant, draw_float
from .models import WebhookSubscription
from .services import claw_back_commissions, commission_lines, post_commissions
from .webhooks import enqueue_event, subscribed

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
    settled = getattr(order, "settled_quote", None)  # set by the orders service when it settles
    if isinstance(settled, dict) and "lines" in settled:
        return settled
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


def _payload(order, breakdown: dict | None, status: str) -> dict:
    return {"order": order_reference(order), "status": getattr(order, "status", status) or status,
            "product_id": (breakdown or {}).get("product_id"), "currency": (breakdown or {}).get("currency"),
            "price_minor": (breakdown or {}).get("price_minor"),
            "recipient": getattr(order, "recipient_phone", "") or getattr(order, "recipient", "") or ""}


def _nothing_to_do(breakdown: dict | None, event: str) -> bool:
    """No commission, not a reseller brand, no webhook subscriber: skip the (empty) transaction.

    The common case for a direct customer's purchase: one SELECT instead of BEGIN + SELECT + COMMIT.
    """
    if breakdown is None or commission_lines(breakdown):
        return False
    tenant = current_tenant()
    if tenant is None or tenant.kind == "reseller_brand":
        return False
    return not subscribed(WebhookSubscription.objects.filter(is_active=True), event)


def handle_order_settled(*, order) -> None:
    ref, breakdown = order_reference(order), order_breakdown(order)
    if _nothing_to_do(breakdown, "order.settled"):
        return
    with transaction.atomic():
        if breakdown is not None:
            post_commissions(order_ref=ref, breakdown=breakdown)
            tenant = current_tenant()
            if tenant is not None and tenant.kind == "reseller_brand":
                draw_float(reseller=tenant, order_ref=ref, provider_cost_minor=int(breakdown["cost_minor"]),
                           operator_margin_minor=_operator_margin(breakdown), currency=breakdown["currency"])
        else:
            logger.error("settled order without a price breakdown", extra={"order": ref})
        enqueue_event(event="order.settled", payload=_payload(order, breakdown, "settled"))


def handle_order_reversed(*, order) -> None:
    ref, breakdown = order_reference(order), order_breakdown(order)
    with transaction.atomic():
        claw_back_commissions(order_ref=ref)
        tenant = current_tenant()
        if breakdown is not None and tenant is not None and tenant.kind == "reseller_brand":
            draw_float(reseller=tenant, order_ref=ref, provider_cost_minor=int(breakdown["cost_minor"]),
                       operator_margin_minor=_operator_margin(breakdown), currency=breakdown["currency"],
                       reverse=True)
        enqueue_event(event="order.reversed", payload=_payload(order, breakdown, "reversed"))


def _run(handler, order, schema_name: str | None) -> None:
    """Receivers run after the order's transaction committed: a failure here must not break the sender.

    It is logged (with the order) and shows up in ``reconcile_resellers``; nothing is half-written
    because each handler is one transaction.
    """
    try:
        if schema_name and schema_name != connection.schema_name:
            with schema_context(schema_name):
                handler(order=order)
        else:
            handler(order=order)
    except Exception:
        logger.exception("reseller/agent postings failed for order %s", order_reference(order))
        if getattr(settings, "RESELLERS", {}).get("RAISE_IN_RECEIVERS"):
            raise


def on_order_settled(sender, order=None, schema_name: str | None = None, **kwargs) -> None:
    if order is not None:
        _run(handle_order_settled, order, schema_name)


def on_order_reversed(sender, order=None, schema_name: str | None = None, **kwargs) -> None:
    if order is not None:
        _run(handle_order_reversed, order, schema_name)


def connect_order_signals(*, settled, reversed_) -> None:
    """Connect the receivers (apps.py does it with the orders app's signals; tests may pass a shim's)."""
    settled.connect(on_order_settled, dispatch_uid="agents.on_order_settled")
    reversed_.connect(on_order_reversed, dispatch_uid="agents.on_order_reversed")
