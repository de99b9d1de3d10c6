"""Merchant tasks: each only calls a service."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="merchants.settle_daily", ignore_result=True)
def settle_daily_task() -> dict:
    """Every tenant: settle each active merchant's takings for the day just ended (once per merchant per day)."""
    return services.settlements_run_all_tenants()
