"""A bad item in a list field is reported in words, never as a Python repr of DRF's error objects.

Found from outside: ``POST /api/resellers/api-keys`` with ``"scopes": ["read", "superuser"]`` answered 400 with
``fields.scopes == ["{1: [ErrorDetail(string='\\"superuser\\" is not a valid choice.', code='invalid_choice')]}"]``:
the error handler stringified DRF's nested error dict (list items and nested objects report their errors keyed by
index or name). The message showed the framework's internals and was useless to a client. Now every field carries
plain messages, each prefixed by the item it is about.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from tests.security.inputs import error_of, person

pytestmark = pytest.mark.django_db

REPR_MARKERS = ("ErrorDetail", "code=", "string=", "{")


@pytest.fixture
def admins(db):
    return {"quickvend": person("quickvend", "operator_admin").token, "ng": person("ng", "operator_admin").token}


CASES = [  # (host, path, body, field, what the item's message must say)
    ("quickvend", "/api/resellers/api-keys", {"name": "k", "scopes": ["read", "superuser"]}, "scopes",
     "[1] \"superuser\" is not a valid choice."),
    ("quickvend", "/api/resellers/webhooks", {"url": "https://hooks.example.com/nx",
                                              "events": ["order.settled", "x" * 41]}, "events",
     "[1] Ensure this field has no more than 40 characters."),
    ("ng", "/api/risk/rules", {"name": "r", "rule_type": "amount_above", "action": "hold",
                               "flows": ["p2p", "not-a-flow"]}, "flows",
     "[1] \"not-a-flow\" is not a valid choice."),
]


@pytest.mark.parametrize(("host", "path", "body", "field", "expected"), CASES, ids=[case[1] for case in CASES])
def test_a_bad_list_item_is_reported_in_words(admins, host, path, body, field, expected):
    response = Client(HTTP_HOST=f"{host}.localhost").post(
        path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {admins[host]}",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["fields"][field] == [expected]
    messages = [message for field_messages in error["fields"].values() for message in field_messages]
    assert not [marker for marker in REPR_MARKERS for message in messages if marker in message], messages


def test_nested_errors_flatten_to_messages():
    from rest_framework.exceptions import ErrorDetail

    from shared_apps.core.errors import _flatten_fields

    detail = {"scopes": {0: [ErrorDetail("Bad one.", code="invalid_choice")],
                         2: [ErrorDetail("Bad two.", code="invalid_choice")]},
              "recipient": {"phone": [ErrorDetail("Enter a phone number.", code="invalid")]},
              "amount": [ErrorDetail("The amount is not valid.", code="invalid_amount")],
              "rows": [{}, {"msisdn": [ErrorDetail("Too short.", code="invalid")]}]}
    assert _flatten_fields(detail) == {"scopes": ["[0] Bad one.", "[2] Bad two."],
                                       "recipient": ["phone: Enter a phone number."],
                                       "amount": ["The amount is not valid."],
                                       "rows": ["[1] msisdn: Too short."]}
