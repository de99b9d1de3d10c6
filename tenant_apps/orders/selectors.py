"""Reads of orders: receipts for the buyer, the manual-review queue for staff."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from .models import Order, OrderStatus
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
