"""Celery tasks of the purchase path: each only calls a service (tenant-aware via tenant-schemas-celery)."""

from __future__ import annotations

from celery import shared_task

from . import services


# ignore_result: nobody reads these results; storing each in Redis cost a round trip per task.
@shared_task(name="orders.submit", acks_late=True, ignore_result=True)
def order_submit_task(order_id: int) -> str | None:
    order = services.order_submit(order_id=order_id)
    return order.status if order else None


@shared_task(name="orders.requery", acks_late=True, ignore_result=True)
def order_requery_task(order_id: int) -> str | None:
    order = services.order_requery(order_id=order_id)
    return order.status if order else None


@shared_task(name="orders.notify", acks_late=True, ignore_result=True)
def order_notify_task(order_id: int, event: str) -> None:
    services.order_notify(order_id=order_id, event=event)


@shared_task(name="orders.sweep", ignore_result=True)
def orders_sweep_task() -> dict:
    """Beat: every tenant's stranded outbox rows and overdue requeries."""
    return services.orders_sweep_all_tenants()
