"""Hypothesis state machine over the ledger services, with real commits in the ng schema.

After every step: all postings sum to zero per currency, no wallet is negative,
every cached wallet balance equals the sum of its postings, and each wallet
equals the model's expectation (funds, transfers, holds, settlements, releases).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tenant_apps.ledger.errors import HoldClosed, InsufficientFunds
from tenant_apps.ledger.models import AccountKind, HoldStatus
from tenant_apps.ledger.selectors import on_hold_total, postings_total
from tenant_apps.ledger.services import (
    fund_wallet,
    place_hold,
    release_expired_holds,
    release_hold,
    settle_hold,
    system_account,
    transfer,
    wallet_for,
)
from tenant_apps.wallet.selectors import ledger_discrepancies
from tests.ledger.helpers import new_user

CURRENCIES = ("NGN", "GHS")
amounts = st.integers(min_value=1, max_value=50_000)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.run = uuid.uuid4().hex[:10]
        self.counter = 0
        self.wallets = []
        for currency in CURRENCIES:
            for _ in range(2):
                self.wallets.append(wallet_for(user=new_user(prefix="prop"), currency=currency))
        self.expected = {w.pk: 0 for w in self.wallets}
        self.holds: list = []  # (hold, wallet)
        self.provider = {c: system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency=c) for c in CURRENCIES}

    def ref(self, kind: str) -> str:
        self.counter += 1
        return f"prop-{self.run}-{kind}-{self.counter}"

    @rule(index=st.integers(0, 3), amount=amounts)
    def fund(self, index, amount):
        wallet = self.wallets[index]
        fund_wallet(wallet=wallet, amount=amount, reference=self.ref("fund"))
        self.expected[wallet.pk] += amount

    @rule(source=st.integers(0, 3), destination=st.integers(0, 3), amount=amounts, fee=st.integers(0, 500))
    def transfer(self, source, destination, amount, fee):
        src, dst = self.wallets[source], self.wallets[destination]
        if src.currency != dst.currency or src.pk == dst.pk:
            return
        try:
            transfer(source=src, destination=dst, amount=amount, fee=fee, reference=self.ref("p2p"))
        except InsufficientFunds:
            assert self.expected[src.pk] < amount + fee
            return
        assert self.expected[src.pk] >= amount + fee
        self.expected[src.pk] -= amount + fee
        self.expected[dst.pk] += amount

    @rule(index=st.integers(0, 3), amount=amounts, expired=st.booleans())
    def hold(self, index, amount, expired):
        wallet = self.wallets[index]
        expires_at = timezone.now() - timedelta(seconds=1) if expired else None
        try:
            hold = place_hold(wallet=wallet, amount=amount, reference=self.ref("hold"), expires_at=expires_at)
        except InsufficientFunds:
            assert self.expected[wallet.pk] < amount
            return
        self.expected[wallet.pk] -= amount
        self.holds.append(hold)

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), share=st.integers(0, 100))
    def settle(self, data, share):
        hold = data.draw(st.sampled_from(self.holds))
        hold.refresh_from_db()
        amount = hold.amount * share // 100
        before = hold.status
        try:
            settle_hold(hold=hold, amount=amount, to_account=self.provider[hold.currency])
        except HoldClosed:
            assert before != HoldStatus.PLACED
            return
        if before == HoldStatus.PLACED:
            self.expected[hold.wallet_id] += hold.amount - amount
        else:
            assert hold.status == HoldStatus.SETTLED and hold.settled_amount == amount  # a repeat: no-op

    @precondition(lambda self: self.holds)
    @rule(data=st.data())
    def release(self, data):
        hold = data.draw(st.sampled_from(self.holds))
        hold.refresh_from_db()
        before = hold.status
        try:
            release_hold(hold=hold)
        except HoldClosed:
            assert before == HoldStatus.SETTLED
            return
        assert hold.status == HoldStatus.RELEASED
        if before == HoldStatus.PLACED:
            self.expected[hold.wallet_id] += hold.amount

    @rule()
    def sweep_expired(self):
        mine = [h for h in self.holds if h.expires_at is not None]
        for hold in mine:
            hold.refresh_from_db()
        was_placed = {h.pk for h in mine if h.status == HoldStatus.PLACED}
        release_expired_holds()
        for hold in mine:
            hold.refresh_from_db()
            if hold.pk in was_placed:
                assert hold.status == HoldStatus.RELEASED
                self.expected[hold.wallet_id] += hold.amount

    @invariant()
    def postings_sum_to_zero_per_currency(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT currency, SUM(amount) FROM ledger_posting GROUP BY currency HAVING SUM(amount) <> 0")
            assert cursor.fetchall() == []

    @invariant()
    def no_wallet_is_negative(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM ledger_account WHERE balance < 0")
            assert cursor.fetchone()[0] == 0

    @invariant()
    def cached_balances_equal_postings_and_model(self):
        for wallet in self.wallets:
            wallet.refresh_from_db()
            assert wallet.balance == postings_total(account=wallet) == self.expected[wallet.pk]
            assert on_hold_total(wallet=wallet) == sum(
                h.amount for h in self.holds if h.wallet_id == wallet.pk and _status(h) == HoldStatus.PLACED)

    def teardown(self):
        assert ledger_discrepancies() == []


def _status(hold) -> str:
    hold.refresh_from_db()
    return hold.status


def test_ledger_state_machine(live_db):
    with schema_context("ng"):
        run_state_machine_as_test(LedgerMachine, settings=settings(
            max_examples=20, stateful_step_count=25, deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
