"""Test-session fixtures.

Tenant schemas are created once per test session (in ``django_db_setup``),
cloned from the template schema, and reused by every test: ordinary tests run
inside a transaction that is rolled back, so they may create users, schemas or
rows freely without leaking into the next test.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.support.tenants import TEST_TENANTS, ensure_test_tenants

# A reused test database (--reuse-db, the default) still runs ``migrate`` when the session starts, and
# django-tenants' standard executor re-migrates every tenant schema even when nothing is pending (~0.6 s
# each under load): with the sixteen-country tenants kept (tests/support/tenants.py) that was 8-14 s of
# every session's setup, on each xdist worker. The pending executor (tenants/migration_executors.py, what
# deploys use) skips the schemas that already have every migration: 1.4 s for 18 tenants.
os.environ.setdefault("EXECUTOR", "pending")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_test_tenants()
    yield


@pytest.fixture
def live_db(django_db_setup, django_db_blocker):
    """Database access with real commits, for tests with other processes or threads.

    Nothing is rolled back: create uniquely named rows and never assume an
    empty table. (Never use ``transaction=True``: its flush would truncate the
    public schema's tenant rows.)
    """
    with django_db_blocker.unblock():
        # pytest-django creates the test database only if a selected test is marked django_db;
        # without one, this would commit into the real database named by DATABASE_URL.
        if not connection.settings_dict["NAME"].startswith("test_"):
            pytest.fail("live_db: the test database is not set up (select a django_db test in the same run)")
        yield
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _reset_schema_to_public():
    """Every test starts, and leaves the connection, on the public schema."""
    yield
    connection.set_schema_to_public()


@pytest.fixture
def tenants(db):
    """The session's tenants keyed by short name: ng, sn, gh, quickvend."""
    from tenants.models import Tenant

    return {spec.key: Tenant.objects.get(schema_name=spec.schema) for spec in TEST_TENANTS}


@pytest.fixture
def tenant_ng(tenants):
    return tenants["ng"]


@pytest.fixture
def tenant_sn(tenants):
    return tenants["sn"]


@pytest.fixture
def host_client():
    """A Django test client bound to a Host header: ``host_client("ng.localhost")``."""
    from django.test import Client

    def make(host: str) -> Client:
        return Client(HTTP_HOST=host)

    return make


@pytest.fixture
def in_schema():
    """Context manager to run a block inside a tenant schema."""
    return schema_context
