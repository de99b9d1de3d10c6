"""The purchase body's common-case validation (``common_purchase``) is the serializer's, only cheaper.

For any body, either the common case declines it (the serializer then judges it, errors and all), or it
gives exactly the serializer's validated data, or raises exactly the serializer's error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django_tenants.utils import schema_context
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared_apps.core.errors import ApiError
from tenant_apps.orders.serializers import PurchaseSerializer, ValidatedPurchase, common_purchase, purchase_body

TEXT = st.one_of(
    st.text(max_size=45),
    st.text(alphabet=" 0123456789+\t\n\x00", max_size=45),
    st.sampled_from(["08031234567", " 08031234567 ", "", "   ", "+2348031234567", "é0803", "\ud800"]),
)
AMOUNTS = st.one_of(
    st.none(), st.sampled_from(["", "50", "50.00", "50.5", "50.005", "-5", "0", "1e3", " 50", "5,000", "00012"]),
    st.from_regex(r"\A-?[0-9]{0,16}(\.[0-9]{0,4})?\Z"), st.integers(), st.decimals(allow_nan=False, places=3),
    st.booleans(), st.floats(allow_nan=False),
)
VALUES = st.one_of(st.integers(min_value=-3, max_value=2**70), st.booleans(), st.none(), TEXT,
                   st.decimals(allow_nan=False, allow_infinity=False), st.lists(st.integers(), max_size=2))
BODIES = st.fixed_dictionaries(
    {},
    optional={"product_id": st.one_of(st.integers(min_value=-3, max_value=2**64), VALUES),
              "recipient_phone": st.one_of(TEXT, VALUES), "amount": AMOUNTS,
              "customer_number": st.one_of(TEXT, VALUES), "confirm_duplicate": st.one_of(st.booleans(), VALUES),
              "details": st.one_of(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2), VALUES),
              "extra": VALUES})


def _serializer_outcome(data: Any) -> tuple[str, Any]:
    try:
        serializer = PurchaseSerializer(data=data)
        valid = serializer.is_valid()
    except ApiError as exc:
        return "raised", (type(exc), exc.code, str(exc), exc.fields)
    return ("valid", dict(serializer.validated_data)) if valid else ("invalid", None)


def _common_outcome(data: Any) -> tuple[str, Any] | None:
    try:
        validated = common_purchase(data)
    except ApiError as exc:
        return "raised", (type(exc), exc.code, str(exc), exc.fields)
    return None if validated is None else ("valid", validated)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
@example(body={"product_id": 5, "recipient_phone": "08031234567", "amount": "50.00"})
@example(body={"product_id": 5, "recipient_phone": "  0803 ", "customer_number": " ", "confirm_duplicate": True})
@example(body={"product_id": 5, "recipient_phone": "08031234567", "amount": "0"})
@example(body={"product_id": 5, "recipient_phone": "08031234567", "amount": "50.001"})
@example(body={"product_id": 10**5000, "recipient_phone": "08031234567"})
@example(body={"product_id": True, "recipient_phone": "08031234567"})
@example(body={"product_id": 5, "recipient_phone": "0" * 33})
def test_the_common_case_is_the_serializers_answer(tenant_ng, body):
    with schema_context("ng"):
        common = _common_outcome(body)
        if common is not None:
            assert common == _serializer_outcome(body), body


def test_a_plain_body_takes_the_common_case_and_anything_else_the_serializer(tenant_ng):
    with schema_context("ng"):
        plain = purchase_body({"product_id": 7, "recipient_phone": " 08031234567", "amount": "150.5"})
        assert isinstance(plain, ValidatedPurchase) and plain.errors == {}
        assert plain.validated_data == {"product_id": 7, "recipient_phone": "08031234567", "confirm_duplicate": False,
                                        "amount_minor": 15050}
        for odd in ({"product_id": "7", "recipient_phone": "08031234567"},  # a numeric string: the serializer's
                    {"product_id": 7, "recipient_phone": "08031234567", "amount": Decimal("1.5")},
                    {"product_id": 7, "recipient_phone": "08031234567", "details": {"state": "Lagos"}}):
            judged = purchase_body(odd)
            assert isinstance(judged, PurchaseSerializer) and judged.errors == {}, odd
        refused = purchase_body({"product_id": 0, "recipient_phone": ""})
        assert isinstance(refused, PurchaseSerializer)
        assert set(refused.errors) == {"product_id", "recipient_phone"}
