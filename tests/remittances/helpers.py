"""Remittance helpers: settings pointing at the rate and sanctions simulators, a corridor, funded customers,
the API and the books (real schemas)."""

from __future__ import annotations

import uuid

from django_tenants.utils import schema_context

from tests.wallet.helpers import assert_books_balance, client_for, new_customer, post


def remit_settings(settings, oxr, sanctions_sim, *, nested: bool = True) -> None:
    settings.REMITTANCE_RATE_SOURCE = {"ENABLED": True, "PLUGIN": "openexchangerates", "BASE_URL": oxr.url,
                                       "CREDENTIALS": {"app_id": oxr.app_id}, "TIMEOUT_SECONDS": 5.0}
    settings.REMITTANCE_SANCTIONS = {"ENABLED": True, "PLUGIN": "opensanctions", "BASE_URL": sanctions_sim.url,
                                     "CREDENTIALS": {"api_key": sanctions_sim.api_key}, "TIMEOUT_SECONDS": 5.0}
    # Tests run inside one rolled-back transaction: the steps' schema switches happen inside it (one cluster).
    settings.REMITTANCE_ALLOW_NESTED_SCHEMAS = nested
    settings.REMITTANCE_SMS_NOTIFICATIONS = False
    settings.WALLET_SMS_NOTIFICATIONS = False


def open_corridor(schema: str, country: str, *, margin_bps: int = 150, fee_bps: int = 100,
                  fee_fixed_minor: int = 10_000):
    from tenant_apps.remittances.models import Corridor

    with schema_context(schema):
        Corridor.objects.update_or_create(destination_country=country, defaults={
            "margin_bps": margin_bps, "fee_bps": fee_bps, "fee_fixed_minor": fee_fixed_minor, "active": True})


def funded(schema: str = "ng", amount: int = 1_500_000):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    user = new_customer(schema)
    if amount:
        with schema_context(schema):
            fund_wallet(wallet=wallet_for(user=user), amount=amount, reference=f"test-fund:{uuid.uuid4()}")
    return user


def quote(sender, *, amount: str = "5000.00", country: str = "GH", method: str = "wallet", recipient_phone: str = "",
          recipient_name: str = "Kofi Mensah", schema: str = "ng", **extra):
    body = {"destination_country": country, "amount": amount, "method": method, "sender_name": "Ada Obi",
            "recipient_name": recipient_name, "recipient_phone": recipient_phone, **extra}
    return post(client_for(sender, schema), "/api/remittances/quotes", body, key=None)


def send(sender, quote_id: str, *, key: str = "auto", schema: str = "ng"):
    return post(client_for(sender, schema), "/api/remittances", {"quote": quote_id}, key=key)


def advance(public_id: str, schema: str = "ng") -> str:
    from tenant_apps.remittances.services import remittance_advance

    with schema_context(schema):
        return remittance_advance(public_id=public_id)


def remittance(public_id: str, schema: str = "ng"):
    from tenant_apps.remittances.models import Remittance

    with schema_context(schema):
        return Remittance.objects.select_related("hold").get(public_id=public_id)


def system_balance(kind: str, currency: str, schema: str) -> int:
    from tenant_apps.ledger.selectors import system_balance as balance

    with schema_context(schema):
        return balance(kind=kind, currency=currency)


def assert_reconciled(*schemas: str) -> None:
    """Both tenants' books (reconcile_ledger's checks, the remittance side included) and the hub's."""
    from shared_apps.remittance_hub.selectors import hub_discrepancies

    assert_books_balance(*(schemas or ("ng", "gh")))
    with schema_context("public"):
        assert hub_discrepancies() == []
