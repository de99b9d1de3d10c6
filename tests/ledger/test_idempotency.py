"""Idempotency-Key on a real money-moving DRF endpoint (POST /api/wallet/adjustments)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenant_apps.idempotency.models import IdempotencyKey, KeyState
from tenant_apps.idempotency.services import _lock_id
from tenant_apps.ledger.models import JournalEntry
from tenant_apps.ledger.selectors import account_balance
from tenant_apps.ledger.services import wallet_for
from tests.ledger.helpers import new_user

pytestmark = pytest.mark.django_db

URL = "/api/wallet/adjustments"


@pytest.fixture
def people(ng):
    return new_user(role="operator_finance", prefix="finance"), new_user(prefix="customer")


def client_for(user) -> APIClient:
    client = APIClient(HTTP_HOST="ng.localhost")
    client.force_authenticate(user=user)
    return client


def post(client: APIClient, body: dict, key: str | None):
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, body, format="json", **headers)


def adjustments_for(reason: str) -> int:
    with schema_context("ng"):
        return JournalEntry.objects.filter(entry_type="adjustment", metadata__reason=reason).count()


def test_missing_key_is_refused_and_nothing_moves(people):
    finance, customer = people
    response = post(client_for(finance), {"user": str(customer.public_id), "amount": "10.00", "reason": "r"}, None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"
    assert adjustments_for("r") == 0


def test_first_call_moves_money_and_replay_returns_the_stored_response(people):
    finance, customer = people
    client = client_for(finance)
    body = {"user": str(customer.public_id), "amount": "25.50", "reason": f"replay-{uuid.uuid4()}"}
    key = str(uuid.uuid4())
    first = post(client, body, key)
    assert first.status_code == 201, first.json()
    assert "Idempotency-Replayed" not in first.headers
    again = post(client, body, key)
    assert again.status_code == 201
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert adjustments_for(body["reason"]) == 1
    with schema_context("ng"):
        assert account_balance(account=wallet_for(user=customer, currency="NGN")) == 2_550
        row = IdempotencyKey.objects.get(user=finance, key=key)
        assert (row.state, row.response_status, row.method, row.path) == (KeyState.COMPLETED, 201, "POST", URL)


def test_same_key_with_another_body_is_refused(people):
    finance, customer = people
    client = client_for(finance)
    key = str(uuid.uuid4())
    reason = f"reuse-{uuid.uuid4()}"
    assert post(client, {"user": str(customer.public_id), "amount": "1.00", "reason": reason}, key).status_code == 201
    other = post(client, {"user": str(customer.public_id), "amount": "2.00", "reason": reason}, key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert adjustments_for(reason) == 1


def test_key_order_and_whitespace_in_the_body_do_not_matter(people):
    finance, customer = people
    client = client_for(finance)
    key = str(uuid.uuid4())
    reason = f"canon-{uuid.uuid4()}"
    raw_a = f'{{"user": "{customer.public_id}", "amount": "1.00", "reason": "{reason}"}}'
    raw_b = f'{{"reason":"{reason}","amount":"1.00","user":"{customer.public_id}"}}'
    first = client.post(URL, raw_a, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    second = client.post(URL, raw_b, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotency-Replayed"] == "true"
    assert adjustments_for(reason) == 1


def test_keys_are_per_user(people):
    finance, customer = people
    other_finance = new_user(role="operator_finance", prefix="finance")
    key = str(uuid.uuid4())
    reason = f"peruser-{uuid.uuid4()}"
    body = {"user": str(customer.public_id), "amount": "1.00", "reason": reason}
    assert post(client_for(finance), body, key).status_code == 201
    second = post(client_for(other_finance), body, key)
    assert second.status_code == 201 and "Idempotency-Replayed" not in second.headers
    assert adjustments_for(reason) == 2


def test_a_failed_request_stores_nothing_and_can_be_retried_with_the_same_key(people):
    finance, customer = people
    client = client_for(finance)
    key = str(uuid.uuid4())
    reason = f"retry-{uuid.uuid4()}"
    debit = {"user": str(customer.public_id), "amount": "-5.00", "reason": reason}
    refused = post(client, debit, key)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "insufficient_funds"
    with schema_context("ng"):
        assert not IdempotencyKey.objects.filter(user=finance, key=key).exists()
    assert post(client, {"user": str(customer.public_id), "amount": "9.00", "reason": "top up"},
                str(uuid.uuid4())).status_code == 201
    retried = post(client, debit, key)
    assert retried.status_code == 201 and "Idempotency-Replayed" not in retried.headers
    with schema_context("ng"):
        assert account_balance(account=wallet_for(user=customer, currency="NGN")) == 400


def test_duplicate_while_the_first_is_in_flight_gets_409(people):
    """Another session holds the key's lock (as a running first request does): the twin is refused at once."""
    finance, customer = people
    key = str(uuid.uuid4())
    with schema_context("ng"):
        lock_id = _lock_id(finance.pk, key)
    settings_dict = connection.settings_dict
    with psycopg.connect(host=settings_dict["HOST"] or "127.0.0.1", port=settings_dict["PORT"] or 5432,
                         user=settings_dict["USER"], dbname=settings_dict["NAME"], autocommit=False) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
        response = post(client_for(finance), {"user": str(customer.public_id), "amount": "1.00", "reason": "x"}, key)
        other.rollback()
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_flight"


def test_only_operator_finance_may_adjust(people):
    _, customer = people
    response = post(client_for(customer), {"user": str(customer.public_id), "amount": "1.00", "reason": "me"},
                    str(uuid.uuid4()))
    assert response.status_code == 403
    anonymous = APIClient(HTTP_HOST="ng.localhost").post(URL, {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert anonymous.status_code in (401, 403)


def test_bad_input_is_a_4xx_with_a_stable_code(people):
    finance, customer = people
    client = client_for(finance)
    too_precise = post(client, {"user": str(customer.public_id), "amount": "1.001", "reason": "r"}, "k1")
    assert (too_precise.status_code, too_precise.json()["error"]["code"]) == (400, "invalid_amount")
    unknown = post(client, {"user": str(uuid.uuid4()), "amount": "1.00", "reason": "r"}, "k2")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_user")
    bad_key = post(client, {"user": str(customer.public_id), "amount": "1.00", "reason": "r"}, "x" * 300)
    assert (bad_key.status_code, bad_key.json()["error"]["code"]) == (400, "idempotency_key_invalid")


def test_old_completed_keys_are_purged_and_then_the_key_is_new_again(people):
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.idempotency.tasks import purge_idempotency_keys_task

    finance, customer = people
    client = client_for(finance)
    key = str(uuid.uuid4())
    reason = f"purge-{uuid.uuid4()}"
    body = {"user": str(customer.public_id), "amount": "1.00", "reason": reason}
    assert post(client, body, key).status_code == 201
    with schema_context("ng"):
        IdempotencyKey.objects.filter(user=finance, key=key).update(completed_at=timezone.now() - timedelta(days=4))
    assert purge_idempotency_keys_task.apply().get()["ng"] >= 1
    with schema_context("ng"):
        assert not IdempotencyKey.objects.filter(user=finance, key=key).exists()
    again = post(client, body, key)
    assert again.status_code == 201 and "Idempotency-Replayed" not in again.headers
    assert adjustments_for(reason) == 2
