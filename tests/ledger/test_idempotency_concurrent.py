"""The same Idempotency-Key fired 20 times at once: one journal entry, everyone else 409 or a replay."""

from __future__ import annotations

import uuid

from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenant_apps.ledger.models import JournalEntry
from tenant_apps.ledger.selectors import account_balance
from tenant_apps.ledger.services import wallet_for
from tests.ledger.helpers import new_user
from tests.support.concurrency import run_concurrently


def test_same_key_fired_concurrently_20_times_posts_one_entry(live_db):
    with schema_context("ng"):
        finance = new_user(role="operator_finance", prefix="finance")
        customer = new_user(prefix="customer")
    key = str(uuid.uuid4())
    reason = f"concurrent-{uuid.uuid4()}"
    body = {"user": str(customer.public_id), "amount": "100.00", "reason": reason}

    def fire(i: int):
        client = APIClient(HTTP_HOST="ng.localhost")
        client.force_authenticate(user=finance)
        response = client.post("/api/wallet/adjustments", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        return response.status_code, response.headers.get("Idempotency-Replayed"), response.json()

    results = run_concurrently(20, fire)
    answers = [r for r in results if isinstance(r, tuple)]
    assert len(answers) == len(results), results
    statuses = [status for status, _, _ in answers]
    fresh = [r for r in answers if r[0] == 201 and r[1] is None]
    replays = [r for r in answers if r[0] == 201 and r[1] == "true"]
    in_flight = [r for r in answers if r[0] == 409]
    assert len(fresh) == 1, statuses
    assert len(fresh) + len(replays) + len(in_flight) == 20, statuses
    assert all(r[2] == fresh[0][2] for r in replays)
    assert all(r[2]["error"]["code"] == "idempotency_in_flight" for r in in_flight)
    with schema_context("ng"):
        assert JournalEntry.objects.filter(entry_type="adjustment", metadata__reason=reason).count() == 1
        assert account_balance(account=wallet_for(user=customer, currency="NGN")) == 10_000
