"""Real concurrency: threads with their own PostgreSQL connections, committed data."""

from __future__ import annotations

import uuid

from django_tenants.utils import schema_context

from tenant_apps.ledger.errors import HoldClosed, InsufficientFunds
from tenant_apps.ledger.models import AccountKind, Hold, HoldStatus, JournalEntry
from tenant_apps.ledger.selectors import account_balance, postings_total
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
from tests.support.concurrency import run_concurrently


def test_50_concurrent_debits_on_one_wallet_never_go_negative(ng_live):
    """10_000 funds, 50 debits of 300 at once: exactly 33 succeed, 17 get insufficient_funds, 100 left."""
    wallet = wallet_for(user=new_user(prefix="race"), currency="NGN")
    fund_wallet(wallet=wallet, amount=10_000, reference=f"race-fund-{uuid.uuid4()}")
    sink = system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="NGN")
    run_id = uuid.uuid4().hex

    def debit(i: int):
        return transfer(source=wallet, destination=sink, amount=300, reference=f"race-{run_id}-{i}")

    results = run_concurrently(50, debit)
    successes = [r for r in results if isinstance(r, JournalEntry)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(successes) == 33, results
    assert len(refused) == 17, [r for r in results if not isinstance(r, JournalEntry | InsufficientFunds)]
    assert account_balance(account=wallet) == 100
    assert postings_total(account=wallet) == 100
    assert JournalEntry.objects.filter(reference__startswith=f"race-{run_id}-").count() == 33


def test_opposite_transfers_do_not_deadlock(ng_live):
    """A->B and B->A at the same time: rows are locked in id order, so no deadlock, nothing lost."""
    a = wallet_for(user=new_user(prefix="dl"), currency="NGN")
    b = wallet_for(user=new_user(prefix="dl"), currency="NGN")
    fund_wallet(wallet=a, amount=100_000, reference=f"dl-fund-{uuid.uuid4()}")
    fund_wallet(wallet=b, amount=100_000, reference=f"dl-fund-{uuid.uuid4()}")
    run_id = uuid.uuid4().hex

    def ping_pong(i: int):
        for n in range(10):
            source, destination = (a, b) if (i + n) % 2 else (b, a)
            transfer(source=source, destination=destination, amount=7 + i, reference=f"dl-{run_id}-{i}-{n}")
        return "ok"

    results = run_concurrently(8, ping_pong)
    assert results == ["ok"] * 8, results
    assert account_balance(account=a) + account_balance(account=b) == 200_000
    assert account_balance(account=a) == postings_total(account=a)
    assert account_balance(account=b) == postings_total(account=b)


def test_settle_and_release_racing_on_one_hold_move_money_once(ng_live):
    wallet = wallet_for(user=new_user(prefix="hold-race"), currency="NGN")
    fund_wallet(wallet=wallet, amount=5_000, reference=f"hr-fund-{uuid.uuid4()}")
    provider = system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency="NGN")
    hold = place_hold(wallet=wallet, amount=5_000, reference=f"hr-{uuid.uuid4()}")

    def act(i: int):
        if i % 2:
            return settle_hold(hold=hold, to_account=provider).status
        return release_hold(hold=hold).status

    results = run_concurrently(10, act)
    hold.refresh_from_db()
    winners = [r for r in results if r == hold.status]
    losers = [r for r in results if isinstance(r, HoldClosed)]
    assert len(winners) + len(losers) == 10, results
    assert len(winners) == 5 and len(losers) == 5  # the winning kind repeats as no-ops; the other kind is refused
    expected = 5_000 if hold.status == HoldStatus.RELEASED else 0
    assert account_balance(account=wallet) == expected == postings_total(account=wallet)
    assert JournalEntry.objects.filter(reference=hold.reference).count() == 2  # place + one close


def test_the_same_hold_placed_concurrently_is_placed_once(ng_live):
    wallet = wallet_for(user=new_user(prefix="hold-twin"), currency="NGN")
    fund_wallet(wallet=wallet, amount=1_000, reference=f"ht-fund-{uuid.uuid4()}")
    reference = f"ht-{uuid.uuid4()}"

    results = run_concurrently(10, lambda i: place_hold(wallet=wallet, amount=600, reference=reference).pk)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert Hold.objects.filter(reference=reference).count() == 1
    assert account_balance(account=wallet) == 400


def test_concurrent_wallet_creation_yields_one_wallet(live_db):
    with schema_context("ng"):
        user = new_user(prefix="wc")
    results = run_concurrently(8, lambda i: wallet_for(user=user, currency="NGN").pk)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
