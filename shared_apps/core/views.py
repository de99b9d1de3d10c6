"""Views every domain serves (health)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .health import run_health_checks


@require_GET
def health(request) -> JsonResponse:
    report = run_health_checks()
    report["tenant"] = getattr(getattr(request, "tenant", None), "schema_name", None)
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
