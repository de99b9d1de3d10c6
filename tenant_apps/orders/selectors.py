"""Reads of orders: receipts for the buyer, the manual-review queue for staff."""

from __future__ import annotations

import uuid
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Order, OrderAttempt, OrderStatus
from .serializers import PLAIN_STATUS


def orders_for_user(*, user, status: str = "", product_type: str = "", recipient_phone: str = "",
                    date_from: date | None = None, date_to: date | None = None) -> QuerySet[Order]:
    orders = Order.objects.filter(user=user)
    if status:
        orders = orders.filter(status__in=[s for s, plain in PLAIN_STATUS.items() if plain == status])
    if product_type:
        orders = orders.filter(product_type=product_type)
    if recipient_phone:
        orders = orders.filter(recipient_phone__endswith="".join(ch for ch in recipient_phone if ch.isdigit())[-9:])
    if date_from:
        orders = orders.filter(created_at__date__gte=date_from)
    if date_to:
        orders = orders.filter(created_at__date__lte=date_to)
    return orders.order_by("-created_at", "-id")


def order_for_user(*, user, public_id) -> Order | None:
    return Order.objects.filter(user=user, public_id=public_id).first()


def orders_for_review() -> QuerySet[Order]:
    """The manual-review queue: pending too long, or a ledger anomaly to look at."""
    return Order.objects.filter(status=OrderStatus.MANUAL_REVIEW).union(
        Order.objects.filter(needs_review=True)).order_by("created_at")


REVIEW = "review"  # the staff list's pseudo-status: the manual-review queue


def orders_for_staff(*, status: str = "", q: str = "") -> QuerySet[Order]:
    """Staff search: ``status`` is a machine state or ``review`` (the manual-review queue); ``q`` matches
    the order id, a recipient number (last 9 digits), a customer number, the provider's reference,
    a provider request id or the buyer's email."""
    orders = Order.objects.select_related("user")
    if status == REVIEW:
        orders = orders.filter(Q(status=OrderStatus.MANUAL_REVIEW) | Q(needs_review=True))
    elif status:
        orders = orders.filter(status=status)
    q = (q or "").strip()
    if q:
        match = Q(customer_number=q) | Q(provider_reference=q) | Q(user__email__iexact=q)
        match |= Exists(OrderAttempt.objects.filter(order=OuterRef("pk"), request_id=q))
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 7 and len(digits) == len(q.lstrip("+")):
            match |= Q(recipient_phone__endswith=digits[-9:])
        try:
            match |= Q(public_id=uuid.UUID(q))
        except ValueError:
            pass
        orders = orders.filter(match)
    return orders.order_by("created_at", "id") if status == REVIEW else orders.order_by("-created_at", "-id")


def order_for_staff(*, public_id) -> Order | None:
    return Order.objects.select_related("user", "hold").filter(public_id=public_id).first()
