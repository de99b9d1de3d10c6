"""Reusable DRF permissions: roles per tenant or head office, and a verified phone.

Use them on every view (``permission_classes = [IsOperatorAdmin]``); wallet
and purchase code adds ``PhoneVerified`` (or calls
``tenant_apps.accounts.services.require_phone_verified``) before moving money.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from rest_framework.permissions import BasePermission

from shared_apps.core.errors import Forbidden

from .models import HEAD_OFFICE_ROLES, OPERATOR_ROLES, TENANT_ROLES, Role


def _on_public_schema() -> bool:
    return (getattr(connection, "schema_name", "public") or "public") == "public"


class HasRole(BasePermission):
    """Allows authenticated, active users whose role is in ``roles`` on the right kind of domain."""

    roles: frozenset[str] = frozenset()
    head_office = False  # True: only on the public (head-office) domain; False: only on tenant domains
    message = "Your role does not allow this action."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if _on_public_schema() != self.head_office:
            return False
        return user.role in self.roles


def role_permission(name: str, *roles: str, head_office: bool = False) -> type[HasRole]:
    return type(name, (HasRole,), {"roles": frozenset(roles), "head_office": head_office,
                                   "__doc__": f"Roles allowed: {', '.join(roles)}."})


IsTenantUser = role_permission("IsTenantUser", *TENANT_ROLES)
IsCustomer = role_permission("IsCustomer", Role.CUSTOMER)
IsAgent = role_permission("IsAgent", Role.AGENT)
IsCustomerOrAgent = role_permission("IsCustomerOrAgent", Role.CUSTOMER, Role.AGENT)
IsOperatorStaff = role_permission("IsOperatorStaff", *OPERATOR_ROLES)
IsOperatorSupport = role_permission("IsOperatorSupport", Role.OPERATOR_SUPPORT, Role.OPERATOR_ADMIN)
IsOperatorFinance = role_permission("IsOperatorFinance", Role.OPERATOR_FINANCE, Role.OPERATOR_ADMIN)
IsOperatorAdmin = role_permission("IsOperatorAdmin", Role.OPERATOR_ADMIN)
IsHeadOffice = role_permission("IsHeadOffice", *HEAD_OFFICE_ROLES, head_office=True)
IsSuperAdmin = role_permission("IsSuperAdmin", Role.SUPER_ADMIN, head_office=True)


class PhoneVerified(BasePermission):
    """The user proved their phone by OTP: required before any money moves (403 ``phone_not_verified``)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.phone_verified_at is None:
            raise Forbidden("Verify your phone number before moving money.", code="phone_not_verified")
        return True
