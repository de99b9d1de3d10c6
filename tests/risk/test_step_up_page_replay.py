"""A page form confirmed with a step-up code, sent again (a double click, a resubmit, a twin that waited on the
challenge's row lock while the first copy paid): it gets the first copy's answer (the redirect to its receipt),
not "This code has expired" (the code was consumed by the payment it confirmed). The customer who saw that
message re-opened the form (a new key) and paid twice."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from tests.orders.helpers import assert_books, wallet_balance
from tests.risk.helpers import make_rule, page_client, person, sms_code
from tests.support.twins import first_lookup_misses
from tests.support.unchanged import nothing_changes

pytestmark = pytest.mark.django_db


def _paid_with_a_step_up(risk_stack):
    """A customer's airtime form confirmed with its SMS code: (user, page client, the form as sent, receipt URL)."""
    make_rule(name="confirm purchases", rule_type="amount_above", threshold_amount="100.00", action="step_up_otp")
    user, _ = person(balance=500_000)
    page = page_client(user)
    form = {"recipient_phone": risk_stack.phone(), "product_id": risk_stack.products["vt_airtime"].pk,
            "amount": "150.00", "idempotency_key": f"page-{uuid.uuid4().hex}"}
    asked = page.post("/buy/airtime", form)
    assert asked.status_code == 400 and b'data-testid="step-up"' in asked.content
    challenge = asked.content.split(b'name="step_up_challenge" value="')[1].split(b'"')[0].decode()
    confirmed = {**form, "step_up_challenge": challenge, "step_up_code": sms_code(risk_stack, user.phone)}
    done = page.post("/buy/airtime", confirmed)
    assert done.status_code == 302 and "/orders/" in done["Location"], done.content[:300]
    return user, page, confirmed, done["Location"]


def _orders_of(user) -> int:
    from tenant_apps.orders.models import Order

    with schema_context("ng"):
        return Order.objects.filter(user=user).count()


def test_a_resent_form_with_its_step_up_code_replays_the_payment(risk_stack):
    user, page, confirmed, receipt = _paid_with_a_step_up(risk_stack)
    balance = wallet_balance(user)
    with nothing_changes("ng"):
        again = page.post("/buy/airtime", confirmed)
    assert b"This code has expired" not in again.content
    assert again.status_code == 302 and again["Location"] == receipt
    assert _orders_of(user) == 1
    assert_books(user, balance)


def test_a_twin_that_looked_before_the_first_copy_paid_gets_its_answer(risk_stack, monkeypatch):
    """The twin's first look for the form's answer ran before the first copy committed; it then waited on the
    challenge's row lock and found it consumed: it looks again and replays instead of answering 410."""
    from tenant_apps.idempotency import services
    from tenant_apps.portal import once

    user, page, confirmed, receipt = _paid_with_a_step_up(risk_stack)
    balance = wallet_balance(user)
    missed = first_lookup_misses(monkeypatch, once, "stored_answer", original=services.stored_answer)
    with nothing_changes("ng"):
        again = page.post("/buy/airtime", confirmed)
    assert b"This code has expired" not in again.content
    assert again.status_code == 302 and again["Location"] == receipt
    assert [kwargs["key"] for _args, kwargs in missed] == [confirmed["idempotency_key"]]
    assert _orders_of(user) == 1
    assert_books(user, balance)
