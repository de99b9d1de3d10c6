"""Read the locks a flow took from its SQL and check them against ``shared_apps.core.locks``.

Each locking statement is classified into a rank of :class:`LockRank`; a flow respects the order when the
ranks never go down, and the ledger accounts it locks (``FOR UPDATE`` or the balance ``UPDATE``, which is
the lock) go up by id within one journal entry. A call of one of the schema's own server-side functions
(``purchase_accept``, ``ledger_place_hold``, ...) stands for the statements of its body, in order, read from
``pg_proc`` (functions it calls expanded the same way).
"""

from __future__ import annotations

import itertools
import re

from shared_apps.core.locks import LockRank

_ID_EQUALS = r"WHERE\s+\"?(?:ledger_account\"?\.)?\"?id\"?\s*=\s*(\d+|\w+)"
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
        return LockRank.LEDGER_ACCOUNT, _account_id(match.group(1))
    if "FOR UPDATE" not in text.upper() and "FOR NO KEY UPDATE" not in text.upper():
        return None
    match = _ACCOUNT_LOCK.search(text)
    if match:
        return LockRank.LEDGER_ACCOUNT, _account_id(match.group(1))
    if re.search(r"FROM\s+\"?ledger_account\"?", text, re.I):
        return LockRank.LEDGER_ACCOUNT, None
    if re.search(r"FROM\s+\"?accounts_user\"?\s", text, re.I):
        return LockRank.USER, None
    if re.search(r"FROM\s+\"?ledger_hold\"?\s", text, re.I):
        return LockRank.HOLD, None
    return LockRank.SUBJECT, None


def _account_id(text: str) -> int | None:
    return int(text) if text.isdigit() else None  # a function's parameter: the id is not in the text


_CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(", re.I)
_COMMENT = re.compile(r"--[^\n]*")


def _schema_functions() -> dict[str, str]:
    """The bodies of the project's own functions (PL/pgSQL and SQL; every tenant schema has the same), by name."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT ON (p.proname) p.proname, p.prosrc FROM pg_proc p "
                       "JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang "
                       "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                       "AND l.lanname IN ('plpgsql', 'sql') ORDER BY p.proname, n.nspname")
        return dict(cursor.fetchall())


def expand(statements: list[str], functions: dict[str, str] | None = None, depth: int = 0) -> list[str]:
    """The statements with each call of a schema function followed by its body's statements, in order."""
    if functions is None:
        functions = _schema_functions()
    expanded: list[str] = []
    for sql in statements:
        expanded.append(sql)
        if depth > 4:
            continue
        for name in (match.group(1) for match in _CALL.finditer(sql)):
            if name in functions:
                body = [part for part in _COMMENT.sub("", functions[name]).split(";") if part.strip()]
                expanded.extend(expand(body, functions, depth + 1))
    return expanded


def lock_sequence(statements: list[str]) -> list[tuple[LockRank, int | None]]:
    return [lock for lock in map(classify, expand(statements)) if lock is not None]


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
