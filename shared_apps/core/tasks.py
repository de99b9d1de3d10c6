"""Diagnostic tasks (used by health checks and by the platform-shadowing test)."""

from __future__ import annotations

import platform

from celery import shared_task


@shared_task(name="core.platform_probe")
def platform_probe() -> dict:
    """Return what the *standard* ``platform`` module reports inside the worker."""
    return {"system": platform.system(), "module_file": platform.__file__, "python": platform.python_version()}


@shared_task(name="core.schema_probe")
def schema_probe(marker_email: str = "", **payload: object) -> dict:
    """Report the schema this task ran in and whether ``marker_email`` is a user there.

    Used by the tenant-isolation tests: the schema comes from the message header set where the
    task was sent (tenant-schemas-celery); nothing in the payload can choose it.
    """
    from django.contrib.auth import get_user_model

    from tenants.connection import current_schema

    return {"schema": current_schema(),
            "marker_found": bool(marker_email) and get_user_model().objects.filter(email=marker_email).exists(),
            "payload_keys": sorted(payload)}
