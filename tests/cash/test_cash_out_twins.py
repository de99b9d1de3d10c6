"""The twin of a completed cash-out (a retry or a double tap with the same Idempotency-Key or form key) that missed
the stored answer while its first copy was still running: it finds the withdrawal code spent (the first copy
marked it used, and its check waited on that row's lock). It must get the first copy's answer, and count nothing:
no attempt on the customer's other codes, nothing on the agent's hourly wrong-code allowance, no failed-code audit
row, no money. Before the fix it was told the code was wrong (400 ``invalid_withdrawal_code``) and all that was
counted although the customer had been debited and the agent credited."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import schema_context

from tenant_apps.cash.models import CashTransaction, WithdrawalCode
from tests.cash.helpers import (
    balance,
    error_code,
    first_copy_and_its_waiting_twin,
    funded_customer,
    new_agent,
    post,
)
from tests.support.twins import first_lookup_misses
from tests.support.unchanged import nothing_changes
from tests.wallet.helpers import assert_books_balance

PAGE_FORM_KEY = re.compile(r'name="idempotency_key"[^>]*value="([0-9a-f]+)"')


@pytest.fixture(autouse=True)
def quiet(settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}


def codes_for(customer) -> tuple[dict, dict]:
    """The code to redeem (3,000) and another live code of the same customer (100), which a wrong guess costs."""
    redeemed = post(customer, "/api/cash/withdrawal-codes", {"amount": "3000"}).json()
    other = post(customer, "/api/cash/withdrawal-codes", {"amount": "100"}).json()
    return redeemed, other


def failures(agent) -> int:
    from tenant_apps.cash.services import _failures_key

    with schema_context("ng"):
        return cache.get(_failures_key(agent)) or 0


def failed_audits(agent) -> int:
    from tenant_apps.audit.models import AuditAction, AuditEvent

    with schema_context("ng"):
        return AuditEvent.objects.filter(action=AuditAction.CASH_CONFIRMATION_FAILED,
                                         actor_id=agent.public_id).count()


def other_code_state(other: dict) -> tuple[str, int]:
    with schema_context("ng"):
        row = WithdrawalCode.objects.get(public_id=other["id"])
    return row.status, row.attempts


def assert_paid_once(agent, customer) -> None:
    """3,000 + 30 fee held then settled once: the customer debited once, the agent credited once."""
    assert balance(customer) == 1_000_000 - 303_000 - 10_100  # the other code's 100 + 1 fee is still held
    assert balance(agent) == 300_000
    with schema_context("ng"):
        assert CashTransaction.objects.filter(customer=customer, kind="cash_out").count() == 1
    assert_books_balance("ng")


def cancel_live_codes(customer) -> None:
    """Committed rows (live_db): leave no live code for the tests that expire every stale one."""
    from tenant_apps.cash.services import withdrawal_code_cancel

    with schema_context("ng"), transaction.atomic():
        for public_id in WithdrawalCode.objects.filter(customer=customer, status="active") \
                .values_list("public_id", flat=True):
            withdrawal_code_cancel(customer=customer, public_id=public_id)


@pytest.mark.django_db
def test_an_api_twin_that_missed_the_stored_answer_gets_it_and_counts_nothing(monkeypatch):
    from tenant_apps.idempotency import decorators

    agent, _ = new_agent()
    customer = funded_customer()
    redeemed, other = codes_for(customer)
    body = {"customer": customer.phone, "code": redeemed["code"], "amount": "3000"}
    first = post(agent, "/api/cash/out", body, key="twin-1")
    assert first.status_code == 201, first.content
    cache.clear()
    audits = failed_audits(agent)
    missed = first_lookup_misses(monkeypatch, decorators, "_replay")
    with nothing_changes("ng"):
        twin = post(agent, "/api/cash/out", body, key="twin-1")
    assert len(missed) == 1  # the twin did reach the code check
    assert twin.status_code == 201, twin.content
    assert twin["Idempotency-Replayed"] == "true" and twin.json() == first.json()
    assert other_code_state(other) == ("active", 0)
    assert failures(agent) == 0 and failed_audits(agent) == audits
    assert_paid_once(agent, customer)


@pytest.mark.django_db
def test_a_code_the_agent_already_paid_out_is_refused_without_counting_a_wrong_code():
    """Under another key (a client that mints one per tap): 409, the code is spent, nothing counted. At another
    agent the same code is still just a wrong code (400, counted): it tells that agent nothing."""
    agent, _ = new_agent()
    customer = funded_customer()
    redeemed, other = codes_for(customer)
    body = {"customer": customer.phone, "code": redeemed["code"], "amount": "3000"}
    assert post(agent, "/api/cash/out", body).status_code == 201
    cache.clear()
    audits = failed_audits(agent)
    with nothing_changes("ng"):
        again = post(agent, "/api/cash/out", body)
    assert (again.status_code, error_code(again)) == (409, "withdrawal_code_not_active")
    assert other_code_state(other) == ("active", 0)
    assert failures(agent) == 0 and failed_audits(agent) == audits
    assert_paid_once(agent, customer)
    elsewhere, _ = new_agent()
    wrong = post(elsewhere, "/api/cash/out", body)
    assert (wrong.status_code, error_code(wrong)) == (400, "invalid_withdrawal_code")
    assert other_code_state(other) == ("active", 1) and failures(elsewhere) == 1


def test_a_twin_waiting_on_the_first_copys_code_lock_gets_its_answer(live_db, monkeypatch, settings, request):
    """Real commits, two threads: the first copy has settled (the code row locked, marked used) but not committed
    when its twin (same key and body) looks for a stored answer (none yet) and checks the code, waiting on that
    row's lock. Once the first copy commits, the twin finds the code spent: it gets the first answer replayed."""
    from tenant_apps.cash import services

    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}
    agent, _ = new_agent()
    customer = funded_customer()
    redeemed, other = codes_for(customer)
    request.addfinalizer(lambda: cancel_live_codes(customer))
    body = {"customer": customer.phone, "code": redeemed["code"], "amount": "3000"}
    key = f"twin-{uuid.uuid4().hex}"
    cache.clear()
    audits = failed_audits(agent)
    one, two, _waited = first_copy_and_its_waiting_twin(
        monkeypatch=monkeypatch, services=services, step="cash_out_complete", table=WithdrawalCode._meta.db_table,
        agent=agent, path="/api/cash/out", body=body, key=key)
    assert not isinstance(one, Exception) and not isinstance(two, Exception), (one, two)
    assert one.status_code == 201, one.content
    assert two.status_code == 201, two.content  # before the fix: 400 invalid_withdrawal_code
    assert two["Idempotency-Replayed"] == "true" and json.loads(two.content) == json.loads(one.content)
    assert other_code_state(other) == ("active", 0)
    assert failures(agent) == 0 and failed_audits(agent) == audits
    assert_paid_once(agent, customer)


# --- the agent's cash-out page -------------------------------------------------------------------------------

def page_form(client) -> str:
    found = PAGE_FORM_KEY.search(client.get("/agent/cash-out").content.decode())
    assert found
    return found.group(1)


@pytest.mark.django_db
@pytest.mark.parametrize("first_lookup", ["finds", "misses"])
def test_a_resent_cash_out_form_shows_the_first_receipt_and_counts_nothing(first_lookup, monkeypatch):
    """A double click or the browser sending the form again, after the first copy completed: the receipt of the
    first, nothing counted. ``misses``: the resent copy looked for the stored answer before the first copy
    committed (its code check then finds the code spent, and the answer is looked up again)."""
    from tenant_apps.portal import cash as cash_pages
    from tests.cash.test_pages import page_client

    agent, _ = new_agent()
    customer = funded_customer()
    redeemed, other = codes_for(customer)
    desk = page_client(agent)
    form = {"customer": customer.phone, "code": redeemed["code"], "amount": "3000",
            "idempotency_key": page_form(desk)}
    paid = desk.post("/agent/cash-out", form)
    assert paid.status_code == 302, paid.content.decode()[:2000]
    cache.clear()
    audits = failed_audits(agent)
    missed = first_lookup_misses(monkeypatch, cash_pages, "stored_answer") if first_lookup == "misses" else None
    with nothing_changes("ng"):
        again = desk.post("/agent/cash-out", form)
    assert missed is None or len(missed) == 1
    assert again.status_code == 302, again.content.decode()[:2000]  # before the fix: 400, "Check the code..."
    assert again["Location"] == paid["Location"]
    assert other_code_state(other) == ("active", 0)
    assert failures(agent) == 0 and failed_audits(agent) == audits
    assert_paid_once(agent, customer)
