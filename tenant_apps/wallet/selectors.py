"""Reconciliation reads: what the ledger says against what the caches say."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

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
    for check in settings.LEDGER_RECONCILE_CHECKS:  # apps with accounts of their own (merchants, savings)
        found.extend(import_string(check)())
    return found


# Gateway credits: entries posted by funding (reference "<gateway>:fund_<hex>", or "<gateway>:dva_<gateway ref>" for a
# transfer into a dedicated account) against verified intents.
# A reseller-float intent's credit entry is the reseller side of the float funding (float_funding +amount).
_CREDIT_WITHOUT_INTENT = r"""
SELECT e.id, e.reference, COALESCE(SUM(p.amount) FILTER (WHERE a.balance IS NOT NULL), 0), MIN(p.currency)
FROM ledger_journalentry e
JOIN ledger_posting p ON p.entry_id = e.id JOIN ledger_account a ON a.id = p.account_id
LEFT JOIN wallet_fundingintent i ON i.credit_entry_id = e.id
WHERE e.entry_type = 'funding' AND e.reference ~ '^[a-z_]+:(fund_[0-9a-f]+|dva_.+)$'
  AND (i.id IS NULL OR i.status <> 'succeeded')
GROUP BY e.id ORDER BY e.id
"""
_CREDIT_AMOUNT_MISMATCH = """
SELECT i.reference, i.amount_minor, i.currency, COALESCE(i.verified_amount_minor, -1), i.verified_currency,
       COALESCE(CASE WHEN i.purpose = 'reseller_float' THEN w.float_total ELSE w.total END, 0),
       COALESCE(w.currency, '')
FROM wallet_fundingintent i
LEFT JOIN (SELECT p.entry_id, SUM(p.amount) FILTER (WHERE a.balance IS NOT NULL) AS total,
                  SUM(p.amount) FILTER (WHERE a.kind = 'float_funding') AS float_total,
                  MIN(p.currency) AS currency FROM ledger_posting p
           JOIN ledger_account a ON a.id = p.account_id GROUP BY p.entry_id) w
       ON w.entry_id = i.credit_entry_id
WHERE i.status = 'succeeded'
  AND (i.credit_entry_id IS NULL
       OR COALESCE(CASE WHEN i.purpose = 'reseller_float' THEN w.float_total ELSE w.total END, 0) <> i.amount_minor
       OR w.currency <> i.currency
       OR i.verified_amount_minor IS DISTINCT FROM i.amount_minor OR i.verified_currency <> i.currency)
ORDER BY i.id
"""
_DOUBLE_CREDIT = """
SELECT i.reference, COUNT(e.id) FROM wallet_fundingintent i
JOIN ledger_journalentry e ON e.entry_type = 'funding' AND e.reference = i.gateway || ':' || i.reference
GROUP BY i.reference HAVING COUNT(e.id) <> (CASE WHEN MIN(i.status) = 'succeeded' THEN 1 ELSE 0 END)
"""
_UNKNOWN_PAYMENTS = """
SELECT provider, event_id, subject FROM wallet_webhookevent WHERE outcome = 'unknown_payment' ORDER BY id
"""
_IN_REVIEW = """
SELECT reference, amount_minor, currency, COALESCE(verified_amount_minor, 0), verified_currency
FROM wallet_fundingintent WHERE status = 'review' ORDER BY id
"""


def gateway_discrepancies() -> list[Discrepancy]:
    """Gateway credits that are not backed by exactly one verified, matching intent (read-only)."""
    found: list[Discrepancy] = []
    with connection.cursor() as cursor:
        cursor.execute(_CREDIT_WITHOUT_INTENT)
        for entry_id, reference, amount, currency in cursor.fetchall():
            found.append(Discrepancy("gateway_credit_without_verified_intent", f"entry {entry_id} {reference}",
                                     0, amount, currency))
        cursor.execute(_CREDIT_AMOUNT_MISMATCH)
        for reference, amount, currency, verified, verified_currency, credited, credited_currency in cursor.fetchall():
            found.append(Discrepancy("gateway_credit_mismatch", f"intent {reference}", amount, credited,
                                     f"{currency}; verified {verified} {verified_currency}; "
                                     f"credited in {credited_currency or 'nothing'}"))
        cursor.execute(_DOUBLE_CREDIT)
        for reference, count in cursor.fetchall():
            found.append(Discrepancy("gateway_credit_count", f"intent {reference}", 1, count))
        cursor.execute(_UNKNOWN_PAYMENTS)
        for provider, event_id, subject in cursor.fetchall():
            found.append(Discrepancy("gateway_payment_without_intent", f"{provider} {event_id} {subject}", 0, 1,
                                     "a signed successful payment no funding intent of this tenant matches"))
        cursor.execute(_IN_REVIEW)
        for reference, amount, currency, verified, verified_currency in cursor.fetchall():
            found.append(Discrepancy("funding_needs_review", f"intent {reference}", amount, verified,
                                     f"{currency} expected, {verified_currency or '?'} verified; not credited"))
    return found
