"""Shared migrations and the tenant template on every cluster besides the primary.

Part of every deploy's migrate task, after ``migrate_schemas --shared`` (the
primary) and before ``migrate_schemas --tenant`` (which migrates each tenant
schema on its own cluster: the connection follows the tenant). Each cluster's
public schema gets the shared tables and functions tenant schemas rely on (the
ledger's trigger functions, django-tenants' clone function) and its own
``tenant_template`` and schema script, so tenants are created and moved there
as fast as on the primary. The public *data* (tenants, catalog, registry) stays
on the primary only. Nothing to do with one cluster.
"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants import clusters
from tenants.models import SchemaScript
from tenants.schema import (
    _ensure_clone_function,
    _replay_script,
    _script_statements,
    drop_schema,
    migrations_digest,
    sync_template_schema,
    template_is_current,
    template_schema_name,
)


def copy_template_from_primary(statements: tuple, raw: list) -> None:
    """The template from the primary's captured script (seconds) instead of re-running the migrations."""
    digest = migrations_digest()
    _ensure_clone_function(replace=True)
    if template_is_current() and SchemaScript.objects.filter(migrations_digest=digest).exists():
        return
    drop_schema(template_schema_name())
    _replay_script(template_schema_name(), statements)
    SchemaScript.objects.exclude(migrations_digest=digest).delete()
    SchemaScript.objects.update_or_create(migrations_digest=digest,
                                          defaults={"statements": raw, "statement_count": len(raw)})


class Command(BaseCommand):
    help = "Migrate the public schema and the tenant template on every database cluster besides the primary."

    def add_arguments(self, parser):
        parser.add_argument("--cluster", action="append", default=None, help="only these aliases (repeatable)")

    def handle(self, *args, **options):
        aliases = options["cluster"] or [alias for alias in clusters.cluster_aliases() if alias != clusters.HOME]
        if not aliases:
            self.stdout.write("one database cluster: nothing to do")
            return
        verbosity = max(0, options["verbosity"] - 1)
        # The primary's template script (the migrate task built it just before): replayed on every cluster.
        digest = migrations_digest()
        primary_script = SchemaScript.objects.filter(migrations_digest=digest).first()
        statements = _script_statements(digest) if primary_script is not None else None
        for alias in aliases:
            started = time.perf_counter()
            with clusters.on_cluster(alias):
                call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity,
                             skip_checks=True)
                shared = time.perf_counter() - started
                if statements is not None and primary_script is not None:
                    copy_template_from_primary(statements, primary_script.statements)
                else:
                    sync_template_schema(verbosity=verbosity)
            self.stdout.write(self.style.SUCCESS(
                f"cluster {alias}: public schema ({shared:.1f} s) and tenant template "
                f"({time.perf_counter() - started - shared:.1f} s) current"))
