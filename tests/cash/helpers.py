"""Helpers for agent cash-in / cash-out (and PIN and USSD tests): agents with a float in a tree, customers."""

from __future__ import annotations

import json
import random
import re
import uuid
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient


def phone() -> str:
    return "+234803" + "".join(random.choices("0123456789", k=7))


def new_user(role: str = "customer", *, verified: bool = True):
    from tenant_apps.accounts.models import User

    with schema_context("ng"):
        return User.objects.create_user(email=f"cash-{uuid.uuid4().hex[:12]}@example.test", role=role, phone=phone(),
                                        phone_verified_at=timezone.now() if verified else None)


def new_agent(*, float_minor: int = 0, parent=None):
    """An agent user in the tree (under ``parent``, an Agent row) with ``float_minor`` in its wallet."""
    from tenant_apps.agents.services import add_agent
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    user = new_user("agent")
    with schema_context("ng"):
        row = add_agent(user=user, parent=parent)
        if float_minor:
            fund_wallet(wallet=wallet_for(user=user), amount=float_minor, reference=f"test-float:{uuid.uuid4()}")
    return user, row


def client_for(user) -> APIClient:
    client = APIClient(HTTP_HOST="ng.localhost")
    client.force_authenticate(user=user)
    return client


def post(user, path: str, data: dict | None = None, *, key: str | None = "auto"):
    headers: dict[str, Any] = {}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = uuid.uuid4().hex if key == "auto" else key
    return client_for(user).post(path, json.dumps(data or {}), content_type="application/json", **headers)


def balance(user) -> int:
    from tenant_apps.ledger.services import wallet_for

    with schema_context("ng"):
        wallet = wallet_for(user=user, create=False)
        return wallet.wallet_balance if wallet else 0


def last_code(sms, user) -> str:
    """The confirmation code the customer received by SMS (the simulator's outbox)."""
    [message, *_] = sms.messages(to=user.phone)
    found = re.search(r"\b(\d{6})\b", message["sms"])
    assert found, message
    return found.group(1)


def error_code(response) -> str:
    return response.json()["error"]["code"]
