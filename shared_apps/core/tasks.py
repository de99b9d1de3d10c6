"""Diagnostic tasks (used by health checks and by the platform-shadowing test)."""

from __future__ import annotations

import platform

from celery import shared_task


@shared_task(name="core.platform_probe")
def platform_probe() -> dict:
    """Return what the *standard* ``platform`` module reports inside the worker."""
    return {"system": platform.system(), "module_file": platform.__file__, "python": platform.python_version()}
