"""Refused means nothing happened: every row of a tenant's schema is the same after a refused request.

``with nothing_changes("ng"):`` around the requests a test expects to be refused (401/403/404/409...) takes the
row count and an md5 of every row of every table of each schema (tests/support/attack.py's fingerprint, what the
isolation suite compares per endpoint) before and after, and fails naming the tables that moved, with the money
summary (orders, journal entries, postings, holds, wallet balances, audit events) so a failure reads at a glance.
A status code alone does not prove a refusal: a handler that moved the money and then answered 403 passes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django_tenants.utils import schema_context

from tests.support.attack import fingerprint_diff, schema_fingerprint

# What a reader checks first when a refusal changed something: label -> (table, aggregates).
MONEY = {
    "orders": ("orders_order", "count(*)"),
    "journal entries": ("ledger_journalentry", "count(*)"),
    "postings": ("ledger_posting", "count(*), coalesce(sum(abs(amount)), 0)"),
    "holds": ("ledger_hold", "count(*), coalesce(sum(amount), 0)"),
    "wallet balances": ("ledger_account", "count(*), coalesce(sum(balance), 0)"),
    "audit events": ("audit_auditevent", "count(*)"),
}


def money_summary(schema: str, tables) -> dict[str, tuple]:
    """The MONEY figures of ``schema`` (the ones whose table it has: public has no ledger)."""
    summary = {}
    with schema_context(schema), connection.cursor() as cursor:
        for label, (table, aggregates) in MONEY.items():
            if table in tables:
                cursor.execute(f"SELECT {aggregates} FROM {table}")
                summary[label] = tuple(cursor.fetchone())
    return summary


def snapshot(schemas: tuple[str, ...]) -> dict[str, dict]:
    with schema_context("public"):
        return {schema: schema_fingerprint(schema) for schema in schemas}


@contextmanager
def nothing_changes(*schemas: str, ignore: tuple[str, ...] = ()) -> Iterator[None]:
    """Fail if any row of any table of ``schemas`` (default ``ng``) differs after the block.

    ``ignore``: tables a refusal may legitimately write (name them in the test, with the reason)."""
    schemas = schemas or ("ng",)
    before = snapshot(schemas)
    money_before = {schema: money_summary(schema, before[schema]) for schema in schemas}
    yield
    after = snapshot(schemas)
    problems = []
    for schema in schemas:
        changed = {table: change for table, change in fingerprint_diff(before[schema], after[schema]).items()
                   if table not in ignore}
        if changed:
            money_after = money_summary(schema, after[schema])
            moved = {label: (figure, money_after.get(label)) for label, figure in money_before[schema].items()
                     if figure != money_after.get(label)}
            problems.append(f"{schema}: tables changed {sorted(changed)}; money/audit before -> after: {moved}")
    assert not problems, "a refused request changed rows:\n" + "\n".join(problems)
