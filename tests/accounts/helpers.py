"""Helpers shared by the accounts and KYC tests."""

from __future__ import annotations

import json
import re
from typing import Any

import requests
from django.test import Client
from django_tenants.utils import schema_context

from tests.support.tenants import TEST_PASSWORD

PASSWORD = "Lagos-sunrise-2026!"
NG_PHONE = "08031234567"
NG_PHONE_E164 = "+2348031234567"
SN_PHONE = "771234567"
GH_PHONE = "0241234567"


def call(client: Client, method: str, path: str, data: Any = None, *, token: str = "", **extra: Any):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    sender = getattr(client, method.lower())
    if method.upper() == "GET":
        return sender(path, data or {}, **headers, **extra)
    return sender(path, json.dumps(data or {}), content_type="application/json", **headers, **extra)


def outbox_code(sim_url: str, phone_e164: str) -> str:
    """The newest code texted to ``phone_e164``, read from the SMS simulator's outbox over HTTP."""
    messages = requests.get(f"{sim_url}/outbox.json", params={"to": phone_e164}, timeout=5).json()["messages"]
    assert messages, f"no SMS to {phone_e164}"
    match = re.search(r"\b(\d{6})\b", messages[0]["sms"])
    assert match, messages[0]["sms"]
    return match.group(1)


def make_user(schema: str, *, email: str, role: str = "customer", phone: str | None = None,
              verified: bool = True, password: str | None = PASSWORD):
    from django.utils import timezone

    from tenant_apps.accounts.models import User

    with schema_context(schema):
        return User.objects.create_user(
            email=email, password=password, role=role, phone=phone,
            phone_verified_at=timezone.now() if verified and phone else None,
            is_staff=role.startswith("operator") or role in ("super_admin", "analyst"))


def login(client: Client, email: str, password: str = PASSWORD) -> dict:
    response = call(client, "POST", "/api/auth/login", {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


__all__ = ["GH_PHONE", "NG_PHONE", "NG_PHONE_E164", "PASSWORD", "SN_PHONE", "TEST_PASSWORD", "call", "login",
           "make_user", "outbox_code"]
