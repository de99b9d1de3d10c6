"""Reading privacy requests."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import DataExport


def exports_of(*, user: Any) -> QuerySet[DataExport]:
    return DataExport.objects.filter(user=user).order_by("-created_at")[:20]


def export_json(export: DataExport) -> dict[str, Any]:
    return {"id": str(export.public_id), "status": export.status, "created_at": export.created_at.isoformat(),
            "expires_at": export.expires_at.isoformat() if export.expires_at else None,
            "size_bytes": export.size_bytes, "tables": export.tables,
            "download": f"/api/privacy/exports/{export.public_id}/download" if export.status == "ready" else None}
