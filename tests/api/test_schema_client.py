"""A client built only from ``/api/schema/`` (tests/support/schema_client.py, operationIds, no hand-written paths)
signs a customer up, gets the wallet funded by a staff credit, buys airtime and sends a transfer on ng.localhost;
every answer on the way is checked against the schema (status documented, body valid)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from tests.accounts.helpers import PASSWORD, make_user, outbox_code
from tests.support.schema_client import SchemaClient

pytestmark = pytest.mark.django_db

HOST = "ng.localhost"


def _transport(client: Client):
    def send(method: str, path: str, query: dict, headers: dict, body):
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        if method == "GET":
            response = client.get(path, query, **extra)
        else:
            response = client.generic(method, path + (f"?{query}" if query else ""),
                                      json.dumps(body) if body is not None else b"",
                                      content_type="application/json", **extra)
        return response.status_code, response.get("Content-Type", ""), response.content

    return send


def test_a_schema_built_client_signs_up_funds_buys_and_transfers(sms_simulator, inproc_stack):
    http = Client(HTTP_HOST=HOST)
    schema = http.get("/api/schema/", {"format": "json"}).json()
    customer = SchemaClient(schema, _transport(http))

    tag = uuid.uuid4().hex[:8]
    phone_local = f"0803{int(tag, 16) % 10**7:07d}"
    registered = customer.call("auth_register_create", body={"email": f"client-{tag}@example.test",
                                                             "phone": phone_local, "password": PASSWORD})
    assert registered.status == 201
    user = registered.body["user"]
    code = outbox_code(sms_simulator.url, user["phone"])
    verified = customer.call("auth_otp_create", body={"phone": phone_local, "code": code})
    assert verified.status == 200 and verified.body["user"]["phone_verified"] is True
    customer.token = verified.body["access"]

    # Funding: operator finance credits the new wallet through the API (money-moving: Idempotency-Key).
    make_user("ng", email=f"client-finance-{tag}@example.test", role="operator_finance")
    staff = SchemaClient(schema, _transport(Client(HTTP_HOST=HOST)))
    staff.token = staff.call("auth_login_create", body={"email": f"client-finance-{tag}@example.test",
                                                        "password": PASSWORD}).body["access"]
    credit = staff.call("wallet_adjustments_create", body={"user": user["id"], "amount": "500.00",
                                                           "reason": "schema client test funding"})
    assert credit.status == 201 and credit.body["amount"] == "500.00"
    assert available(customer) == "500.00"

    # A purchase: the product from the listing, bought; its receipt and the paged history.
    product_id = inproc_stack.products["vt_airtime"].pk
    listing = customer.call("products_list", query={"type": "airtime", "provider": str(
        inproc_stack.vtpass_provider.pk)})
    assert product_id in [row["id"] for row in listing.body["results"]]
    bought = customer.call("purchase_create", body={"product_id": product_id, "recipient_phone": inproc_stack.phone(),
                                                    "amount": "100.00"})
    assert bought.status == 202, bought.body
    assert customer.call("purchases_retrieve", path={"public_id": bought.body["id"]}).body["id"] == bought.body["id"]
    history = customer.call("purchases_list")
    assert [row["id"] for row in history.body["results"]] == [bought.body["id"]]

    # A transfer to another customer of the tenant.
    friend_phone = f"+234803{(int(tag, 16) + 1) % 10**7:07d}"
    make_user("ng", email=f"client-friend-{tag}@example.test", phone=friend_phone)
    sent = customer.call("transfers_create", body={"type": "p2p", "recipient": friend_phone, "amount": "50.00"})
    assert sent.status == 201, sent.body
    assert customer.call("transfers_retrieve", path={"public_id": sent.body["id"]}).status == 200
    assert customer.call("transfers_list").body["count"] == 1

    # 500.00 - 50.00 sent - the airtime's price (held, or settled): what the statement shows too.
    assert Decimal(available(customer)) == Decimal("450.00") - Decimal(bought.body["price"])
    statement = customer.call("wallet_transactions_list")
    assert statement.body["count"] >= 2
    csv = customer.call("wallet_transactions_list", query={"format": "csv"})
    assert csv.content_type == "text/csv" and b"50.00" in csv.body


def available(client: SchemaClient) -> str:
    wallet = client.call("wallet_retrieve").body
    return next(row["available"] for row in wallet["wallets"] if row["currency"] == wallet["default_currency"])
