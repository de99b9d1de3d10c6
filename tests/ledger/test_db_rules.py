"""The database itself refuses what would corrupt the ledger (whatever code or SQL client writes)."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from tenant_apps.ledger.models import Account, AccountKind, JournalEntry, Posting
from tenant_apps.ledger.services import fund_wallet, system_account, wallet_for
from tests.ledger.helpers import new_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(ng):
    wallet = wallet_for(user=new_user(), currency="NGN")
    entry = fund_wallet(wallet=wallet, amount=5_000, reference=f"fund-{uuid.uuid4()}")
    return entry, wallet


def _sql(statement: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_posting SET amount = amount * 2 WHERE entry_id = %s",
    "DELETE FROM ledger_posting WHERE entry_id = %s",
    "UPDATE ledger_journalentry SET reference = 'x' WHERE id = %s",
    "DELETE FROM ledger_journalentry WHERE id = %s",
])
def test_update_and_delete_of_entries_and_postings_are_refused(posted, statement):
    entry, _ = posted
    with pytest.raises(IntegrityError, match="append-only"):
        _sql(statement, [entry.pk])
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-5_000, 5_000]


@pytest.mark.parametrize("table", ["ledger_posting", "ledger_journalentry"])
def test_truncate_is_refused(posted, table):
    _sql("SET CONSTRAINTS ALL IMMEDIATE")  # fire the fixture's pending deferred checks first
    with pytest.raises(IntegrityError, match="append-only"):
        _sql(f"TRUNCATE {table} CASCADE")


def test_orm_delete_is_refused_too(posted):
    entry, _ = posted
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            Posting.objects.filter(entry=entry).delete()
    assert entry.postings.count() == 2


def test_wallet_balance_cannot_go_negative_even_by_direct_sql(posted):
    _, wallet = posted
    with pytest.raises(IntegrityError, match="ledger_wallet_balance_non_negative"):
        _sql("UPDATE ledger_account SET balance = -1 WHERE id = %s", [wallet.pk])


def test_posting_currency_must_be_the_accounts_currency(ng):
    ngn = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
    ghs = system_account(kind=AccountKind.SUSPENSE, currency="GHS")
    with pytest.raises(IntegrityError, match="ledger_posting_account_currency_fk"):
        with transaction.atomic():
            entry = JournalEntry.objects.create(entry_type="test", reference=f"cur-{uuid.uuid4()}")
            Posting.objects.create(entry=entry, account=ngn, amount=10, currency="GHS")
            Posting.objects.create(entry=entry, account=ghs, amount=-10, currency="GHS")


def _raw_entry(lines: list[tuple[Account, int]], reference: str) -> None:
    entry = JournalEntry.objects.create(entry_type="raw", reference=reference)
    for account, amount in lines:
        Posting.objects.create(entry=entry, account=account, amount=amount, currency=account.currency)


def test_unbalanced_entry_is_refused_when_constraints_are_checked(ng):
    """In a rolled-back test the deferred trigger is fired by SET CONSTRAINTS ALL IMMEDIATE."""
    a = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
    b = system_account(kind=AccountKind.REVENUE, currency="NGN")
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic():
            _raw_entry([(a, 100), (b, -99)], f"unbalanced-{uuid.uuid4()}")
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_deferred_check_lets_postings_arrive_one_by_one(ng):
    a = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
    b = system_account(kind=AccountKind.REVENUE, currency="NGN")
    reference = f"onebyone-{uuid.uuid4()}"
    with transaction.atomic():
        _raw_entry([(a, 100), (b, -60), (b, -40)], reference)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert JournalEntry.objects.get(reference=reference).postings.count() == 3


def test_a_posting_added_to_an_entry_already_checked_is_checked_again(ng):
    """The entry balanced when its checks fired; one more posting later in the transaction is refused."""
    a = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
    b = system_account(kind=AccountKind.REVENUE, currency="NGN")
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_entry([(a, 100), (b, -100)], f"later-{uuid.uuid4()}")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the entry's checks pass here
            entry = JournalEntry.objects.latest("id")
            Posting.objects.create(entry=entry, account=a, amount=5, currency="NGN")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _qualified_entry(cursor, schema: str, lines: list[tuple[Account, int]]) -> None:
    """An entry and its postings written with schema-qualified SQL (whatever the search path says)."""
    cursor.execute(f"INSERT INTO {schema}.ledger_journalentry (entry_type, reference, metadata, created_at) "
                   "VALUES ('raw', %s, '{}', now()) RETURNING id", [f"qualified-{uuid.uuid4()}"])
    entry_id = cursor.fetchone()[0]
    for account, amount in lines:
        cursor.execute(f"INSERT INTO {schema}.ledger_posting (entry_id, account_id, amount, currency) "
                       "VALUES (%s, %s, %s, %s)", [entry_id, account.pk, amount, account.currency])


def test_the_checks_read_the_schema_written_whatever_the_search_path(tenants):
    """The checks read the trigger's own schema: an unbalanced entry written in ng while the connection's path
    is sn's is refused (sn's ledger_posting, first on the path, has no postings for that entry)."""
    with schema_context("ng"):
        a = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
        b = system_account(kind=AccountKind.REVENUE, currency="NGN")
    with schema_context("sn"), pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            _qualified_entry(cursor, "ng", [(a, 100), (b, -99)])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with schema_context("sn"), pytest.raises(IntegrityError, match="at least two"):
        with transaction.atomic(), connection.cursor() as cursor:
            _qualified_entry(cursor, "ng", [])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_temporary_table_cannot_stand_in_for_the_postings(ng):
    """A temporary ``ledger_posting`` (searched before every schema) holding a balanced copy: the checks still
    read the real table and refuse the unbalanced entry."""
    a = system_account(kind=AccountKind.SUSPENSE, currency="NGN")
    b = system_account(kind=AccountKind.REVENUE, currency="NGN")
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE ledger_posting (id bigint, entry_id bigint, account_id bigint, "
                           "amount bigint, currency text) ON COMMIT DROP")
            _qualified_entry(cursor, "ng", [(a, 100), (b, -99)])
            cursor.execute("INSERT INTO pg_temp.ledger_posting (entry_id, amount, currency) "
                           "SELECT currval(pg_get_serial_sequence('ng.ledger_journalentry', 'id')), x, 'NGN' "
                           "FROM unnest(ARRAY[100, -100]) AS x")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_every_tenant_schema_has_the_triggers(tenants):
    """Tenants are cloned from the template schema: the clone must carry the triggers."""
    expected = {"ledger_posting_balances", "ledger_entry_has_postings", "ledger_posting_append_only",
                "ledger_posting_no_truncate", "ledger_entry_append_only", "ledger_entry_no_truncate"}
    with connection.cursor() as cursor:
        for schema in ["ng", "sn", "gh", "quickvend", "tenant_template"]:
            cursor.execute(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT t.tgisinternal",
                [schema])
            assert expected <= {row[0] for row in cursor.fetchall()}, schema
            cursor.execute(
                "SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = %s AND c.conname = 'ledger_posting_account_currency_fk'", [schema])
            assert cursor.fetchone(), schema
