"""Ledger services: balanced posting, insufficient funds, idempotency by reference, holds, lock order."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.ledger.currency import tenant_currency, to_decimal_string, to_minor
from tenant_apps.ledger.errors import (
    CurrencyMismatch,
    EntryReferenceConflict,
    HoldClosed,
    InsufficientFunds,
    InvalidAmount,
    UnbalancedEntry,
)
from tenant_apps.ledger.models import AccountKind, Hold, HoldStatus, JournalEntry
from tenant_apps.ledger.selectors import account_balance, on_hold_total, postings_total, system_balance
from tenant_apps.ledger.services import (
    Line,
    Split,
    fund_wallet,
    place_hold,
    post_entry,
    release_expired_holds,
    release_hold,
    settle_hold,
    system_account,
    transfer,
    wallet_for,
)
from tenants.connection import tenant_connection
from tests.ledger.helpers import new_user

pytestmark = pytest.mark.django_db


def ref(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4()}"


@pytest.fixture
def funded(ng):
    wallet = wallet_for(user=new_user(), currency="NGN")
    fund_wallet(wallet=wallet, amount=10_000, reference=ref("fund"))
    return wallet


def test_tenant_currency_comes_from_the_tenants_country(db):
    with schema_context("ng"):
        assert tenant_currency().code == "NGN"
    with schema_context("sn"):
        assert (tenant_currency().code, tenant_currency().minor_unit) == ("XOF", 0)
    with schema_context("gh"):
        assert tenant_currency().code == "GHS"


def test_money_formatting_is_exact():
    assert to_decimal_string(123456, "NGN") == "1234.56"
    assert to_decimal_string(-5, "NGN") == "-0.05"
    assert to_decimal_string(1500, "XOF") == "1500"
    assert to_minor("12.5", "NGN") == 1250
    assert to_minor("1000", "XOF") == 1000
    with pytest.raises(ValueError):
        to_minor("10.5", "XOF")
    with pytest.raises(ValueError):
        to_minor("0.001", "NGN")


def test_wallet_for_defaults_to_tenant_currency_and_is_unique(ng):
    user = new_user()
    assert wallet_for(user=user, create=False) is None
    wallet = wallet_for(user=user)
    assert (wallet.kind, wallet.currency, wallet.balance) == (AccountKind.USER_WALLET, "NGN", 0)
    assert wallet_for(user=user).pk == wallet.pk
    agent = new_user(role="agent")
    assert wallet_for(user=agent).kind == AccountKind.AGENT_WALLET


def test_system_accounts_have_no_cached_balance(ng):
    revenue = system_account(kind=AccountKind.REVENUE, currency="NGN")
    assert revenue.balance is None and revenue.owner_id is None
    assert system_account(kind=AccountKind.REVENUE, currency="NGN").pk == revenue.pk
    with pytest.raises(ValueError):
        system_account(kind=AccountKind.USER_WALLET, currency="NGN")


def test_funding_and_transfer_with_fee(funded):
    other = wallet_for(user=new_user(), currency="NGN")
    fees_before = system_balance(kind=AccountKind.FEES, currency="NGN")
    entry = transfer(source=funded, destination=other, amount=3_000, fee=50, reference=ref("p2p"))
    assert entry.created_now
    assert account_balance(account=funded) == 10_000 - 3_050
    assert account_balance(account=other) == 3_000
    assert system_balance(kind=AccountKind.FEES, currency="NGN") - fees_before == 50
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-3_050, 50, 3_000]


def test_insufficient_funds_writes_nothing(funded):
    other = wallet_for(user=new_user(), currency="NGN")
    entries_before = JournalEntry.objects.count()
    reference = ref("too-much")
    with pytest.raises(InsufficientFunds) as caught:
        transfer(source=funded, destination=other, amount=10_001, reference=reference)
    assert caught.value.code == "insufficient_funds" and caught.value.status_code == 422
    assert JournalEntry.objects.count() == entries_before
    assert account_balance(account=funded) == 10_000 and account_balance(account=other) == 0


def test_unbalanced_lines_and_bad_amounts_are_refused_before_the_database(funded):
    suspense = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
    with pytest.raises(UnbalancedEntry):
        post_entry(entry_type="x", reference=ref(), lines=[Line(funded, -10), Line(suspense, 9)])
    with pytest.raises(UnbalancedEntry):
        post_entry(entry_type="x", reference=ref(), lines=[Line(funded, 0)])
    with pytest.raises(InvalidAmount):
        fraction: Any = 1.5  # not minor units: what an untyped caller could pass
        post_entry(entry_type="x", reference=ref(), lines=[Line(funded, fraction), Line(suspense, -fraction)])
    with pytest.raises(InvalidAmount):
        post_entry(entry_type="x", reference=ref(), lines=[Line(funded, True), Line(suspense, -1)])
    with pytest.raises(CurrencyMismatch):
        transfer(source=funded, destination=wallet_for(user=new_user(), currency="GHS"), amount=1, reference=ref())


def test_same_reference_posts_once(funded):
    suspense = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
    reference = ref("once")
    lines = [Line(funded, -100), Line(suspense, 100)]
    first = post_entry(entry_type="adjustment", reference=reference, lines=lines)
    again = post_entry(entry_type="adjustment", reference=reference, lines=lines)
    assert first.created_now and not again.created_now and first.pk == again.pk
    assert account_balance(account=funded) == 9_900
    with pytest.raises(EntryReferenceConflict):
        post_entry(entry_type="adjustment", reference=reference, lines=[Line(funded, -200), Line(suspense, 200)])
    assert account_balance(account=funded) == 9_900


def test_wallet_rows_are_locked_in_ascending_id_order(ng):
    """Lines in any order: the conditional UPDATEs run by ascending account id (no lock-order deadlocks)."""
    wallets = [wallet_for(user=new_user(), currency="NGN") for _ in range(4)]
    for wallet in wallets:
        fund_wallet(wallet=wallet, amount=1_000, reference=ref("fund"))
    fees = system_account(kind=AccountKind.FEES, currency="NGN")
    lines = [Line(wallets[3], -400), Line(wallets[0], 100), Line(fees, 10), Line(wallets[2], 200),
             Line(wallets[1], 90)]
    with CaptureQueriesContext(connection) as queries:
        post_entry(entry_type="multi", reference=ref("order"), lines=lines)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE ledger_account")]
    locked_ids = [int(match.group(1)) for sql in updates if (match := re.search(r"WHERE id = (\d+)", sql))]
    assert len(locked_ids) == len(updates)
    assert locked_ids == sorted(w.pk for w in wallets)
    assert all("balance + " in sql and ">= 0" in sql for sql in updates)
    # The system account is never updated: it is not a row everyone queues on.
    assert not any(f"WHERE id = {fees.pk} " in sql for sql in updates)


def test_hold_place_settle_full(funded):
    provider = system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="NGN")
    provider_before = postings_total(account=provider)
    hold = place_hold(wallet=funded, amount=2_500, reference=ref("order"))
    assert hold.status == HoldStatus.PLACED
    assert account_balance(account=funded) == 7_500 and on_hold_total(wallet=funded) == 2_500
    settled = settle_hold(hold=hold, to_account=provider)
    assert (settled.status, settled.settled_amount) == (HoldStatus.SETTLED, 2_500)
    assert account_balance(account=funded) == 7_500 and on_hold_total(wallet=funded) == 0
    assert postings_total(account=provider) - provider_before == 2_500


def test_hold_partial_settle_returns_the_remainder_and_splits(funded):
    provider = system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="NGN")
    revenue = system_account(kind=AccountKind.REVENUE, currency="NGN")
    hold = place_hold(wallet=funded, amount=3_000, reference=ref("order"))
    settle_hold(hold=hold, splits=[Split(provider, 1_800), Split(revenue, 200)])
    hold.refresh_from_db()
    assert (hold.status, hold.settled_amount) == (HoldStatus.SETTLED, 2_000)
    assert account_balance(account=funded) == 10_000 - 2_000
    assert hold.close_entry is not None
    assert sorted(hold.close_entry.postings.values_list("amount", flat=True)) == [-3_000, 200, 1_000, 1_800]


def test_hold_settles_or_releases_at_most_once(funded):
    provider = system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="NGN")
    a = place_hold(wallet=funded, amount=1_000, reference=ref("a"))
    settle_hold(hold=a, to_account=provider, amount=600)
    entries = JournalEntry.objects.count()
    assert settle_hold(hold=a, to_account=provider, amount=600).status == HoldStatus.SETTLED  # no-op
    assert settle_hold(hold=a, to_account=provider).settled_amount == 600  # no amount given: no-op too
    with pytest.raises(HoldClosed):
        release_hold(hold=a)
    assert JournalEntry.objects.count() == entries
    b = place_hold(wallet=funded, amount=1_000, reference=ref("b"))
    release_hold(hold=b)
    entries = JournalEntry.objects.count()
    assert release_hold(hold=b).status == HoldStatus.RELEASED  # no-op
    with pytest.raises(HoldClosed):
        settle_hold(hold=b, to_account=provider)
    assert JournalEntry.objects.count() == entries
    assert account_balance(account=funded) == 10_000 - 600


def test_settling_again_with_another_amount_is_refused(funded):
    provider = system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="NGN")
    hold = place_hold(wallet=funded, amount=1_000, reference=ref())
    settle_hold(hold=hold, to_account=provider, amount=400)
    with pytest.raises(HoldClosed):
        settle_hold(hold=hold, to_account=provider, amount=1_000)
    with pytest.raises(InvalidAmount):
        settle_hold(hold=place_hold(wallet=funded, amount=10, reference=ref()), to_account=provider, amount=11)
    assert account_balance(account=funded) == 10_000 - 400 - 10


def test_placing_the_same_reference_twice_returns_the_first_hold(funded):
    reference = ref("order")
    first = place_hold(wallet=funded, amount=500, reference=reference)
    assert place_hold(wallet=funded, amount=500, reference=reference).pk == first.pk
    with pytest.raises(EntryReferenceConflict):
        place_hold(wallet=funded, amount=700, reference=reference)
    assert account_balance(account=funded) == 9_500


def test_hold_needs_funds(funded):
    with pytest.raises(InsufficientFunds):
        place_hold(wallet=funded, amount=10_001, reference=ref())
    assert not Hold.objects.filter(wallet=funded).exists()
    assert account_balance(account=funded) == 10_000


def test_expired_holds_are_released(funded):
    now = timezone.now()
    expired = place_hold(wallet=funded, amount=1_000, reference=ref(), expires_at=now - timedelta(seconds=1))
    fresh = place_hold(wallet=funded, amount=2_000, reference=ref(), expires_at=now + timedelta(hours=1))
    forever = place_hold(wallet=funded, amount=3_000, reference=ref())
    assert release_expired_holds(now=now) >= 1
    statuses = {h.pk: h.status for h in Hold.objects.filter(pk__in=[expired.pk, fresh.pk, forever.pk])}
    assert statuses == {expired.pk: HoldStatus.RELEASED, fresh.pk: HoldStatus.PLACED, forever.pk: HoldStatus.PLACED}
    assert account_balance(account=funded) == 10_000 - 5_000
    assert release_expired_holds(now=now) == 0


def test_release_expired_holds_beat_task_is_scheduled_and_calls_the_service(funded, settings):
    from tenant_apps.ledger.tasks import release_expired_holds_task

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"ledger.release_expired_holds", "wallet.reconcile_ledgers"} <= schedule
    hold = place_hold(wallet=funded, amount=1_000, reference=ref(), expires_at=timezone.now() - timedelta(minutes=1))
    result = release_expired_holds_task.apply().get()
    tenant_connection().set_schema("ng")
    assert result["ng"] >= 1
    hold.refresh_from_db()
    assert hold.status == HoldStatus.RELEASED


def test_the_callers_hold_object_reflects_the_outcome(funded):
    provider = system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="NGN")
    hold = place_hold(wallet=funded, amount=100, reference=ref())
    settle_hold(hold=hold, to_account=provider, amount=40)
    assert (hold.status, hold.settled_amount) == (HoldStatus.SETTLED, 40) and hold.close_entry_id
    other = place_hold(wallet=funded, amount=100, reference=ref())
    release_hold(hold=other)
    assert other.status == HoldStatus.RELEASED and other.closed_at is not None
