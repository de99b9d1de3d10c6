"""OneCall.payload: the stored answer's body goes to purchase_accept as JSON; a body of JSON's own types is passed
as it is (issue 18: the purchase's order_json), anything else through its JSON round trip, and either way the
payload serialises to the same text."""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from hypothesis import given, settings
from hypothesis import strategies as st

from tenant_apps.idempotency import services
from tenant_apps.idempotency.services import Fingerprint, OneCall, StoredResponse


class Status(enum.StrEnum):
    HELD = "held"


class Level(enum.IntEnum):
    ONE = 1


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                    st.sampled_from([Status.HELD, Level.ONE]))
ODD = st.sampled_from([decimal.Decimal("1.50"), datetime.date(2026, 12, 7), uuid.UUID(int=7), (1, 2)])
BODIES = st.recursive(st.one_of(SCALARS, ODD), lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3),
    st.dictionaries(st.integers(0, 9), inner, max_size=2)), max_leaves=10)


def _payload(body) -> dict:
    once = OneCall(user_id=7, key="key", fingerprint=Fingerprint("POST", "/api/purchase", "hash"))
    return once.payload(StoredResponse(202, body, {"Location": "/x", "X-Other": "no"}))


@settings(max_examples=300, deadline=None)
@given(body=BODIES)
def test_the_payload_serialises_as_with_the_round_trip(body):
    mine = json.dumps(_payload(body), cls=DjangoJSONEncoder)
    expected = json.dumps(json.loads(json.dumps(body, cls=DjangoJSONEncoder)), cls=DjangoJSONEncoder)
    assert json.loads(mine)["body"] == json.loads(expected)
    assert json.dumps(json.loads(mine)["body"]) == json.dumps(json.loads(expected))


def test_a_json_body_is_passed_as_it_is_others_are_converted(monkeypatch):
    body = {"id": "x", "status": Status.HELD, "price": "1.00", "taxes": [{"rate_bps": 750, "included": True}],
            "completed_at": None, "rate": 0.5}
    assert _payload(body)["body"] is body
    converted = _payload({"amount": decimal.Decimal("1.50"), "on": datetime.date(2026, 12, 7), "pair": (1, 2)})
    assert converted["body"] == {"amount": "1.50", "on": "2026-12-07", "pair": [1, 2]}
    assert _payload({1: "a"})["body"] == {"1": "a"}
    assert services._json_native([{"a": [None, 1, "b"]}]) and not services._json_native({"a": {1: 2}})
