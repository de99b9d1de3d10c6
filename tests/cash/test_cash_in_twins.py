"""The twin of a completed cash-in confirmation (a retry or a double tap with the same Idempotency-Key, the agent's
page sent again under the same form key) that missed the stored answer while its first copy was still running.

Unlike a cash-out's withdrawal code, nothing refuses it: the code check (``cash_in_check_confirmation``, committed on
its own) passes a cash-in it reads completed, and ``confirmation_check`` passes a challenge the first copy consumed
(``confirmed_at``), after waiting on that row's lock when the first copy has not committed yet. The twin then meets
the key's stored answer. These tests pin that down: the twin gets the first answer (the receipt on the page) and
nothing is counted or written: no attempt on the challenge, no failed-code audit row, no cancellation (the float
stays credited), no second credit. Also when the twin comes after the code's lifetime (a late retry): a completed
cash-in is never "expired"."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.cash.models import CashTransaction, ConfirmationChallenge
from tests.cash.helpers import balance, first_copy_and_its_waiting_twin, new_agent, new_user, post
from tests.support.twins import first_lookup_misses
from tests.support.unchanged import nothing_changes
from tests.wallet.helpers import assert_books_balance

CODE = "424242"
FLOAT = 100_000
AMOUNT = 10_000  # 100.00 NGN


@pytest.fixture(autouse=True)
def every_cash_in_confirmed(settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False, "CONFIRM_ABOVE": {"*": "0"},
                           "CONFIRMATION": "otp"}


def awaiting_cash_in() -> tuple[Any, Any, dict]:
    """An agent, a customer and the cash-in of 100.00 awaiting the customer's code, which is ``CODE``."""
    from tenant_apps.cash.confirmation import _hash

    agent, _ = new_agent(float_minor=FLOAT)
    customer = new_user()
    started = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "100"})
    assert started.status_code == 202, started.content
    body = started.json()
    with schema_context("ng"):
        challenge = CashTransaction.objects.get(public_id=body["id"]).challenge
        assert challenge is not None and challenge.method == "otp"
        challenge.secret_hash = _hash(salt=uuid.uuid4().hex[:16], challenge_id=str(challenge.public_id), secret=CODE)
        challenge.save(update_fields=["secret_hash"])
    return agent, customer, body


def failed_audits(agent) -> int:
    from tenant_apps.audit.models import AuditAction, AuditEvent

    with schema_context("ng"):
        return AuditEvent.objects.filter(action__in=[AuditAction.CASH_CONFIRMATION_FAILED,
                                                     AuditAction.CASH_CANCELLED], actor_id=agent.public_id).count()


def challenge_of(cash: dict) -> ConfirmationChallenge:
    with schema_context("ng"):
        row = CashTransaction.objects.select_related("challenge").get(public_id=cash["id"])
        assert row.challenge is not None
        return row.challenge


def expire_the_code(cash: dict) -> None:
    """The twin comes after the code's lifetime (a late retry): the completed cash-in must not read as expired."""
    with schema_context("ng"):
        ConfirmationChallenge.objects.filter(pk=challenge_of(cash).pk).update(
            expires_at=timezone.now() - timedelta(minutes=1))
        CashTransaction.objects.filter(public_id=cash["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))


def assert_credited_once(agent, customer, cash: dict) -> None:
    """The float paid the customer once; the challenge consumed, no wrong attempt on it; the cash-in completed."""
    assert balance(customer) == AMOUNT
    assert balance(agent) == FLOAT - AMOUNT
    challenge = challenge_of(cash)
    assert challenge.confirmed_at is not None and challenge.attempts == 0
    with schema_context("ng"):
        row = CashTransaction.objects.get(public_id=cash["id"])
        assert (row.status, row.failure_reason) == ("completed", "")
        assert CashTransaction.objects.filter(customer=customer).count() == 1
    assert_books_balance("ng")


def cancel_if_awaiting(agent, cash: dict) -> None:
    """Committed rows (live_db): leave no cash-in awaiting its code for the tests that expire every stale one."""
    from tenant_apps.cash.services import cash_in_cancel

    with schema_context("ng"), transaction.atomic():
        if CashTransaction.objects.filter(public_id=cash["id"], status="awaiting_confirmation").exists():
            cash_in_cancel(agent=agent, public_id=cash["id"])


# --- the API: POST /api/cash/in/<id>/confirm ------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("when", ["in_time", "after_the_code_expired"])
def test_an_api_confirm_twin_that_missed_the_stored_answer_gets_it_and_counts_nothing(when, monkeypatch):
    from tenant_apps.idempotency import decorators

    agent, customer, cash = awaiting_cash_in()
    confirm = f"/api/cash/in/{cash['id']}/confirm"
    first = post(agent, confirm, {"code": CODE}, key="confirm-twin")
    assert first.status_code == 200 and first.json()["status"] == "completed", first.content
    if when == "after_the_code_expired":
        expire_the_code(cash)
    audits = failed_audits(agent)
    missed = first_lookup_misses(monkeypatch, decorators, "_replay")
    with nothing_changes("ng"):
        twin = post(agent, confirm, {"code": CODE}, key="confirm-twin")
    assert len(missed) == 1  # the twin did reach the code check
    assert twin.status_code == 200, twin.content
    assert twin["Idempotency-Replayed"] == "true" and twin.json() == first.json()
    assert failed_audits(agent) == audits
    assert_credited_once(agent, customer, cash)


@pytest.mark.django_db
def test_the_check_of_a_confirmed_challenge_passes_without_counting_whatever_its_expiry():
    """What the twin that waited on the first copy's lock meets (it read the cash-in before the first copy
    committed): the challenge consumed. It passes, before the expiry and the attempts are looked at, and counts
    nothing, so the twin goes on to the key's stored answer."""
    from tenant_apps.cash.confirmation import confirmation_check

    agent, _customer, cash = awaiting_cash_in()
    assert post(agent, f"/api/cash/in/{cash['id']}/confirm", {"code": CODE}).status_code == 200
    expire_the_code(cash)
    challenge = challenge_of(cash)
    with schema_context("ng"), nothing_changes("ng"):
        result = confirmation_check(challenge_id=challenge.pk, secret=CODE)
    assert (result.ok, result.reason) == (True, "confirmed")
    assert challenge_of(cash).attempts == 0


def test_an_api_twin_waiting_on_the_first_copys_challenge_lock_gets_its_answer(live_db, monkeypatch, settings,
                                                                                request):
    """Real commits, two threads: the first copy has consumed the challenge and credited the customer but not
    committed when its twin (same key and body) looks for a stored answer (none yet) and checks the code, waiting
    on the challenge row's lock. Once the first copy commits, the twin finds the challenge consumed: it gets the
    first answer replayed, and nothing is counted."""
    from tenant_apps.cash import services

    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False, "CONFIRM_ABOVE": {"*": "0"},
                           "CONFIRMATION": "otp"}
    agent, customer, cash = awaiting_cash_in()
    request.addfinalizer(lambda: cancel_if_awaiting(agent, cash))
    confirm, key = f"/api/cash/in/{cash['id']}/confirm", f"twin-{uuid.uuid4().hex}"
    cache.clear()
    audits = failed_audits(agent)
    one, two, waited = first_copy_and_its_waiting_twin(
        monkeypatch=monkeypatch, services=services, step="cash_in_complete",
        table=ConfirmationChallenge._meta.db_table, agent=agent, path=confirm, body={"code": CODE}, key=key)
    assert waited, "the twin never waited on the challenge row's lock"
    assert not isinstance(one, Exception) and not isinstance(two, Exception), (one, two)
    assert one.status_code == 200, one.content
    assert two.status_code == 200, two.content
    assert two["Idempotency-Replayed"] == "true" and json.loads(two.content) == json.loads(one.content)
    assert failed_audits(agent) == audits
    assert_credited_once(agent, customer, cash)


# --- the agent's cash-in page (/agent/cash/<id>) ----------------------------------------------------------------

class _StaleRows:
    """``cash_history`` as the resent page read it before the first copy committed: the cash-in still awaiting."""

    def __init__(self, rows) -> None:
        self.rows = rows

    def filter(self, **kwargs) -> _StaleRows:
        return _StaleRows(self.rows.filter(**kwargs))

    def first(self) -> CashTransaction | None:
        row = self.rows.first()
        if row is not None:
            row.status = "awaiting_confirmation"
        return row


@pytest.mark.django_db
@pytest.mark.parametrize("page_read", ["completed", "stale"])
def test_a_resent_confirm_form_shows_the_receipt_and_counts_nothing(page_read, monkeypatch):
    """A double click or the browser sending the confirmation again after the first copy completed, the code's
    lifetime over by then. ``completed``: the page reads the cash-in completed and shows its receipt. ``stale``: the
    page read it before the first copy committed; the code check then passes (the cash-in completed, the challenge
    consumed) and the form key's stored answer redirects to the receipt. Never a code error, nothing counted."""
    from tenant_apps.cash import selectors
    from tenant_apps.portal import cash as cash_pages
    from tests.cash.test_pages import form_key, page_client

    agent, customer, cash = awaiting_cash_in()
    desk = page_client(agent)
    page = f"/agent/cash/{cash['id']}"
    form = {"code": CODE, "idempotency_key": form_key(desk.get(page).content.decode())}
    done = desk.post(page, form)
    assert done.status_code == 302 and done["Location"] == page, done.content.decode()[:2000]
    expire_the_code(cash)
    audits = failed_audits(agent)
    if page_read == "stale":
        monkeypatch.setattr(cash_pages, "cash_selectors", SimpleNamespace(
            cash_history=lambda *, user: _StaleRows(selectors.cash_history(user=user))))
    with nothing_changes("ng"):
        again = desk.post(page, form)
    if page_read == "stale":
        assert again.status_code == 302 and again["Location"] == page, again.content.decode()[:2000]
        monkeypatch.undo()
        again = desk.get(page)
    html = again.content.decode()
    assert again.status_code == 200, html[:2000]
    assert 'data-status="completed"' in html and "expired" not in html and "attempt(s) left" not in html
    assert failed_audits(agent) == audits
    assert_credited_once(agent, customer, cash)
