"""Test-session fixtures.

Tenant schemas are created once per test session (in ``django_db_setup``),
cloned from the template schema, and reused by every test: ordinary tests run
inside a transaction that is rolled back, so they may create users, schemas or
rows freely without leaking into the next test.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenants.connection import tenant_connection
from tests.support import module_weights, static_index, template_db
from tests.support.tenants import TEST_TENANTS, ensure_test_tenants

# Fixtures shared by several folders, registered once for the whole suite (none is autouse). A test module never
# imports a conftest (tests/foundation/test_test_layout.py).
pytest_plugins = [
    "tests.fixtures.catalog",
    "tests.fixtures.gateways",
    "tests.fixtures.purchase",
    "tests.fixtures.sms_kyc",
    "tests.fixtures.storage",
]

# A reused test database (--reuse-db, the default) still runs ``migrate`` when the session starts, and
# django-tenants' standard executor re-migrates every tenant schema even when nothing is pending (~0.6 s
# each under load): with the sixteen-country tenants kept (tests/support/tenants.py) that was 8-14 s of
# every session's setup, on each xdist worker. The pending executor (tenants/migration_executors.py, what
# deploys use) skips the schemas that already have every migration: 1.4 s for 18 tenants.
os.environ.setdefault("EXECUTOR", "pending")


def pytest_configure(config):
    """An xdist controller makes its workers one run: they copy one template database (tests/support/template_db.py).

    Every process indexes the static files once, not once per test client (tests/support/static_index.py)."""
    static_index.install()
    if not hasattr(config, "workerinput") and len(getattr(config.option, "tx", None) or []) >= 2:
        os.environ.setdefault(template_db.RUN_ENV, uuid.uuid4().hex)


def pytest_collection_modifyitems(config, items):
    """Heaviest modules first (tests/support/module_weights.py), so no worker is left alone with a long one at
    the end of an xdist run; within a module the order is unchanged."""
    order = module_weights.heaviest_first([item.nodeid for item in items])
    items[:] = [items[index] for index in order]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, django_db_use_migrations,
                                 django_db_keepdb, django_db_createdb):
    """pytest-django's last word on the test database settings: a copy of the run's template, when there is one."""
    if django_db_use_migrations:
        template_db.use_template(createdb=django_db_createdb, keepdb=django_db_keepdb)


def is_test_database() -> bool:
    return connection.settings_dict["NAME"].startswith("test_")


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker, django_db_keepdb, django_db_createdb):
    """pytest-django's test database, also when no selected test asks pytest-django for one.

    pytest-django sets up the databases of the selected tests that are marked ``django_db`` or use ``db``,
    ``transactional_db`` or ``live_server``. Tests that commit (``live_db``, the module-scoped stacks and
    servers) depend on this fixture instead: a run that selects only them got no test database, and
    ``ensure_test_tenants`` (and every commit) would have gone to the real database named by DATABASE_URL.
    Such a run sets the default database up here, the way pytest-django would have.
    """
    from django.test.utils import setup_databases, teardown_databases

    created = None
    with django_db_blocker.unblock():
        if not is_test_database():
            # Django takes any collection of aliases (only membership is asked); its stub says Mapping.
            created = setup_databases(verbosity=request.config.option.verbose, interactive=False,
                                      aliases={"default"},  # type: ignore[arg-type]
                                      keepdb=django_db_keepdb and not django_db_createdb)
        if not is_test_database():
            pytest.fail(f"the test database is not set up (default is {connection.settings_dict['NAME']!r})")
        ensure_test_tenants()
    yield
    if created is not None and not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=request.config.option.verbose)


@pytest.fixture
def live_db(django_db_setup, django_db_blocker):
    """Database access with real commits, for tests with other processes or threads.

    Nothing is rolled back: create uniquely named rows and never assume an
    empty table. (Never use ``transaction=True``: its flush would truncate the
    public schema's tenant rows.) Works alone: ``django_db_setup`` sets the test database up
    even when no selected test is marked ``django_db``.
    """
    with django_db_blocker.unblock():
        assert is_test_database()
        before = _country_operations()
        yield
        tenant_connection().set_schema_to_public()
        _retire_new_country_operations(before)


def _country_operations() -> set[int]:
    from tenants.models import Tenant, TenantKind

    return set(Tenant.objects.filter(kind=TenantKind.COUNTRY_OPERATION).values_list("pk", flat=True))


def _retire_new_country_operations(before: set[int]) -> None:
    """A country operation a live test created (committed: ``tg1a2b3c`` for Togo) is suspended when it ends: the
    platform routes a country's remittances to its oldest active operation, which must stay the suite's own site
    (tests.support.tenants) for the tests that come later in this worker."""
    from tenants.models import Tenant, TenantKind, TenantStatus
    from tests.support.tenants import COUNTRY_TENANTS

    canonical = {spec.schema for spec in (*TEST_TENANTS, *COUNTRY_TENANTS)}
    (Tenant.objects.filter(kind=TenantKind.COUNTRY_OPERATION, status=TenantStatus.ACTIVE)
     .exclude(pk__in=before).exclude(schema_name__in=canonical).update(status=TenantStatus.SUSPENDED))


@pytest.fixture(scope="module")
def country_sites(django_db_setup, django_db_blocker):
    """The 16 country operations (``tests.support.country_sites.SITES``: schema and domain by country), provisioned
    once per module that asks for them."""
    from tests.support.country_sites import SITES
    from tests.support.tenants import ensure_country_tenants

    with django_db_blocker.unblock():
        ensure_country_tenants()
    return SITES


@pytest.fixture(autouse=True)
def _reset_schema_to_public():
    """Every test starts, and leaves the connection, on the public schema."""
    yield
    tenant_connection().set_schema_to_public()


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
