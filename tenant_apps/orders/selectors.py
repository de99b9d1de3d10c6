"""Reads of orders: receipts for the buyer, the manual-review queue for staff."""

from __future__ import annotations

import uuid
from datetime import date

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Replace

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


def orders_search(*, q: str = "", status: str = "", product_type: str = "", review_only: bool = False,
                  date_from: date | None = None, date_to: date | None = None) -> QuerySet[Order]:
    """Staff search over every order of the tenant (API and back office).

    ``q`` matches the order id (whole, or its reference prefix ``ORD-1a2b3c``), a recipient number
    (last 9 digits), a customer number, the provider's reference, a provider request id or the
    buyer's email; ``review_only`` is the manual-review queue, oldest first.
    """
    orders = Order.objects.select_related("user")
    if review_only:
        orders = orders.filter(Q(status=OrderStatus.MANUAL_REVIEW) | Q(needs_review=True))
    q = (q or "").strip()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        match = (Q(user__email__icontains=q) | Q(provider_reference__iexact=q) | Q(customer_number__iexact=q)
                 | Q(Exists(OrderAttempt.objects.filter(order=OuterRef("pk"), request_id=q))))
        try:
            match |= Q(public_id=uuid.UUID(q))
        except ValueError:
            hexed = q.lower().removeprefix("ord-").replace("-", "")
            if len(hexed) >= 6 and all(ch in "0123456789abcdef" for ch in hexed):
                orders = orders.annotate(
                    reference_hex=Replace(Cast("public_id", CharField()), Value("-"), Value("")))
                match |= Q(reference_hex__startswith=hexed)
        if len(digits) >= 6 and len(digits) == len(q.lstrip("+").replace(" ", "")):
            match |= Q(recipient_phone__endswith=digits[-9:])
        orders = orders.filter(match)
    if status:
        orders = orders.filter(status=status)
    if product_type:
        orders = orders.filter(product_type=product_type)
    if date_from:
        orders = orders.filter(created_at__date__gte=date_from)
    if date_to:
        orders = orders.filter(created_at__date__lte=date_to)
    return orders.order_by("created_at", "id") if review_only else orders.order_by("-created_at", "-id")


def orders_for_staff(*, status: str = "", q: str = "") -> QuerySet[Order]:
    """The staff API's list: ``status`` is a machine state or ``review`` (the manual-review queue)."""
    if status == REVIEW:
        return orders_search(q=q, review_only=True)
    return orders_search(q=q, status=status)


def order_for_staff(*, public_id) -> Order | None:
    return Order.objects.select_related("user", "hold").filter(public_id=public_id).first()
