"""Reconciliation reports discrepancies (never fixes them) and exits non-zero when there are any."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from tenant_apps.ledger.models import Account, AccountKind, JournalEntry, Posting
from tenant_apps.ledger.services import fund_wallet, place_hold, system_account, wallet_for
from tenant_apps.wallet.selectors import ledger_discrepancies
from tenant_apps.wallet.tasks import reconcile_ledgers_task
from tenants.connection import tenant_connection
from tests.ledger.helpers import new_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def wallet(ng):
    wallet = wallet_for(user=new_user(), currency="NGN")
    fund_wallet(wallet=wallet, amount=1_000, reference=f"fund-{uuid.uuid4()}")
    place_hold(wallet=wallet, amount=100, reference=f"hold-{uuid.uuid4()}")
    return wallet


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("reconcile_ledger", *args, stdout=out)
    return out.getvalue()


def test_a_clean_ledger_reconciles_in_every_schema(wallet):
    output = run()
    for schema in ("ng", "sn", "gh", "quickvend"):
        assert f"{schema}: OK" in output
    assert "no discrepancies" in output


def test_a_tampered_wallet_balance_is_reported_not_fixed(wallet):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance = balance + 7 WHERE id = %s", [wallet.pk])
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 ledger discrepancies"):
        call_command("reconcile_ledger", "--schema", "ng", stdout=out)
    assert f"wallet_balance_mismatch: user_wallet {wallet.public_id} NGN expected 900 found 907" in out.getvalue()
    with schema_context("ng"):
        assert Account.objects.get(pk=wallet.pk).balance == 907  # reported, never silently fixed
    assert reconcile_ledgers_task.apply().get()["ng"] == 1
    tenant_connection().set_schema("ng")


def test_a_tampered_hold_is_reported(wallet):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_hold SET amount = amount + 1 WHERE wallet_id = %s", [wallet.pk])
    kinds = [d.kind for d in ledger_discrepancies()]
    assert kinds == ["holds_account_mismatch"]


def test_an_unbalanced_entry_would_be_reported(wallet):
    """The trigger normally makes this impossible; disable it (rolled back) to prove the check works."""
    suspense = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush the fixture's pending checks first
        cursor.execute("ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_balances")
        cursor.execute("ALTER TABLE ledger_journalentry DISABLE TRIGGER ledger_entry_has_postings")
    entry = JournalEntry.objects.create(entry_type="broken", reference=f"broken-{uuid.uuid4()}")
    Posting.objects.create(entry=entry, account=suspense, amount=5, currency="NGN")
    kinds = sorted(d.kind for d in ledger_discrepancies())
    assert kinds == ["entry_too_few_postings", "entry_unbalanced"]
    with pytest.raises(CommandError):
        run("--schema", "ng")
