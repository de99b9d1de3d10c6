"""Reading the archive: the exchanges of an order / payout / funding, as rows or as a dispute file."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ProviderExchange


def exchanges_for(*, subject_type: str, subject_id: int) -> QuerySet[ProviderExchange]:
    return ProviderExchange.objects.filter(subject_type=subject_type, subject_id=subject_id) \
        .order_by("started_at", "sequence", "id")


def exchange_json(row: ProviderExchange) -> dict[str, Any]:
    return {
        "attempt": row.attempt_ref, "operation": row.operation, "provider": row.plugin_key,
        "provider_id": row.provider_id, "started_at": row.started_at.isoformat(), "duration_ms": row.duration_ms,
        "request": {"method": row.method, "url": row.url, "headers": row.request_headers, "body": row.request_body},
        "response": {"status": row.status, "headers": row.response_headers, "body": row.response_body},
        "error": row.error,
    }


def dispute_file(*, subject_type: str, subject_id: int, reference: str) -> dict[str, Any]:
    """Everything we exchanged with providers about one order/payout, for a dispute (already redacted)."""
    return {"subject": subject_type, "reference": reference,
            "exchanges": [exchange_json(row) for row in exchanges_for(subject_type=subject_type,
                                                                      subject_id=subject_id)]}
