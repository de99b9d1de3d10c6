"""Who may top up in bulk: agents, and a reseller brand's own admins (the API's classes, used by the pages too)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from tenant_apps.accounts.models import Role
from tenant_apps.accounts.permissions import IsAgent, IsOperatorAdmin


class IsResellerAdmin(IsOperatorAdmin):
    """An operator admin of a reseller brand (the reseller's own people, on its own domain)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        from tenant_apps.agents.floats import current_tenant

        tenant = current_tenant()
        return getattr(tenant, "kind", "") == "reseller_brand"


class CanBulkTopUp(BasePermission):
    """Agents (any tenant) and reseller admins."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if getattr(user, "role", "") == Role.AGENT:
            return IsAgent().has_permission(request, view)
        return IsResellerAdmin().has_permission(request, view)
