"""The global lock order: every row or advisory lock the platform takes, ranked, in one place.

Two transactions that take the same locks in the same order cannot deadlock. Money requests take
their locks in this order (a lower rank is never requested while a higher one is held):

1. ``idempotency`` — the request's (schema, user, Idempotency-Key) advisory lock, first statement of
   the request transaction (the server-side ``idempotency_begin`` of ``tenant_apps.idempotency``, also
   the first step of the purchase's ``purchase_accept``; a twin gets 409 instead of waiting).
2. ``subject`` — the row of the business object the request acts on: an order, a transfer, a
   remittance, a funding intent, a withdrawal code, a cash transaction, a risk decision, a step-up
   challenge, a merchant payment, a savings goal or circle... A webhook or a worker starts here (its
   order row), then a refund locks the buyer (rank 3) and the hold (rank 5): always downhill.
   Several subjects in one transaction: parent before child (a risk decision before the order it
   held, a batch before its rows, a circle before its members), rows of one kind by ascending id.
3. ``user`` — the customer's ``accounts_user`` row: the KYC/risk gate (``kyc_reserve`` and
   ``risk.gate.screen``) serialises a user's spends on it; a refund takes it before touching the
   wallet because the KYC release row's foreign key key-shares it at commit (issue 11 deadlock).
4. ``risk_scope`` — the risk gate's advisory locks on counters other users share (a recipient, a
   device), ascending key, taken after the user row.
5. ``hold`` — a ``ledger_hold`` row, locked to settle or release it.
6. ``ledger_account`` — ``ledger_account`` rows, ascending id: ``post_entry`` updates balances in
   ``sorted(account ids)`` (the conditional UPDATE is the lock), a capped credit locks the row first.

``standalone`` rows (settings singletons, OTPs, PINs, devices, API keys, invitations, the public
catalog and provider registry, the remittance hub) are locked in short transactions of their own
that take no money lock after them; if one ever joins a money transaction, give it a real rank here.

Every ``select_for_update(``/``FOR UPDATE``/advisory lock outside this module carries a
``# lock: <rank>`` comment (tests/core/test_lock_order.py fails on a lock site without a place in
the order), and tests assert the order on real purchases, settlements, transfers and payouts.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from django.db import connection


class LockRank(IntEnum):
    """Lower ranks are taken first; ``standalone`` locks never share a transaction with money locks."""

    STANDALONE = 0
    IDEMPOTENCY = 10
    SUBJECT = 20
    USER = 30
    RISK_SCOPE = 40
    HOLD = 50
    LEDGER_ACCOUNT = 60

    @property
    def label(self) -> str:
        return self.name.lower()


RANK_NAMES: frozenset[str] = frozenset(rank.label for rank in LockRank)


def lock_user(user_id: int) -> None:
    """Rank ``user``: the customer's row (one statement), before any hold or wallet of theirs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM accounts_user WHERE id = %s FOR UPDATE", [user_id])


def lock_risk_scopes(keys: Iterable[int]) -> None:
    """Rank ``risk_scope``: advisory locks on shared counters, ascending (one statement for all)."""
    ordered = sorted(set(keys))
    if not ordered:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(ordered)), ordered)


def lock_ledger_account(cursor, account_id: int) -> None:
    """Rank ``ledger_account``: one account row on ``cursor`` (callers iterate ids in ascending order)."""
    cursor.execute("SELECT 1 FROM ledger_account WHERE id = %s FOR UPDATE", [account_id])


def lock_ledger_accounts(account_ids: Iterable[int]) -> list[int]:
    """Rank ``ledger_account``: several account rows in ascending id (one statement); returns the ids locked."""
    ordered = sorted(set(account_ids))
    if ordered:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM ledger_account WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [ordered])
            return [row[0] for row in cursor.fetchall()]
    return []
