"""Bulk top-up helpers: agents with a funded wallet, CSV files, the API."""

from __future__ import annotations

import uuid
from typing import Any

from django.test import Client
from django.test.client import encode_multipart
from django_tenants.utils import schema_context

HOSTS = {"ng": "ng.localhost", "quickvend": "quickvend.localhost", "sn": "sn.localhost"}


def new_agent(balance_minor: int, *, schema: str = "ng", role: str = "agent") -> tuple[Any, str]:
    """A phone-verified agent (or ``role``) with ``balance_minor`` in its wallet, and an access token."""
    from django.utils import timezone

    from tenant_apps.accounts.models import User
    from tenant_apps.accounts.tokens import tokens_for_user
    from tenant_apps.agents.services import add_agent
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    with schema_context(schema):
        user = User.objects.create_user(email=f"bulk-{uuid.uuid4().hex[:12]}@example.test", role=role,
                                        phone=f"+23480{uuid.uuid4().int % 10**8:08d}",  # +234819... is not valid
                                        phone_verified_at=timezone.now())
        if role == "agent":
            add_agent(user=user, parent=None)
        if balance_minor:
            fund_wallet(wallet=wallet_for(user=user), amount=balance_minor, reference=f"bulk-{uuid.uuid4().hex}")
        access, _refresh = tokens_for_user(user)
    return user, access


def mtn_numbers(count: int) -> list[str]:
    """Fresh MTN Nigeria numbers in national format (0803...)."""
    base = uuid.uuid4().int % 900
    return [f"0803{base:03d}{n:04d}" for n in range(count)]


def csv_file(rows: list[tuple[str, str, str]], *, header: bool = True) -> bytes:
    lines = (["number,product,amount"] if header else []) + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def upload(token: str, content: bytes, *, host: str = "ng.localhost", name: str = "topups.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    boundary = "BoUnDaRy"
    body = encode_multipart(boundary, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})
    return Client(HTTP_HOST=host).post("/api/bulk-topups", body,
                                       content_type=f"multipart/form-data; boundary={boundary}",
                                       HTTP_AUTHORIZATION=f"Bearer {token}")


def get(token: str, path: str, *, host: str = "ng.localhost", **extra):
    return Client(HTTP_HOST=host).get(path, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def confirm(token: str, batch_id: str, *, key: str | None = None, host: str = "ng.localhost", **body):
    import json

    return Client(HTTP_HOST=host).post(f"/api/bulk-topups/{batch_id}/confirm", json.dumps(body),
                                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
                                       HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex)
