"""Creating tenant schemas: clone a migrated template, or replay migrations.

Cloning the ``TENANT_BASE_SCHEMA`` template is much faster than running every
migration (figures in docs/benchmarks.md), but only correct while the template
is current. ``template_is_current`` compares the template's applied migrations
with the code's; a stale or missing template falls back to migrating, so a
forgotten ``sync_template_schema`` costs time, never correctness.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from functools import lru_cache

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists


def use_public_schema() -> None:
    """Point the connection at the public schema (django-tenants' wrapper method, typed)."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]


SCHEMA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,50}$")
RESERVED_SCHEMAS = {"public", "information_schema", "tenant_template"}


def template_schema_name() -> str:
    return getattr(settings, "TENANT_BASE_SCHEMA", "tenant_template")


def quote_ident(name: str) -> str:
    if not SCHEMA_NAME_RE.match(name) and name not in RESERVED_SCHEMAS:
        raise ValueError(f"unsafe schema name {name!r}")
    return '"' + name + '"'


@lru_cache(maxsize=1)
def _expected_migrations() -> frozenset[tuple[str, str]]:
    """Every migration on disk (cached per process).

    Django records every app's migrations in each schema, including those whose
    operations the tenant router skips, so a current template has them all.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return frozenset(loader.disk_migrations)


def applied_migrations(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {quote_ident(schema)}.django_migrations")  # noqa: S608
        return {(app, name) for app, name in cursor.fetchall()}


def template_is_current() -> bool:
    template = template_schema_name()
    if not schema_exists(template):
        return False
    return _expected_migrations() <= applied_migrations(template)


def _ensure_clone_function(*, replace: bool = False) -> None:
    """Install django-tenants' ``clone_schema`` SQL function once, not on every clone.

    Re-creating the (large) plpgsql function before each clone invalidates its
    cached plans and made every clone ~7x slower (measured: ~1.5 s vs ~0.2 s).
    """
    if not replace:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                           "WHERE p.proname = 'clone_schema' AND n.nspname = 'public'")
            if cursor.fetchone():
                return
    CloneSchema()._create_clone_schema_function()


def sync_template_schema(verbosity: int = 0) -> None:
    """Create the template schema if missing and bring it to the latest migrations."""
    template = template_schema_name()
    use_public_schema()
    drop_spare_schemas()  # cloned from the old template: stale
    _ensure_clone_function(replace=True)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(template)}")
    call_command("migrate_schemas", schema_name=template, interactive=False, verbosity=verbosity)
    use_public_schema()


def create_tenant_schema(schema_name: str, *, method: str = "auto", verbosity: int = 0) -> str:
    """Create ``schema_name`` with every tenant table; returns the method used.

    ``method``: ``"clone"`` (template), ``"migrate"`` (replay), or ``"auto"``
    (rename a current spare schema when one is ready, else clone when the
    template is current, else migrate).
    """
    if schema_exists(schema_name, case_sensitive=False):
        raise ValueError(f"schema {schema_name!r} already exists")
    use_public_schema()
    if method == "auto" and _take_spare_schema(schema_name):
        return "spare"
    use_clone = method == "clone" or (method == "auto" and template_is_current())
    if use_clone:
        _ensure_clone_function()
        with connection.cursor() as cursor:
            cursor.execute("SELECT public.clone_schema(%s, %s, 'DATA')", [template_schema_name(), schema_name])
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote_ident(schema_name)}")
        call_command("migrate_schemas", schema_name=schema_name, interactive=False, verbosity=verbosity)
    use_public_schema()
    return "clone" if use_clone else "migrate"


def drop_schema(schema_name: str) -> None:
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema_name)} CASCADE")


# --- spare schemas ------------------------------------------------------------------------------
# Cloning grows with the number of tenant tables (docs/benchmarks.md). Provisioning instead renames a
# spare schema cloned ahead of time (ALTER SCHEMA ... RENAME is a catalog update: milliseconds), and
# the pool is refilled outside the request (tenants.ensure_spare_schemas, after commit and on beat).

SPARE_PREFIX = "tenant_spare_"


def spare_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE left(nspname, %s) = %s ORDER BY nspname",
                       [len(SPARE_PREFIX), SPARE_PREFIX])
        return [row[0] for row in cursor.fetchall()]


def _take_spare_schema(schema_name: str) -> bool:
    """Rename a current spare to ``schema_name`` inside the caller's transaction; False when none is ready."""
    quote_ident(schema_name)
    for spare in spare_schemas():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [spare])
                if not cursor.fetchone()[0]:
                    continue  # another provisioning is taking it
                if not _expected_migrations() <= applied_migrations(spare):
                    continue  # stale: ensure_spare_schemas drops it
                cursor.execute(f"ALTER SCHEMA {quote_ident(spare)} RENAME TO {quote_ident(schema_name)}")
        except DatabaseError:
            continue  # taken and committed by someone else meanwhile
        _after_commit_refill()
        return True
    return False


def _after_commit_refill() -> None:
    def refill() -> None:
        from django_tenants.utils import schema_context

        from tenants.tasks import ensure_spare_schemas_task

        with contextlib.suppress(Exception), schema_context("public"):  # no broker: the beat task refills later
            ensure_spare_schemas_task.delay()

    transaction.on_commit(refill)


def create_spare_schema() -> str:
    """Clone the (current) template into a new spare, in its own transaction."""
    name = f"{SPARE_PREFIX}{uuid.uuid4().hex[:12]}"
    use_public_schema()
    _ensure_clone_function()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT public.clone_schema(%s, %s, 'DATA')", [template_schema_name(), name])
    return name


def drop_spare_schemas(*, stale_only: bool = False) -> int:
    dropped = 0
    for spare in spare_schemas():
        if stale_only and _expected_migrations() <= applied_migrations(spare):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote_ident(spare)} CASCADE")
        dropped += 1
    return dropped


def ensure_spare_schemas(count: int | None = None) -> int:
    """Keep ``TENANT_SPARE_SCHEMAS`` current spares (only while the template is current); returns how many made."""
    wanted = getattr(settings, "TENANT_SPARE_SCHEMAS", 2) if count is None else count
    use_public_schema()
    if not template_is_current():
        return 0
    drop_spare_schemas(stale_only=True)
    made = 0
    while len(spare_schemas()) < wanted:
        create_spare_schema()
        made += 1
    return made
