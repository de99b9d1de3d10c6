"""Read-only work reads the replica; nothing is ever written there.

The ``replica`` alias here is the test database opened as a role that can only
read (``pg_read_all_data``, ``default_transaction_read_only``), so any write
routed there fails the test, as it would fail against a real streaming replica.
Data must be committed to be seen by another connection: these tests use
``live_db`` (unique rows, never rolled back), like a replica in production.
"""

from __future__ import annotations

import csv
import io
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants.replica import REPLICA_ALIAS, reporting_alias, reporting_reads
from tests.accounts.helpers import PASSWORD, call, login, make_user
from tests.support.databases import register_alias, unregister_alias

READ_ONLY_ROLE = "nexustop_test_replica_reader"


def _admin_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"],
                           password=db["PASSWORD"] or None, dbname=db["NAME"], autocommit=True)


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    """Alias ``replica``: the test database as a read-only role (created once per server)."""
    with _admin_connection() as admin:
        exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [READ_ONLY_ROLE]).fetchone()
        if not exists:
            admin.execute(f"CREATE ROLE {READ_ONLY_ROLE} LOGIN")
        admin.execute(f"GRANT pg_read_all_data TO {READ_ONLY_ROLE}")
        admin.execute(f"ALTER ROLE {READ_ONLY_ROLE} SET default_transaction_read_only = on")
    replica_settings = dict(settings.DATABASES["default"])
    replica_settings.update(USER=READ_ONLY_ROLE, PASSWORD="", POOL_MODE="session",
                            DISABLE_SERVER_SIDE_CURSORS=False, TEST={"MIRROR": "default"})
    register_alias(REPLICA_ALIAS, replica_settings)
    try:
        yield connections[REPLICA_ALIAS]
    finally:
        unregister_alias(REPLICA_ALIAS)


def _tables(queries: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in queries.captured_queries)


@pytest.mark.django_db
def test_reporting_reads_are_routed_by_the_replica_router():
    """(Marked django_db so that running this module alone creates the test database first.)"""
    assert "tenants.replica.ReplicaRouter" in settings.DATABASE_ROUTERS


def test_the_replica_alias_cannot_write(live_db, replica):
    """The control: a write routed to this alias fails, so the tests below would catch one."""
    from django.db import DatabaseError

    replica.set_schema("ng")
    with pytest.raises(DatabaseError, match="read-only"), replica.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET currency = currency WHERE false")
    replica.close()


def test_statement_and_csv_export_read_the_replica(live_db, replica):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    email = f"replica-{uuid.uuid4().hex[:8]}@ng.example"
    user = make_user("ng", email=email, phone=f"+23480{uuid.uuid4().int % 10**8:08d}")
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=user), amount=123_45, reference=f"paystack:replica-{user.public_id}")
    client = Client(HTTP_HOST="ng.localhost")
    token = login(client, email)["access"]

    with CaptureQueriesContext(connection) as primary, CaptureQueriesContext(replica) as on_replica:
        page = call(client, "GET", "/api/wallet/transactions", token=token)
        export = call(client, "GET", "/api/wallet/transactions", {"format": "csv"}, token=token)
    assert page.status_code == 200, page.content
    assert [row["amount"] for row in page.json()["results"]] == ["123.45"]
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert len(rows) == 1 and rows[0]["amount"] == "123.45"
    # The statement's postings were read on the replica, in the tenant's schema; none on the primary.
    assert _tables(on_replica).count("ledger_posting") >= 2
    assert "ledger_posting" not in _tables(primary)
    # Authentication stays on the primary (a token must be checked against current data).
    assert "accounts_user" in _tables(primary)


def test_a_write_inside_a_reporting_block_goes_to_the_primary(live_db, replica):
    from tenant_apps.accounts.models import User

    with schema_context("ng"):
        with reporting_reads() as alias:
            assert alias == REPLICA_ALIAS and replica.schema_name == "ng"
            before = User.objects.count()  # read on the replica
            user = User.objects.create_user(email=f"w-{uuid.uuid4().hex[:8]}@ng.example", password=PASSWORD)
            assert user._state.db == "default"  # the replica would have refused it (read-only)
        assert User.objects.count() == before + 1
        with reporting_reads():
            fetched = User.objects.get(pk=user.pk)
        assert fetched._state.db == REPLICA_ALIAS
        fetched.preferred_language = "fr"
        fetched.save()  # outside the block: the primary, not the replica it was read from
        assert User.objects.get(pk=user.pk).preferred_language == "fr"


def test_the_console_reads_every_tenant_from_the_replica(live_db, replica):
    from tenant_apps.accounts.models import User

    email = f"analyst-{uuid.uuid4().hex[:6]}@nexustop.example"
    User.objects.create_user(email=email, password=PASSWORD, role="analyst", is_staff=True)
    client = Client(HTTP_HOST="localhost")
    assert client.post("/console/login", {"email": email, "password": PASSWORD}).status_code == 302
    with CaptureQueriesContext(connection) as primary, CaptureQueriesContext(replica) as on_replica:
        analytics = client.get("/console/analytics")
        tenant_list = client.get("/console/tenants")
    assert analytics.status_code == 200 and "<svg" in analytics.content.decode()
    assert tenant_list.status_code == 200 and "NexusTop Nigeria" in tenant_list.content.decode()
    assert "orders_order" in _tables(on_replica) and "orders_order" not in _tables(primary)
    assert "tenants_tenant" in _tables(on_replica)


def test_without_a_replica_reporting_reads_the_primary(live_db, replica):
    unregister_alias(REPLICA_ALIAS)
    try:
        with reporting_reads() as alias:
            assert alias == "default" == reporting_alias()
    finally:
        register_alias(REPLICA_ALIAS, {**settings.DATABASES["default"], "USER": READ_ONLY_ROLE, "PASSWORD": "",
                                       "POOL_MODE": "session", "DISABLE_SERVER_SIDE_CURSORS": False})
