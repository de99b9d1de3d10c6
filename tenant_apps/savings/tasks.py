"""Savings tasks: each only calls a service."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="savings.run_due", ignore_result=True)
def savings_run_due_task() -> dict:
    """Every tenant: open due circle cycles, collect (and retry) contributions, pay pots, run goal top-ups."""
    return services.savings_run_due_all_tenants()
