"""Texting the buyer about an order's outcome: queued after the outcome's commit, sent by a task (never on
the purchase hot path). Texts: tenant_apps/notifications/templates/notifications/order_<event>.sms.txt
(branded, per language)."""

from __future__ import annotations

from django.conf import settings

from ..models import Order
from ._helpers import TaskName, _on_commit_task

ORDER_EVENTS = frozenset({"delivered", "refunded", "reversed"})


def _notify(order: Order, event: str) -> None:
    """Queue the buyer's text about ``event`` once the outcome's transaction commits."""
    if settings.ORDERS_SMS_NOTIFICATIONS:
        _on_commit_task(TaskName.NOTIFY, order.pk, event)


def order_notify(*, order_id: int, event: str) -> None:
    """Text the buyer about an order's outcome (task body; never on the purchase hot path)."""
    from tenant_apps.notifications.messages import notify_sms

    order = Order.objects.select_related("user").filter(pk=order_id).first()
    if order is None:
        return
    phone = order.user.phone
    if not phone or event not in ORDER_EVENTS:
        return
    notify_sms(to=phone, template=f"order_{event}", purpose=f"order_{event}", user=order.user,
               secrets=[order.token] if order.token else None,
               context={"product": order.product_name, "recipient": order.customer_number or order.recipient_phone,
                        "token": order.token, "units": order.units, "ref": order.public_id.hex[:10],
                        "amount": order.price_minor, "currency": order.currency})
