"""Beat tasks of the wallet app: each only calls a service."""

from __future__ import annotations

from celery import shared_task

from .services import reconcile_ledgers


@shared_task(name="wallet.reconcile_ledgers")
def reconcile_ledgers_task() -> dict[str, int]:
    """Nightly reconciliation; returns the number of discrepancies per schema (details are logged)."""
    return {schema: len(items) for schema, items in reconcile_ledgers().items()}
