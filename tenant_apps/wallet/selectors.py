"""Reconciliation reads: what the ledger says against what the caches say."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from tenant_apps.ledger.models import AccountKind


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    subject: str
    expected: int
    actual: int
    detail: str = ""

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.kind}: {self.subject} expected {self.expected} found {self.actual}{extra}"


_WALLET_MISMATCH = """
SELECT a.id, a.public_id::text, a.kind, a.currency, a.balance, COALESCE(p.total, 0)
FROM ledger_account a
LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_posting GROUP BY account_id) p ON p.account_id = a.id
WHERE a.balance IS NOT NULL AND a.balance <> COALESCE(p.total, 0)
ORDER BY a.id
"""
_UNBALANCED = """
SELECT entry_id, currency, SUM(amount) FROM ledger_posting GROUP BY entry_id, currency
HAVING SUM(amount) <> 0 ORDER BY entry_id
"""
_TOO_FEW_POSTINGS = """
SELECT e.id, e.entry_type, e.reference, COUNT(p.id) FROM ledger_journalentry e
LEFT JOIN ledger_posting p ON p.entry_id = e.id GROUP BY e.id HAVING COUNT(p.id) < 2 ORDER BY e.id
"""
_HOLDS = """
SELECT c.currency, COALESCE(acc.total, 0), COALESCE(h.total, 0)
FROM (SELECT currency FROM ledger_account WHERE kind = %(holds)s AND owner_id IS NULL
      UNION SELECT currency FROM ledger_hold WHERE status = 'placed') c
LEFT JOIN (SELECT p.currency, SUM(p.amount) AS total FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id
           WHERE a.kind = %(holds)s AND a.owner_id IS NULL GROUP BY p.currency) acc ON acc.currency = c.currency
LEFT JOIN (SELECT currency, SUM(amount) AS total FROM ledger_hold WHERE status = 'placed' GROUP BY currency) h
       ON h.currency = c.currency
WHERE COALESCE(acc.total, 0) <> COALESCE(h.total, 0)
"""


def ledger_discrepancies() -> list[Discrepancy]:
    """Everything in the current schema's ledger that does not add up (read-only)."""
    found: list[Discrepancy] = []
    with connection.cursor() as cursor:
        cursor.execute(_WALLET_MISMATCH)
        for _id, public_id, kind, currency, cached, total in cursor.fetchall():
            found.append(Discrepancy("wallet_balance_mismatch", f"{kind} {public_id} {currency}", total, cached,
                                     "cached balance vs sum of postings"))
        cursor.execute(_UNBALANCED)
        for entry_id, currency, total in cursor.fetchall():
            found.append(Discrepancy("entry_unbalanced", f"entry {entry_id} {currency}", 0, total))
        cursor.execute(_TOO_FEW_POSTINGS)
        for entry_id, entry_type, reference, count in cursor.fetchall():
            found.append(Discrepancy("entry_too_few_postings", f"entry {entry_id} {entry_type}:{reference}", 2, count))
        cursor.execute(_HOLDS, {"holds": AccountKind.HOLDS.value})
        for currency, account_total, placed_total in cursor.fetchall():
            found.append(Discrepancy("holds_account_mismatch", f"holds {currency}", placed_total, account_total,
                                     "holds account balance vs placed holds"))
    return found
