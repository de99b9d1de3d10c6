"""The country operation's payout rails are the operation's money: a reseller brand does not reach them.

A reseller brand is an outside business with its own books (its own schema). The only real money it has at the
operation is its float, and its sales draw on it (tenant_apps.agents.sales). What its staff credit in its own
books (a top-level agent's 'money received', a wallet adjustment against suspense, a KYC tier they approve)
is not backed by anything at the operation. Bank and mobile-money payouts, their name checks, a business's
takings paid to a bank or a mobile-money wallet and remittances abroad are sent with the operation's gateway
and partner accounts (the provider registry is the country's), so on a reseller brand they would pay that
unbacked money out of the operation's balance. They are refused there (403 ``not_on_reseller_brand``),
before anything is written or any provider is called; customers of a brand cash out at its agents.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import Forbidden
from tenants.connection import current_schema
from tenants.models import Tenant, TenantKind


class NotOnResellerBrand(Forbidden):
    code = "not_on_reseller_brand"
    message = _("Payouts to bank accounts and mobile-money wallets and money sent abroad are not offered on "
                "this site. Cash out at one of its agents.")


def on_reseller_brand() -> bool:
    """Whether the schema being served is a reseller brand's (the routing middleware's row when loaded)."""
    tenant = getattr(connection, "tenant", None)
    schema = current_schema()
    if isinstance(tenant, Tenant) and tenant.pk and tenant.schema_name == schema:
        return tenant.kind == TenantKind.RESELLER_BRAND
    return Tenant.objects.filter(schema_name=schema, kind=TenantKind.RESELLER_BRAND).exists()


def operation_rails_here() -> None:
    """Raise 403 ``not_on_reseller_brand`` on a reseller brand (see the module's docstring)."""
    if on_reseller_brand():
        raise NotOnResellerBrand()
