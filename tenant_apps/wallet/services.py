"""Wallet services: reconciliation (reports, never fixes).

Funding, transfers and webhooks live in ``funding.py``, ``transfers.py`` and ``webhooks.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django_tenants.utils import schema_context

from tenants.selectors import tenant_list

from .selectors import Discrepancy, gateway_discrepancies, ledger_discrepancies

logger = logging.getLogger(__name__)


def reconcile_ledgers(*, schema_names: Iterable[str] | None = None) -> dict[str, list[Discrepancy]]:
    """Check every tenant's ledger (or the given schemas); log each discrepancy; change nothing."""
    schemas = list(schema_names) if schema_names is not None else [t.schema_name for t in tenant_list()]
    report: dict[str, list[Discrepancy]] = {}
    for schema in schemas:
        with schema_context(schema):
            report[schema] = ledger_discrepancies()
        for item in report[schema]:
            logger.error("ledger discrepancy", extra={"schema": schema, "discrepancy": str(item), "kind": item.kind})
    return report


def reconcile_gateways(*, schema_names: Iterable[str] | None = None) -> dict[str, list[Discrepancy]]:
    """Every gateway credit against a verified intent of the same amount and currency, and back; report only."""
    schemas = list(schema_names) if schema_names is not None else [t.schema_name for t in tenant_list()]
    report: dict[str, list[Discrepancy]] = {}
    for schema in schemas:
        with schema_context(schema):
            report[schema] = gateway_discrepancies()
        for item in report[schema]:
            logger.error("gateway discrepancy", extra={"schema": schema, "discrepancy": str(item), "kind": item.kind})
    return report


# -- payouts against each rail's own record ------------------------------------------------------

PAYOUT_RECONCILE_DAYS = 7


def payout_discrepancies(*, days: int = PAYOUT_RECONCILE_DAYS, limit: int = 2000) -> list[Discrepancy]:
    """This schema's final payouts (bank and mobile-money wallet) of the last ``days`` against what each rail
    says about the same reference (its transaction record, found by our reference: Paystack ``/transfer/verify``,
    Wave ``/v1/payouts/search``, CinetPay ``/v1/transfer/check/money``, Airtel and MoMo enquiries). Reports:

    * ``payout_failed_at_rail``: we settled (the customer was debited) but the rail failed or reversed it;
    * ``payout_paid_but_refunded``: we refunded or released but the rail paid it (money left twice);
    * ``payout_missing_at_rail``: we settled but the rail has no such payout;
    * ``payout_amount_mismatch``: the rail paid another amount or currency.

    A rail that cannot be reached is skipped (``payout_unverified`` is logged, not reported). Never fixes.
    """
    from datetime import timedelta

    from django.utils import timezone

    from provider_plugins.interfaces.common import OutcomeStatus
    from provider_plugins.interfaces.plugin import Capability
    from shared_apps.providers.models import Provider

    from .gateways import Gateway, gateway_by_provider_id
    from .models import PAYOUT_TYPES, Transfer, TransferStatus
    from .transfers import payout_status_at_rail

    since = timezone.now() - timedelta(days=days)
    rows = (Transfer.objects.filter(type__in=PAYOUT_TYPES, created_at__gte=since, provider_id__isnull=False)
            .exclude(status__in=(TransferStatus.PENDING, TransferStatus.HELD)).order_by("id")[:limit])
    found: list[Discrepancy] = []
    gateways: dict[int, Gateway | None] = {}
    for row in rows:
        provider_id = row.payout_provider_id  # selected: provider_id__isnull=False
        if provider_id not in gateways:
            gateways[provider_id] = gateway_by_provider_id(provider_id=provider_id, capability=Capability.PAYOUTS) \
                if Provider.objects.filter(pk=provider_id).exists() else None
        gateway = gateways[provider_id]
        if gateway is None:
            continue
        result = payout_status_at_rail(gateway=gateway, row=row)
        subject = f"{row.gateway} {row.reference}"
        if result.status is OutcomeStatus.PENDING:
            if result.provider_status == "not_found" and row.status == TransferStatus.SUCCEEDED:
                found.append(Discrepancy("payout_missing_at_rail", subject, row.amount_minor, 0, row.currency))
            elif result.provider_status != "not_found":
                logger.warning("payout_unverified", extra={"gateway": row.gateway, "reference": row.reference,
                                                           "provider_status": result.provider_status})
            continue
        paid_at_rail = result.status is OutcomeStatus.SUCCESS
        if row.status == TransferStatus.SUCCEEDED and not paid_at_rail:
            found.append(Discrepancy("payout_failed_at_rail", subject, row.amount_minor, 0,
                                     f"rail says {result.provider_status or result.status.value}; not refunded"))
        elif row.status in (TransferStatus.FAILED, TransferStatus.REVERSED) and paid_at_rail:
            found.append(Discrepancy("payout_paid_but_refunded", subject, 0, row.amount_minor,
                                     f"rail says {result.provider_status}; we released/refunded the customer"))
        if paid_at_rail and result.amount_minor is not None and (
                result.amount_minor != row.amount_minor or (result.currency and result.currency != row.currency)):
            found.append(Discrepancy("payout_amount_mismatch", subject, row.amount_minor, result.amount_minor,
                                     f"{row.currency} sent, {result.currency or '?'} at the rail"))
    return found


def reconcile_payouts(*, schema_names: Iterable[str] | None = None,
                      days: int = PAYOUT_RECONCILE_DAYS) -> dict[str, list[Discrepancy]]:
    """Every tenant's final payouts against its rails' records; report only (details are logged)."""
    schemas = list(schema_names) if schema_names is not None else [t.schema_name for t in tenant_list()]
    report: dict[str, list[Discrepancy]] = {}
    for schema in schemas:
        with schema_context(schema):
            report[schema] = payout_discrepancies(days=days)
        for item in report[schema]:
            logger.error("payout discrepancy", extra={"schema": schema, "discrepancy": str(item), "kind": item.kind})
    return report
