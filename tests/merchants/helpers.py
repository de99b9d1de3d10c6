"""Merchant helpers: funded customers, an approved business, balances (real schemas)."""

from __future__ import annotations

import uuid

from django_tenants.utils import schema_context

from tests.wallet.helpers import new_customer


def funded(amount: int = 1_000_000, schema: str = "ng", **kwargs):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    user = new_customer(schema, **kwargs)
    with schema_context(schema):
        fund_wallet(wallet=wallet_for(user=user), amount=amount, reference=f"test-fund:{uuid.uuid4()}")
    return user


def staff(schema: str = "ng", role: str = "operator_support"):
    return new_customer(schema, role=role)


def open_business(schema: str = "ng", *, owner=None, category: str = "groceries", approve: bool = True,
                  name: str = "Mama Put Kitchen", settlement=None):
    """A business registered through the service (and approved by an operator unless ``approve=False``)."""
    from tenant_apps.merchants import services
    from tenant_apps.merchants.models import Merchant

    owner = owner or new_customer(schema)
    with schema_context(schema):
        merchant = services.merchant_register(owner=owner, business_name=name, category_code=category, city="Lagos",
                                              address="12 Broad Street, Lagos Island", settlement=settlement)
        if approve:
            merchant = services.merchant_decide(reviewer=staff(schema), merchant=merchant, action="approve")
        # Loaded with what tests read outside the schema (a lazy FK there would look in public).
        return Merchant.objects.select_related("owner", "account", "category").get(pk=merchant.pk)


def balances(*users, schema: str = "ng") -> list[int]:
    from tenant_apps.ledger.services import wallet_for

    with schema_context(schema):
        return [wallet_for(user=user).wallet_balance for user in users]


def takings(merchant, schema: str = "ng") -> int:
    from tenant_apps.ledger.models import Account

    with schema_context(schema):
        return Account.objects.get(pk=merchant.account_id).wallet_balance


def revenue(schema: str = "ng") -> int:
    from tenant_apps.ledger.models import AccountKind
    from tenant_apps.ledger.selectors import system_balance

    with schema_context(schema):
        return system_balance(kind=AccountKind.REVENUE, currency={"ng": "NGN", "gh": "GHS", "sn": "XOF"}[schema])
