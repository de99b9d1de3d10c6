"""Two finance users deciding on one top-up in review at once (real commits): exactly one decision moves money."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenant_apps.ledger.models import AccountKind, JournalEntry
from tenant_apps.ledger.selectors import system_balance
from tenant_apps.wallet.funding_reviews import FUNDING_REVIEW_CREDIT_ENTRY, FUNDING_REVIEW_REFUND_ENTRY
from tenant_apps.wallet.models import FundingIntent
from tests.support.concurrency import run_concurrently
from tests.wallet.helpers import assert_books_balance, balance_of, client_for, new_customer, post, verified_intent


def test_two_finance_users_deciding_at_once_settle_it_exactly_once(live_db):
    user = new_customer()
    intent = verified_intent(user, asked_minor=25_000, paid_minor=2_500, paid_currency="NGN", gateway="flutterwave")
    with schema_context("ng"):
        assert intent.status == "review"
        suspense_before = system_balance(kind=AccountKind.SUSPENSE, currency="NGN")
    clients = [client_for(new_customer(role="operator_finance")) for _ in range(2)]
    bodies = [{"action": "credit"}, {"action": "refunded", "gateway_refund_reference": "x"}]
    path = f"/api/wallet/funding-reviews/{intent.public_id}/resolve"
    answers = run_concurrently(2, lambda index: post(clients[index], path, bodies[index]).status_code)
    assert sorted(answers) == [200, 409], answers  # type: ignore[type-var]
    with schema_context("ng"):
        entries = JournalEntry.objects.filter(reference=intent.ledger_reference,
                                              entry_type__in=[FUNDING_REVIEW_CREDIT_ENTRY, FUNDING_REVIEW_REFUND_ENTRY])
        assert entries.count() == 1
        assert system_balance(kind=AccountKind.SUSPENSE, currency="NGN") == suspense_before - 2_500
        resolution = FundingIntent.objects.get(pk=intent.pk).resolution
    assert balance_of(user) == (2_500 if resolution == "credited" else 0)
    assert_books_balance("ng")
