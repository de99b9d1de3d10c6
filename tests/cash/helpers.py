"""Helpers for agent cash-in / cash-out (and PIN and USSD tests): agents with a float in a tree, customers."""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from typing import Any

from django.db import connection
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


def first_copy_and_its_waiting_twin(*, monkeypatch, services: Any, step: str, table: str, agent, path: str,
                                    body: dict, key: str) -> tuple[Any, Any, bool]:
    """Two copies of one request (same key and body) on committed data, in two threads: the first copy's money
    step (``services.<step>``) holds its locks, uncommitted, until the twin is seen in ``pg_stat_activity``
    waiting on a row lock of ``table`` (its check, before the money step). Returns both answers (a response, or
    the exception its thread met) and whether the twin was seen waiting."""
    settled, twin_waits = threading.Event(), threading.Event()
    complete = getattr(services, step)

    def first_copy_holds_its_locks(**kwargs):
        row = complete(**kwargs)
        if not settled.is_set():
            settled.set()
            assert twin_waits.wait(timeout=30), f"the twin never waited on a lock of {table}"
        return row

    monkeypatch.setattr(services, step, first_copy_holds_its_locks)
    answers: dict[str, Any] = {}

    def send(name: str) -> None:
        try:
            with schema_context("ng"):
                answers[name] = post(agent, path, body, key=key)
        except Exception as exc:  # the caller asserts on it
            answers[name] = exc
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert settled.wait(timeout=30), answers
    twin = threading.Thread(target=send, args=("twin",))
    twin.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not twin_waits.is_set():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND query LIKE %s", [f'SELECT "{table}".%'])
            if cursor.fetchone():
                twin_waits.set()
        time.sleep(0.02)
    waited = twin_waits.is_set()
    twin_waits.set()  # release the first copy whatever happened (the caller's assertions say what)
    first.join(timeout=60)
    twin.join(timeout=60)
    assert not first.is_alive() and not twin.is_alive()
    return answers["first"], answers["twin"], waited


def funded_customer(amount: int = 1_000_000):
    """A customer of ng whose wallet holds ``amount``."""
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    customer = new_user()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=customer), amount=amount, reference=f"t:{customer.pk}")
    return customer
