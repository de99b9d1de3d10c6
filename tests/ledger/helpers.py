"""Helpers for the ledger, idempotency and wallet-service tests."""

from __future__ import annotations

import uuid


def new_user(*, role: str = "customer", prefix: str = "ledger"):
    from tenant_apps.accounts.models import User

    return User.objects.create_user(email=f"{prefix}-{uuid.uuid4().hex[:12]}@example.test", role=role)
