"""Buyers for the fault-injection harness and the purchase tests: a phone-verified customer with a funded wallet."""

from __future__ import annotations

import uuid
from typing import Any

from django_tenants.utils import schema_context


def new_buyer(balance_minor: int, *, schema: str = "ng", phone: str | None = None) -> tuple[Any, str]:
    """A phone-verified customer with ``balance_minor`` in the wallet, and an access token."""
    from django.utils import timezone

    from tenant_apps.accounts.models import User
    from tenant_apps.accounts.tokens import tokens_for_user
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    with schema_context(schema):
        user = User.objects.create_user(email=f"buyer-{uuid.uuid4().hex[:12]}@example.test", role="customer",
                                        phone=phone or f"+234803{uuid.uuid4().int % 10**7:07d}",  # valid (MTN NG)
                                        phone_verified_at=timezone.now())
        if balance_minor:
            fund_wallet(wallet=wallet_for(user=user), amount=balance_minor, reference=f"fund-{uuid.uuid4().hex}")
        access, _refresh = tokens_for_user(user)
    return user, access
