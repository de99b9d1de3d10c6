"""GET /api/wallet and GET /api/wallet/transactions (JSON pages, filters, CSV)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.services import (
    fund_wallet,
    place_hold,
    release_hold,
    settle_hold,
    system_account,
    transfer,
    wallet_for,
)
from tests.ledger.helpers import new_user

pytestmark = pytest.mark.django_db


def client_for(user, host: str = "ng.localhost") -> APIClient:
    client = APIClient(HTTP_HOST=host)
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def customer(ng):
    """A wallet with: funding 500.00, a transfer out 120.00, a pending hold 30.00, a released hold 10.00,
    a settled hold 5.00 (available 500 - 120 - 30 - 5 = 345.00)."""
    user = new_user()
    wallet = wallet_for(user=user, currency="NGN")
    fund_wallet(wallet=wallet, amount=50_000, reference=f"fund-{uuid.uuid4()}")
    transfer(source=wallet, destination=wallet_for(user=new_user(), currency="NGN"), amount=12_000,
             reference=f"p2p-{uuid.uuid4()}")
    place_hold(wallet=wallet, amount=3_000, reference=f"pending-{uuid.uuid4()}")
    release_hold(hold=place_hold(wallet=wallet, amount=1_000, reference=f"released-{uuid.uuid4()}"))
    settle_hold(hold=place_hold(wallet=wallet, amount=500, reference=f"settled-{uuid.uuid4()}"),
                to_account=system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="NGN"))
    return user


def test_wallet_shows_available_and_on_hold(customer):
    response = client_for(customer).get("/api/wallet")
    assert response.status_code == 200
    assert response.json() == {"default_currency": "NGN", "wallets": [
        {"currency": "NGN", "kind": "user_wallet", "available": "345.00", "on_hold": "30.00"}]}


def test_wallet_of_a_new_user_is_zero_in_the_tenant_currency_without_creating_one(db):
    with schema_context("sn"):
        user = new_user()
    response = client_for(user, "sn.localhost").get("/api/wallet")
    assert response.json()["wallets"] == [{"currency": "XOF", "kind": "user_wallet", "available": "0", "on_hold": "0"}]
    with schema_context("sn"):
        assert wallet_for(user=user, create=False) is None


def test_wallet_needs_authentication(db):
    assert APIClient(HTTP_HOST="ng.localhost").get("/api/wallet").status_code in (401, 403)
    assert APIClient(HTTP_HOST="ng.localhost").get("/api/wallet/transactions").status_code in (401, 403)


def test_statement_lists_postings_newest_first_with_status(customer):
    body = client_for(customer).get("/api/wallet/transactions").json()
    # A full settle moves holds -> provider only: no wallet line, so 6 lines.
    assert body["count"] == 6
    rows = body["results"]
    by_type: dict[str, list] = {}
    for row in rows:
        by_type.setdefault(row["type"], []).append((row["status"], row["amount"], row["direction"]))
    assert by_type["funding"] == [("completed", "500.00", "credit")]
    assert by_type["transfer"] == [("completed", "-120.00", "debit")]
    assert sorted(by_type["hold_place"]) == [("completed", "-5.00", "debit"), ("pending", "-30.00", "debit"),
                                             ("released", "-10.00", "debit")]
    assert by_type["hold_release"] == [("completed", "10.00", "credit")]
    assert rows[-1]["type"] == "funding"
    ids = [r["id"] for r in rows]
    assert ids == sorted(ids, reverse=True)


def test_statement_filters_and_pagination(customer):
    client = client_for(customer)
    pending = client.get("/api/wallet/transactions", {"status": "pending"}).json()
    assert [(r["type"], r["amount"]) for r in pending["results"]] == [("hold_place", "-30.00")]
    assert client.get("/api/wallet/transactions", {"type": "funding"}).json()["count"] == 1
    today = timezone.now().date()
    assert client.get("/api/wallet/transactions", {"date_from": today.isoformat()}).json()["count"] == 6
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert client.get("/api/wallet/transactions", {"date_from": tomorrow}).json()["count"] == 0
    assert client.get("/api/wallet/transactions", {"date_to": (today - timedelta(days=1)).isoformat()}
                      ).json()["count"] == 0
    first = client.get("/api/wallet/transactions", {"page_size": 4}).json()
    second = client.get("/api/wallet/transactions", {"page_size": 4, "page": 2}).json()
    assert (second["count"], len(first["results"]), len(second["results"])) == (6, 4, 2)
    assert first["next"] and not second["next"]
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    bad = client.get("/api/wallet/transactions", {"status": "bogus"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"
    inverted = client.get("/api/wallet/transactions", {"date_from": tomorrow, "date_to": today.isoformat()})
    assert inverted.status_code == 400


def test_statement_only_shows_the_users_own_wallet(customer):
    stranger = new_user()
    assert client_for(stranger).get("/api/wallet/transactions").json()["count"] == 0


def test_statement_csv_export(customer):
    response = client_for(customer).get("/api/wallet/transactions", {"format": "csv", "type": "hold_place"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 3
    assert set(rows[0]) == {"id", "created_at", "type", "type_label", "status", "reference", "direction", "amount",
                            "currency"}
    assert {r["type_label"] for r in rows} == {"Payment (held)"}
    assert sorted(r["amount"] for r in rows) == ["-10.00", "-30.00", "-5.00"]
