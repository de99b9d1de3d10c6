"""USSD helpers: committed customers with a PIN, phone numbers, a phone on the gateway simulator."""

from __future__ import annotations

import uuid

from django.utils import timezone
from django_tenants.utils import schema_context

from provider_plugins.africastalking_ussd.simulator import UssdPhone

CODES = {"ng": "*384*123#", "sn": "*384*221#"}
PIN = "4071"


def customer(schema: str = "ng", *, phone: str, balance_minor: int = 0, pin: str | None = PIN,
             verified: bool = True, language: str = ""):
    """A committed customer of ``schema`` (call under ``live_db``), with a funded wallet and a PIN."""
    from tenant_apps.accounts.models import User
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.pins.services import pin_set

    with schema_context(schema):
        user = User.objects.create_user(email=f"ussd-{uuid.uuid4().hex[:12]}@example.test", role="customer",
                                        phone=phone, preferred_language=language,
                                        phone_verified_at=timezone.now() if verified else None)
        if balance_minor:
            fund_wallet(wallet=wallet_for(user=user), amount=balance_minor, reference=f"fund-{uuid.uuid4().hex}")
        if pin:
            pin_set(user=user, pin=pin)
    return user


def ng_phone() -> str:
    """A fresh MTN Nigeria number (0803...)."""
    return f"+234803{uuid.uuid4().int % 10**7:07d}"


def phone_of(gateway, user) -> UssdPhone:
    return UssdPhone(gateway.url, phone=user.phone)
