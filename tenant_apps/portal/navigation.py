"""The portal's navigation: one list, each entry guarded by the permission its page uses.

Pages of other flows (purchases, funding, agents...) add their entry here when
they exist, so the menu never links to a page that is not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tenant_apps.accounts.permissions import (
    IsAgent,
    IsCustomer,
    IsOperatorAdmin,
    IsOperatorFinance,
    IsOperatorStaff,
    IsOperatorSupport,
    IsTenantUser,
)

from .access import allowed


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any
    permissions: tuple[Any, ...]
    section: str  # "customer" or "back_office"


NAV_ITEMS: list[NavItem] = [
    NavItem("portal:wallet", _("Wallet"), (IsTenantUser,), "customer"),
    NavItem("portal:kyc", _("Identity"), (IsTenantUser,), "customer"),
    NavItem("portal:backoffice-dashboard", _("Dashboard"), (IsOperatorStaff,), "back_office"),
    NavItem("portal:backoffice-users", _("Users"), (IsOperatorStaff,), "back_office"),
    NavItem("portal:backoffice-kyc", _("KYC review"), (IsOperatorSupport,), "back_office"),
    NavItem("portal:profile", _("Profile"), (IsTenantUser,), "customer"),  # everyone's, shown last
]
# Customer money pages (shop.py, money.py): before Profile.
NAV_ITEMS[-1:-1] = [
    NavItem("portal:buy", _("Buy"), (IsTenantUser,), "customer"),
    NavItem("portal:history", _("History"), (IsTenantUser,), "customer"),
    NavItem("portal:transfers", _("Send money"), (IsTenantUser,), "customer"),
    NavItem("portal:cash-out", _("Cash out"), (IsTenantUser,), "customer"),
    NavItem("portal:withdraw", _("Withdraw cash"), (IsCustomer,), "customer"),
    NavItem("portal:subscriptions", _("Subscriptions"), (IsTenantUser,), "customer"),
]

# --- agent portal and operator back office pages (tenant_apps/portal/agent.py, backoffice_*.py) ---
NAV_ITEMS[-1:-1] = [
    NavItem("portal:agent-sell", _("Sell"), (IsAgent,), "agent"),
    NavItem("portal:agent-cash-in", _("Cash-in"), (IsAgent,), "agent"),
    NavItem("portal:agent-cash-out", _("Cash-out"), (IsAgent,), "agent"),
    NavItem("portal:agent-wallet", _("Agent wallet"), (IsAgent,), "agent"),
    NavItem("portal:agent-team", _("Sub-agents"), (IsAgent,), "agent"),
    NavItem("portal:agent-commissions", _("Commissions"), (IsAgent,), "agent"),
    NavItem("portal:kyc", _("Identity"), (IsTenantUser,), "agent"),
    NavItem("portal:backoffice-orders", _("Orders"), (IsOperatorStaff,), "back_office"),
    NavItem("portal:backoffice-pricing", _("Pricing"), (IsOperatorAdmin,), "back_office"),
    NavItem("portal:backoffice-applications", _("Reseller applications"), (IsOperatorAdmin,), "back_office"),
    NavItem("portal:backoffice-reconciliation", _("Reconciliation"), (IsOperatorFinance,), "back_office"),
    NavItem("tax:report", _("Taxes"), (IsOperatorFinance,), "back_office"),
    NavItem("risk:reviews", _("Risk review"), (IsOperatorStaff,), "back_office"),
    NavItem("risk:rules", _("Risk rules"), (IsOperatorStaff,), "back_office"),
    NavItem("portal:agent-team", _("Agents"), (IsOperatorAdmin,), "back_office"),
    NavItem("portal:agent-commissions", _("Commissions"), (IsOperatorAdmin,), "back_office"),
]

# --- merchant payments and savings (tenant_apps/merchants/pages.py, tenant_apps/savings/pages.py) ---
NAV_ITEMS[-1:-1] = [
    NavItem("portal:pay", _("Pay a merchant"), (IsTenantUser,), "customer"),
    NavItem("portal:savings", _("Savings"), (IsTenantUser,), "customer"),
    NavItem("portal:business", _("My business"), (IsTenantUser,), "customer"),
    NavItem("portal:backoffice-merchants", _("Merchants"), (IsOperatorStaff,), "back_office"),
    NavItem("portal:backoffice-merchant-fees", _("Merchant fees"), (IsOperatorAdmin,), "back_office"),
    NavItem("portal:backoffice-savings", _("Savings"), (IsOperatorStaff,), "back_office"),
    # Remittances (tenant_apps/remittances/pages.py)
    NavItem("portal:remittances", _("Send abroad"), (IsTenantUser,), "customer"),
    NavItem("portal:backoffice-remittances", _("Remittances"), (IsOperatorStaff,), "back_office"),
    NavItem("portal:backoffice-remittance-corridors", _("Remittance corridors"), (IsOperatorStaff,), "back_office"),
]


# --- channels (tenant_apps.pins, tenant_apps.ussd): the transaction PIN, the USSD and PIN settings ---
NAV_ITEMS[-1:-1] = [
    NavItem("pins-page", _("PIN"), (IsTenantUser,), "customer"),
    NavItem("pins-page", _("PIN"), (IsTenantUser,), "agent"),
    NavItem("ussd-backoffice", _("USSD and PIN"), (IsOperatorAdmin,), "back_office"),
    # Data-subject rights (tenant_apps.privacy)
    NavItem("privacy:my-data", _("My data"), (IsTenantUser,), "customer"),
    NavItem("privacy:my-data", _("My data"), (IsTenantUser,), "agent"),
]


def nav_for(request) -> list[dict]:
    """The entries this user may open; operators see the back office, others the customer pages."""
    user = request.user
    if not user.is_authenticated:
        return []
    section = "back_office" if getattr(user, "is_operator_staff", False) else \
        "agent" if getattr(user, "role", "") == "agent" else "customer"
    items = [item for item in NAV_ITEMS if item.section == section or item.url_name == "portal:profile"]
    current = request.path
    entries = []
    for item in items:
        if allowed(request, *item.permissions):
            url = reverse(item.url_name)
            entries.append({"url": url, "label": item.label, "current": current == url})
    return entries

# --- bulk top-ups (tenant_apps/portal/bulk.py): agents, and a reseller's admins in their back office ---
from tenant_apps.bulk.permissions import CanBulkTopUp, IsResellerAdmin  # noqa: E402

NAV_ITEMS[-1:-1] = [
    NavItem("portal:bulk", _("Bulk top-up"), (CanBulkTopUp,), "agent"),
    NavItem("portal:bulk", _("Bulk top-up"), (IsResellerAdmin,), "back_office"),
]
