"""Beat and notification tasks of subscriptions: each only calls a service."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="subscriptions.run_due", ignore_result=True)
def subscriptions_run_due_task() -> dict:
    return services.subscriptions_run_due_all_tenants()


@shared_task(name="subscriptions.notify_paused", ignore_result=True)
def subscription_notify_paused_task(subscription_id: int, reason: str) -> None:
    services.subscription_notify_paused(subscription_id=subscription_id, reason=reason)
