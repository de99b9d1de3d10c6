"""Read the locks a flow took from its SQL and check them against ``shared_apps.core.locks``.

Each locking statement is classified into a rank of :class:`LockRank`; a flow respects the order when the
ranks never go down, and the ledger accounts it locks (``FOR UPDATE`` or the balance ``UPDATE``, which is
the lock) go up by id within one journal entry.
"""

from __future__ import annotations

import itertools
import re

from shared_apps.core.locks import LockRank

_ID_EQUALS = r"WHERE\s+\"?(?:ledger_account\"?\.)?\"?id\"?\s*=\s*(\d+)"
_ACCOUNT_UPDATE = re.compile(r"UPDATE\s+\"?ledger_account\"?\s+SET.*?" + _ID_EQUALS, re.S | re.I)
_ACCOUNT_LOCK = re.compile(r"FROM\s+\"?ledger_account\"?\s+" + _ID_EQUALS + r".*FOR UPDATE", re.S | re.I)


def classify(sql: str) -> tuple[LockRank, int | None] | None:
    """The rank a statement locks at (and the account id for ledger accounts); None: it takes no lock we rank."""
    text = " ".join(sql.split())
    if "pg_try_advisory_xact_lock" in text:
        return LockRank.IDEMPOTENCY, None
    if "pg_advisory_xact_lock" in text:
        return LockRank.RISK_SCOPE, None
    match = _ACCOUNT_UPDATE.search(text) if text.upper().startswith("UPDATE") else None
    if match:
        return LockRank.LEDGER_ACCOUNT, int(match.group(1))
    if "FOR UPDATE" not in text.upper() and "FOR NO KEY UPDATE" not in text.upper():
        return None
    match = _ACCOUNT_LOCK.search(text)
    if match:
        return LockRank.LEDGER_ACCOUNT, int(match.group(1))
    if re.search(r"FROM\s+\"?ledger_account\"?", text, re.I):
        return LockRank.LEDGER_ACCOUNT, None
    if re.search(r"FROM\s+\"?accounts_user\"?\s", text, re.I):
        return LockRank.USER, None
    if re.search(r"FROM\s+\"?ledger_hold\"?\s", text, re.I):
        return LockRank.HOLD, None
    return LockRank.SUBJECT, None


def lock_sequence(statements: list[str]) -> list[tuple[LockRank, int | None]]:
    return [lock for lock in map(classify, statements) if lock is not None]


Lock = tuple[LockRank, int | None]


def assert_lock_order(statements: list[str], *, expect: set[LockRank] | None = None) -> list[Lock]:
    """Fail if a flow's locks go down the ranking, or its ledger accounts down in id; returns the sequence."""
    sequence = lock_sequence(statements)
    trace = "\n".join(f"{rank.label} {ident or ''}" for rank, ident in sequence)
    for (before, before_id), (after, after_id) in itertools.pairwise(sequence):
        assert after >= before, f"{after.label} after {before.label}: against shared_apps.core.locks\n{trace}"
        if before == after == LockRank.LEDGER_ACCOUNT and before_id is not None and after_id is not None:
            assert after_id >= before_id, f"ledger account {after_id} locked after {before_id}\n{trace}"
    if expect is not None:
        assert expect <= {rank for rank, _ in sequence}, trace
    return sequence
