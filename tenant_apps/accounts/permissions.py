"""Reusable DRF permissions: roles per tenant or head office, and a verified phone.

Use them on every view (``permission_classes = [IsOperatorAdmin]``); wallet
and purchase code adds ``PhoneVerified`` (or calls
``tenant_apps.accounts.services.require_phone_verified``) before moving money.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext
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


class IsTenantUser(HasRole):
    """Any tenant role."""

    roles = TENANT_ROLES


class IsCustomer(HasRole):
    """Customers."""

    roles = frozenset({Role.CUSTOMER})


class IsAgent(HasRole):
    """Agents."""

    roles = frozenset({Role.AGENT})


class IsCustomerOrAgent(HasRole):
    """Customers and agents."""

    roles = frozenset({Role.CUSTOMER, Role.AGENT})


class IsOperatorStaff(HasRole):
    """Any operator role."""

    roles = OPERATOR_ROLES


class IsOperatorSupport(HasRole):
    """Operator support and admins."""

    roles = frozenset({Role.OPERATOR_SUPPORT, Role.OPERATOR_ADMIN})


class IsOperatorFinance(HasRole):
    """Operator finance and admins."""

    roles = frozenset({Role.OPERATOR_FINANCE, Role.OPERATOR_ADMIN})


class IsOperatorAdmin(HasRole):
    """Operator admins."""

    roles = frozenset({Role.OPERATOR_ADMIN})


class IsHeadOffice(HasRole):
    """Head-office roles, on the head-office domain."""

    roles = HEAD_OFFICE_ROLES
    head_office = True


class IsSuperAdmin(HasRole):
    """Head-office super-admins, on the head-office domain."""

    roles = frozenset({Role.SUPER_ADMIN})
    head_office = True


class PhoneVerified(BasePermission):
    """The user proved their phone by OTP: required before any money moves (403 ``phone_not_verified``)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.phone_verified_at is None:
            raise Forbidden(gettext("Verify your phone number before moving money."), code="phone_not_verified")
        return True
