"""A withdrawal code texted again (the same code, throttled) and cancelled (its hold released with a balanced
entry, once), on the API; a cancellation racing an agent's redemption pays out or refunds, never both: both lock
the code row first, so whichever comes second waits, then sees the other's outcome."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.cash.helpers import balance, error_code, funded_customer, new_agent, post
from tests.wallet.helpers import assert_books_balance


def _codes_texted(sms, user) -> list[str]:
    return [found.group(1) for message in sms.messages(to=user.phone)
            if (found := re.search(r"code is (\d{8})", message["sms"]))]


@pytest.mark.django_db
def test_resend_texts_the_same_code_throttled_and_never_after_it_closed(sms, settings,
                                                                       django_capture_on_commit_callbacks):
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.cash.models import WithdrawalCode

    settings.AGENT_CASH = {**settings.AGENT_CASH, "CODE_RESEND_SECONDS": 0, "CODE_MAX_RESENDS": 2}
    customer = funded_customer()
    made = post(customer, "/api/cash/withdrawal-codes", {"amount": "300"}).json()
    code = made["code"]
    with schema_context("ng"):
        row = WithdrawalCode.objects.get(public_id=made["id"])
        assert row.code_sealed and code not in row.code_sealed  # encrypted, never in clear
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):  # the SMS goes after commit
            resent = post(customer, f"/api/cash/withdrawal-codes/{made['id']}/resend", key=None)
        assert resent.status_code == 202 and "code" not in resent.json(), resent.content
    assert _codes_texted(sms, customer) == [code, code]  # the same code, texted twice
    third = post(customer, f"/api/cash/withdrawal-codes/{made['id']}/resend", key=None)
    assert third.status_code == 429 and error_code(third) == "too_many_resends"
    with schema_context("ng"):
        assert AuditEvent.objects.filter(action="withdrawal_code_resent", subject_id=made["id"]).count() == 2
    # Someone else's code is unknown; a closed code is not texted again and keeps no copy.
    other = funded_customer()
    assert post(other, f"/api/cash/withdrawal-codes/{made['id']}/resend", key=None).status_code == 404
    assert post(customer, f"/api/cash/withdrawal-codes/{made['id']}/cancel").status_code == 200
    gone = post(customer, f"/api/cash/withdrawal-codes/{made['id']}/resend", key=None)
    assert gone.status_code == 409 and error_code(gone) == "withdrawal_code_not_active"
    with schema_context("ng"):
        assert WithdrawalCode.objects.get(public_id=made["id"]).code_sealed == ""
    assert balance(customer) == 1_000_000
    assert_books_balance("ng")


@pytest.mark.django_db
def test_resend_waits_for_the_cooldown(sms, settings, django_capture_on_commit_callbacks):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "CODE_RESEND_SECONDS": 60}
    customer = funded_customer()
    made = post(customer, "/api/cash/withdrawal-codes", {"amount": "300"}).json()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(customer, f"/api/cash/withdrawal-codes/{made['id']}/resend", key=None).status_code == 202
    again = post(customer, f"/api/cash/withdrawal-codes/{made['id']}/resend", key=None)
    assert again.status_code == 429 and "moment ago" in again.json()["error"]["message"]
    assert len(_codes_texted(sms, customer)) == 1


def _first_holds_the_row_while_second_waits(monkeypatch, module, step: str, first, second) -> tuple[Any, Any, bool]:
    """``first()`` runs ``module.<step>`` and keeps its transaction open until ``second()`` is seen waiting on a
    row lock of the withdrawal code table; both in threads on committed data. Returns both answers."""
    done, second_waits = threading.Event(), threading.Event()
    original = getattr(module, step)

    def holding(**kwargs):
        result = original(**kwargs)
        done.set()
        assert second_waits.wait(timeout=30), "the second request never waited on the code's row"
        return result

    monkeypatch.setattr(module, step, holding)
    answers: dict[str, Any] = {}

    def run(name: str, call) -> None:
        try:
            with schema_context("ng"):
                answers[name] = call()
        except Exception as exc:  # asserted on by the caller
            answers[name] = exc
        finally:
            connection.close()

    one = threading.Thread(target=run, args=("first", first))
    one.start()
    assert done.wait(timeout=30), answers
    two = threading.Thread(target=run, args=("second", second))
    two.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not second_waits.is_set():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = "
                           "'Lock' AND query LIKE %s", ['SELECT "cash_withdrawalcode".%'])
            if cursor.fetchone():
                second_waits.set()
        time.sleep(0.02)
    waited = second_waits.is_set()
    second_waits.set()
    one.join(timeout=60)
    two.join(timeout=60)
    return answers["first"], answers["second"], waited


def test_a_cancel_holding_the_code_makes_the_waiting_redemption_fail(live_db, monkeypatch, settings):
    from tenant_apps.cash import services

    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}
    agent, _ = new_agent()
    customer = funded_customer(100_000)
    made = post(customer, "/api/cash/withdrawal-codes", {"amount": "400"}).json()
    cancel, redeem, waited = _first_holds_the_row_while_second_waits(
        monkeypatch, services, "withdrawal_code_cancel",
        lambda: post(customer, f"/api/cash/withdrawal-codes/{made['id']}/cancel"),
        lambda: post(agent, "/api/cash/out", {"customer": customer.phone, "code": made["code"], "amount": "400"}))
    assert waited and cancel.status_code == 200 and redeem.status_code in (400, 409), (cancel, redeem)
    assert balance(customer) == 100_000 and balance(agent) == 0  # refunded once, paid out never
    assert_books_balance("ng")


def test_a_redemption_holding_the_code_makes_the_waiting_cancel_fail(live_db, monkeypatch, settings):
    from tenant_apps.cash import services

    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}
    agent, _ = new_agent()
    customer = funded_customer(100_000)
    made = post(customer, "/api/cash/withdrawal-codes", {"amount": "400"}).json()
    redeem, cancel, waited = _first_holds_the_row_while_second_waits(
        monkeypatch, services, "cash_out_complete",
        lambda: post(agent, "/api/cash/out", {"customer": customer.phone, "code": made["code"], "amount": "400"}),
        lambda: post(customer, f"/api/cash/withdrawal-codes/{made['id']}/cancel"))
    assert waited and redeem.status_code == 201 and cancel.status_code == 409, (redeem, cancel)
    assert error_code(cancel) == "withdrawal_code_not_active"
    assert balance(customer) == 100_000 - 40_400 and balance(agent) >= 40_000  # paid out once, refunded never
    assert_books_balance("ng")
