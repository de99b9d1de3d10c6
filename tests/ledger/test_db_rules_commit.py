"""Deferred balance checks at a real COMMIT (committed data: no rollback around these tests)."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from tenant_apps.ledger.errors import UnbalancedEntry
from tenant_apps.ledger.models import Account, AccountKind, JournalEntry, Posting
from tenant_apps.ledger.services import Line, post_entry, system_account


def _raw_entry(lines: list[tuple[Account, int]], reference: str) -> None:
    entry = JournalEntry.objects.create(entry_type="raw", reference=reference)
    for account, amount in lines:
        Posting.objects.create(entry=entry, account=account, amount=amount, currency=account.currency)


def test_unbalanced_entry_is_refused_at_a_real_commit(live_db):
    reference = f"unbalanced-commit-{uuid.uuid4()}"
    with schema_context("ng"):
        a = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
        b = system_account(kind=AccountKind.REVENUE, currency="NGN")
        with pytest.raises(IntegrityError, match="does not balance"):
            with transaction.atomic():
                _raw_entry([(a, 100), (b, -99)], reference)
        assert not JournalEntry.objects.filter(reference=reference).exists()
        with pytest.raises(IntegrityError, match="at least two"):
            with transaction.atomic():
                _raw_entry([], reference + "-empty")
        with pytest.raises(IntegrityError, match="at least two"):
            with transaction.atomic():
                JournalEntry.objects.create(entry_type="raw", reference=reference + "-one")
                # a lone zero-sum posting is impossible (amount <> 0), so one posting alone never balances
        assert not JournalEntry.objects.filter(reference__startswith=reference).exists()


def test_unbalanced_currencies_are_checked_separately(live_db):
    """+100 NGN and -100 GHS sum to zero as numbers but not per currency."""
    reference = f"mixed-{uuid.uuid4()}"
    with schema_context("ng"):
        ngn = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
        ghs = system_account(kind=AccountKind.SUSPENSE, currency="GHS")
        with pytest.raises(IntegrityError, match="does not balance"):
            with transaction.atomic():
                _raw_entry([(ngn, 100), (ghs, -100)], reference)
        with pytest.raises(UnbalancedEntry):
            post_entry(entry_type="raw", reference=reference, lines=[Line(ngn, 100), Line(ghs, -100)])
