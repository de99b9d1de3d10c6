"""Wallet tasks: each only calls a service. Tenant-aware: a task runs in the schema it was sent from.

Tasks import services, never the reverse: a service enqueues a task by its name (shared_apps.core.enqueue)."""

from __future__ import annotations

from celery import shared_task

from shared_apps.core import metrics
from tenants.runner import for_each_tenant

from .funding import funding_expire_stale, funding_poll
from .services import reconcile_gateways, reconcile_ledgers
from .transfers import payout_poll, payout_submit


@shared_task(name="wallet.reconcile_ledgers")
def reconcile_ledgers_task() -> dict[str, int]:
    """Nightly reconciliation; returns the number of discrepancies per schema (details are logged)."""
    found = {schema: len(items) for schema, items in reconcile_ledgers().items()}
    metrics.record_reconciliation(check="ledger", discrepancies=sum(found.values()))
    return found


@shared_task(name="wallet.reconcile_gateways")
def reconcile_gateways_task() -> dict[str, int]:
    """Gateway credits against verified intents, every tenant; report only (details are logged)."""
    found = {schema: len(items) for schema, items in reconcile_gateways().items()}
    metrics.record_reconciliation(check="gateways", discrepancies=sum(found.values()))
    return found


@shared_task(name="wallet.expire_stale_fundings")
def expire_stale_fundings_task() -> dict[str, dict[str, int]]:
    """Every tenant: pending funding intents nobody paid in time are verified once more, then expired."""
    return for_each_tenant(lambda: funding_expire_stale())


@shared_task(name="wallet.poll_funding", acks_late=True)
def poll_funding_task(intent_id: int, attempt: int) -> str:
    return funding_poll(intent_id=intent_id, attempt=attempt)


@shared_task(name="wallet.submit_payout", acks_late=True)
def submit_payout_task(transfer_id: int) -> str:
    return payout_submit(transfer_id=transfer_id).status


@shared_task(name="wallet.poll_payout", acks_late=True)
def poll_payout_task(transfer_id: int, attempt: int) -> str:
    return payout_poll(transfer_id=transfer_id, attempt=attempt)


@shared_task(name="wallet.send_sms", ignore_result=True)
def send_sms_task(to: str, text: str, purpose: str) -> None:
    from tenant_apps.notifications.services import sms_send

    sms_send(to=to, text=text, purpose=purpose)
