"""count_hold_postings: a hold's two postings counted under its currency once the transaction commits (as
_count_currencies counts them; issue 18 dropped its Counter and closure from the purchase)."""

from __future__ import annotations

import pytest

from shared_apps.core.metrics import LEDGER_POSTINGS
from tenant_apps.ledger.services import count_hold_postings

pytestmark = pytest.mark.django_db


def _count(currency: str) -> float:
    return LEDGER_POSTINGS.labels(currency=currency)._value.get()


def test_two_postings_when_the_transaction_commits(django_capture_on_commit_callbacks):
    before = _count("GHS")
    with django_capture_on_commit_callbacks() as waiting:
        count_hold_postings("GHS")
        assert _count("GHS") == before  # not before the commit
    assert len(waiting) == 1 and _count("GHS") == before
    with django_capture_on_commit_callbacks(execute=True):
        count_hold_postings("GHS")
    assert _count("GHS") == before + 2
