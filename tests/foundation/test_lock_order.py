"""Every lock site has a place in the global lock order (``shared_apps.core.locks``).

A ``select_for_update(``, a ``FOR UPDATE`` or an advisory lock outside the locks module must say which
rank it takes, ``# lock: <rank>`` on its line or the line above: a new lock cannot appear unranked.
The order itself is asserted on real flows in tests/orders/test_staff_review_and_budget.py and
tests/wallet/test_transfers.py (tests/lock_order.py reads the locks from the SQL).
"""

from __future__ import annotations

import re
from pathlib import Path

from shared_apps.core.locks import RANK_NAMES, LockRank, lock_ledger_accounts
from tests.lock_order import classify

ROOT = Path(__file__).resolve().parents[2]
LOCK_SITE = re.compile(r"select_for_update\(|FOR\s+(?:NO\s+KEY\s+)?UPDATE|advisory(?:_xact)?_lock")
ANNOTATION = re.compile(r"#\s*lock:\s*(\w+)")
LOCKS_MODULE = ROOT / "shared_apps" / "core" / "locks.py"


def _sources():
    for package in ("tenant_apps", "shared_apps", "tenants"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or "tests" in path.parts or path == LOCKS_MODULE:
                continue
            yield path


def test_every_lock_site_names_its_rank_in_the_lock_order():
    unranked, unknown, sites = [], [], 0
    for path in _sources():
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            code = line.split("#", 1)[0]
            if not LOCK_SITE.search(code):
                continue
            sites += 1
            found = ANNOTATION.search(line) or (ANNOTATION.search(lines[number - 2]) if number > 1 else None)
            where = f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            if found is None:
                unranked.append(where)
            elif found.group(1) not in RANK_NAMES:
                unknown.append(f"{where} (rank {found.group(1)!r})")
    assert not unranked, "lock sites without '# lock: <rank>' (shared_apps.core.locks):\n" + "\n".join(unranked)
    assert not unknown, f"unknown ranks (known: {sorted(RANK_NAMES)}):\n" + "\n".join(unknown)
    assert sites > 50  # the scan sees the code base


def test_the_ranking_is_the_documented_order():
    assert [rank.label for rank in sorted(LockRank)] == [
        "standalone", "idempotency", "subject", "user", "risk_scope", "hold", "ledger_account"]


def test_the_classifier_reads_each_kind_of_lock():
    assert classify("SELECT pg_try_advisory_xact_lock(12)") == (LockRank.IDEMPOTENCY, None)
    assert classify("SELECT 1 FROM accounts_user WHERE id = 7 FOR UPDATE") == (LockRank.USER, None)
    assert classify("SELECT pg_advisory_xact_lock(1), pg_advisory_xact_lock(2)") == (LockRank.RISK_SCOPE, None)
    assert classify('SELECT "ledger_hold"."id" FROM "ledger_hold" WHERE id = 3 FOR UPDATE') == (LockRank.HOLD, None)
    assert classify("UPDATE ledger_account SET balance = balance + -5 WHERE id = 42 AND balance + -5 >= 0") == \
        (LockRank.LEDGER_ACCOUNT, 42)
    assert classify('SELECT "orders_order"."id" FROM "orders_order" WHERE id = 1 FOR UPDATE OF "orders_order"') == \
        (LockRank.SUBJECT, None)
    assert classify("SELECT 1 FROM orders_order") is None


def test_lock_ledger_accounts_locks_in_ascending_id(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from tenant_apps.ledger.models import AccountKind
    from tenant_apps.ledger.services import system_account

    with schema_context("ng"):
        ids = [system_account(kind=kind, currency="NGN").pk for kind in (AccountKind.HOLDS, AccountKind.REVENUE)]
        with CaptureQueriesContext(connection) as captured:
            assert lock_ledger_accounts(reversed(ids + ids)) == sorted(set(ids))
    [sql] = [q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"]]
    assert "ORDER BY id FOR UPDATE" in sql
