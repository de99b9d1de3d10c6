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
