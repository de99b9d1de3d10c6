"""List tenants with their kind, country, status and domains."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from tenants.selectors import tenant_list


class Command(BaseCommand):
    help = "List tenants."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **opts):
        rows = [
            {
                "schema": t.schema_name, "name": t.name, "kind": t.kind, "country": t.country,
                "status": t.status, "parent": t.parent.schema_name if t.parent is not None else None,
                "domains": [d.domain for d in t.domains.all()],
            }
            for t in tenant_list().select_related("parent")
        ]
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        header = f"{'schema':<20} {'kind':<18} {'country':<7} {'status':<10} {'parent':<12} domains"
        self.stdout.write(header)
        for row in rows:
            self.stdout.write(f"{row['schema']:<20} {row['kind']:<18} {row['country']:<7} {row['status']:<10} "
                              f"{(row['parent'] or '-'):<12} {', '.join(row['domains'])}")
        self.stdout.write(f"{len(rows)} tenant(s)")
