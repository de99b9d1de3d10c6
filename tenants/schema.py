"""Creating tenant schemas: replay the template's captured SQL, clone it, or migrate.

``sync_template_schema`` rebuilds the ``TENANT_BASE_SCHEMA`` template by running
the migrations on an empty schema while recording every statement they send
(a :class:`~tenants.models.SchemaScript`). A new tenant schema is then made by:

* ``script``: replaying those statements in the new schema — fastest, and its
  cost does not grow with the number of schemas in the database;
* ``clone``: django-tenants' ``clone_schema`` of the template — catalog scans
  make it slower as schemas accumulate (~0.5 s per tenant at 100 schemas,
  ~4 s past 350);
* ``migrate``: replaying the migrations — slowest, grows with every migration.

``auto`` takes the first that is valid for the code's current migrations, so a
forgotten ``sync_template_schema`` costs time, never correctness. Figures:
docs/benchmarks.md.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import re
import uuid
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from tenants.connection import tenant_connection


def use_public_schema() -> None:
    """Point the connection at the public schema."""
    tenant_connection().set_schema_to_public()


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


def migrations_digest() -> str:
    """A stable fingerprint of the code's migrations."""
    joined = "\n".join(f"{app}.{name}" for app, name in sorted(_expected_migrations()))
    return hashlib.sha256(joined.encode()).hexdigest()


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


# Statements migrations send that only read or steer the session: never replayed.
# (``SET CONSTRAINTS ...; ALTER TABLE ...`` is kept: only search_path changes are the session's.)
_NOT_REPLAYED = re.compile(r"^\s*(SELECT\b(?!.*\bsetval\s*\()|SHOW\b|SET\s+(LOCAL\s+)?search_path\b|SAVEPOINT\b|"
                           r"RELEASE\s+SAVEPOINT\b|ROLLBACK\s+TO\b)", re.IGNORECASE | re.DOTALL)


def _encode(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot record a {type(value).__name__} parameter")


def _decode(value: object) -> object:
    if isinstance(value, dict):
        ((tag, raw),) = value.items()
        decoders: dict[str, Callable[[str], object]] = {
            "$dt": datetime.datetime.fromisoformat, "$date": datetime.date.fromisoformat,
            "$dec": decimal.Decimal, "$uuid": uuid.UUID}
        return decoders[tag](raw)
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def _capture_migration_sql(schema: str, verbosity: int) -> list | None:
    """Migrate ``schema`` recording the statements; ``None`` if they can't be replayed safely."""
    recorded: list = []
    replayable = True

    def record(execute, sql, params, many, context):
        nonlocal replayable
        if not isinstance(sql, str):
            replayable = False
        elif not _NOT_REPLAYED.match(sql):
            try:
                recorded.append([sql, _encode(list(params) if many else params), many])
            except TypeError:
                replayable = False
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call_command("migrate_schemas", schema_name=schema, interactive=False, verbosity=verbosity,
                     skip_checks=True)
    if not replayable or any(schema in sql for sql, _params, _many in recorded):
        return None  # schema-qualified SQL or exotic parameters: clone/migrate instead
    return recorded


def sync_template_schema(verbosity: int = 0) -> None:
    """Rebuild the template from scratch if stale, capturing its creation script."""
    from .models import SchemaScript

    template = template_schema_name()
    use_public_schema()
    _ensure_clone_function(replace=True)
    digest = migrations_digest()
    if template_is_current() and SchemaScript.objects.filter(migrations_digest=digest).exists():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote_ident(template)} CASCADE")
        cursor.execute(f"CREATE SCHEMA {quote_ident(template)}")
    statements = _capture_migration_sql(template, verbosity)
    use_public_schema()
    SchemaScript.objects.exclude(migrations_digest=digest).delete()
    if statements is not None:
        SchemaScript.objects.update_or_create(
            migrations_digest=digest, defaults={"statements": statements, "statement_count": len(statements)})
    _script_statements.cache_clear()


@lru_cache(maxsize=4)
def _script_statements(digest: str) -> tuple | None:
    from .models import SchemaScript

    script = SchemaScript.objects.filter(migrations_digest=digest).only("statements").first()
    if script is None:
        return None
    return tuple((sql, _decode(params), many) for sql, params, many in script.statements)


def _replay_script(schema_name: str, statements: tuple) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote_ident(schema_name)}")
        tenant_connection().set_schema(schema_name, include_public=True)
        try:
            with connection.cursor() as cursor:
                for sql, params, many in statements:
                    if many:
                        cursor.executemany(sql, params)
                    else:
                        cursor.execute(sql, params)
        finally:
            use_public_schema()


def create_tenant_schema(schema_name: str, *, method: str = "auto", verbosity: int = 0) -> str:
    """Create ``schema_name`` with every tenant table; returns the method used.

    ``method``: ``"script"``, ``"clone"``, ``"migrate"`` or ``"auto"`` (see the module docstring).
    """
    if schema_exists(schema_name, case_sensitive=False):
        raise ValueError(f"schema {schema_name!r} already exists")
    use_public_schema()
    if method in ("auto", "script"):
        statements = _script_statements(migrations_digest())
        if statements is not None:
            _replay_script(schema_name, statements)
            return "script"
        if method == "script":
            raise ValueError("no schema script for the current migrations: run sync_template_schema")
    use_clone = method == "clone" or (method == "auto" and template_is_current())
    if use_clone:
        _ensure_clone_function()
        with connection.cursor() as cursor:
            cursor.execute("SELECT public.clone_schema(%s, %s, 'DATA')", [template_schema_name(), schema_name])
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote_ident(schema_name)}")
        call_command("migrate_schemas", schema_name=schema_name, interactive=False, verbosity=verbosity,
                     skip_checks=True)
    use_public_schema()
    return "clone" if use_clone else "migrate"


def drop_schema(schema_name: str) -> None:
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema_name)} CASCADE")
