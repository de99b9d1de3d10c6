"""Helpers for the risk tests: rules, people, API calls with device and step-up headers."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import requests
from django.test import Client
from django_tenants.utils import schema_context


def make_rule(schema: str = "ng", **fields: Any):
    """A rule through the services' validation (the API's and the back office's)."""
    from tenant_apps.risk.models import RiskRule
    from tenant_apps.risk.services import clean_rule

    fields.setdefault("name", f"rule-{uuid.uuid4().hex[:6]}")
    with schema_context(schema):
        return RiskRule.objects.create(**clean_rule(fields))


def person(role: str = "customer", *, schema: str = "ng", balance: int = 0) -> tuple[Any, str]:
    from django.utils import timezone

    from tenant_apps.accounts.models import User
    from tenant_apps.accounts.tokens import tokens_for_user
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    with schema_context(schema):
        prefix = {"ng": "+234803", "sn": "+22177", "gh": "+23324"}[schema]  # a real network's prefix
        user = User.objects.create_user(email=f"{role}-{uuid.uuid4().hex[:10]}@example.test", role=role,
                                        phone=f"{prefix}{uuid.uuid4().int % 10**7:07d}",
                                        phone_verified_at=timezone.now(), is_staff=role.startswith("operator"))
        if balance:
            fund_wallet(wallet=wallet_for(user=user), amount=balance, reference=f"fund-{uuid.uuid4().hex}")
        return user, tokens_for_user(user)[0]


def page_client(user, host: str = "ng.localhost") -> Client:
    """A page client signed in as ``user`` on ``host``'s tenant (the portal's session, bound to its schema)."""
    from tenant_apps.portal.access import SESSION_SCHEMA_KEY

    schema = host.split(".")[0]
    client = Client(HTTP_HOST=host)
    with schema_context(schema):
        client.force_login(user)
        session = client.session
        session[SESSION_SCHEMA_KEY] = schema
        session.save()
    return client


def call(method: str, path: str, token: str = "", data: Any = None, *, key: str | None = None,
         host: str = "ng.localhost", device: str | None = None, step_up: str | None = None, client=None):
    client = client or Client(HTTP_HOST=host)
    headers: dict[str, str] = {}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if device is not None:
        headers["HTTP_X_DEVICE_ID"] = device
    if step_up:
        headers["HTTP_X_STEP_UP"] = step_up
    if method == "GET":
        return client.get(path, data or {}, **headers)
    if (method == "POST" and path in MONEY_PATHS) or path.endswith(("/release", "/reject")):
        headers["HTTP_IDEMPOTENCY_KEY"] = key or uuid.uuid4().hex
    sender = getattr(client, method.lower())
    return sender(path, json.dumps(data or {}), content_type="application/json", **headers)


MONEY_PATHS = {"/api/purchase", "/api/transfers", "/api/cash/withdrawal-codes", "/api/cash/in", "/api/wallet/fund",
               "/api/subscriptions"}


def buy(token: str, product, phone: str, amount: str = "50.00", *, again: bool = False, **kwargs):
    """POST /api/purchase (``again``: confirm a repeat of a recent purchase, past the duplicate guard)."""
    body = {"product_id": product.pk, "recipient_phone": phone, "amount": amount}
    if again:
        body["confirm_duplicate"] = True
    return call("POST", "/api/purchase", token, body, **kwargs)


def send_p2p(token: str, recipient: str, amount: str, **kwargs):
    return call("POST", "/api/transfers", token, {"type": "p2p", "recipient": recipient, "amount": amount}, **kwargs)


def sms_code(stack, phone: str) -> str:
    """The newest code texted to ``phone`` (the SMS simulator's outbox over HTTP)."""
    messages = requests.get(f"{stack.sms.url}/outbox.json", params={"to": phone}, timeout=5).json()["messages"]
    assert messages, f"no SMS to {phone}"
    match = re.search(r"\b(\d{6})\b", messages[0]["sms"])
    assert match, messages[0]["sms"]
    return match.group(1)


def decisions(schema: str = "ng", **filters: Any) -> list:
    from tenant_apps.risk.models import RiskDecision

    with schema_context(schema):
        return list(RiskDecision.objects.filter(**filters).order_by("id"))


def error(response) -> dict:
    return response.json()["error"]
