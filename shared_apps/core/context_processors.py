"""Template context for every page: the tenant's brand."""

from __future__ import annotations

from .branding import brand_for


def branding(request) -> dict:
    return {"brand": brand_for(getattr(request, "tenant", None))}
