from __future__ import annotations

from rest_framework.permissions import BasePermission


class IsOperatorFinance(BasePermission):
    """Tenant finance staff: the only people who may post manual ledger adjustments."""

    message = "Only operator finance staff may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated
                    and getattr(request.user, "role", "") == "operator_finance")
