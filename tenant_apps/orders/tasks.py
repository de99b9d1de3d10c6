"""Celery tasks of the purchase path: each only calls a service (tenant-aware via tenant-schemas-celery).

The services send these by name (``TaskName``, ``shared_apps.core.enqueue``): this module imports the
services, never the reverse."""

from __future__ import annotations

from celery import shared_task

from .services import TaskName
from .services.notify import order_notify
from .services.requery import order_requery
from .services.submit import order_submit
from .services.sweep import orders_sweep_all_tenants


# ignore_result: nobody reads these results; storing each in Redis cost a round trip per task.
@shared_task(name=TaskName.SUBMIT, acks_late=True, ignore_result=True)
def order_submit_task(order_id: int) -> str | None:
    order = order_submit(order_id=order_id)
    return order.status if order else None


@shared_task(name=TaskName.REQUERY, acks_late=True, ignore_result=True)
def order_requery_task(order_id: int) -> str | None:
    order = order_requery(order_id=order_id)
    return order.status if order else None


@shared_task(name=TaskName.NOTIFY, acks_late=True, ignore_result=True)
def order_notify_task(order_id: int, event: str) -> None:
    order_notify(order_id=order_id, event=event)


@shared_task(name=TaskName.SWEEP, ignore_result=True)
def orders_sweep_task() -> dict:
    """Beat: every tenant's stranded outbox rows and overdue requeries."""
    return orders_sweep_all_tenants()
