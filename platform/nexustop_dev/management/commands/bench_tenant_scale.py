"""``manage.py bench_tenant_scale --tenants 1,100,1000``: does the platform stay fast as tenants multiply?

For each level (cumulative: the 100 include the first 1):

* provisions throwaway tenants with ``tenants.services.tenant_provision`` (row + schema cloned from the
  template + domain + first admin, one transaction) and times each. With ``--timed K`` only K tenants per
  level go through ``tenant_provision`` (the timed sample) and the rest are filled fast: the template's
  ``pg_dump`` replayed under the new schema name (same tables, triggers, migration rows) plus the tenant
  and domain rows, so large levels take minutes, not hours;
* times ``manage.py migrate_schemas`` in a fresh process with nothing pending (every schema is checked);
* sends ``--requests`` requests to ``/health`` and to ``/api/products`` spread round-robin over the
  level's tenant domains, through a real web server (gunicorn, ``--workers`` sync workers, on a free
  port), and reports p50/p99 latency and the RSS of each worker afterwards. The server is started once,
  at the first level, and serves every level (each level warms its new tenants up before it is timed):
  a server start per level added seconds to every run and measured nothing.

Prints a table (also as Markdown for docs/benchmarks.md) and drops everything it created, including
leftovers of an interrupted run (schemas ``bs_*``, domains ``bs-*.localhost``). 10,000 tenants is a
long run (hours, ~20 GB of catalog); CI runs this with tiny numbers (tests/isolation/test_bench_smoke.py).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from shared_apps.core.dburl import database_url
from tenants.connection import tenant_connection

PREFIX = "bs_"  # schema names of bench tenants; domains are bs-<run>-<n>.localhost
ROOT = Path(settings.PROJECT_ROOT) if hasattr(settings, "PROJECT_ROOT") else Path(__file__).resolve().parents[4]


@dataclass
class Level:
    tenants: int
    provision_seconds: list[float] = field(default_factory=list)
    fill_seconds: list[float] = field(default_factory=list)
    migrate_seconds: dict[str, float] = field(default_factory=dict)
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    worker_rss_mb: list[float] = field(default_factory=list)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def child_env(settings_module: str) -> dict[str, str]:
    """Environment that points a child process at *this* process's database and Redis."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # base settings have no key of their own; share this one
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
        "LOG_LEVEL": "WARNING",
    })
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """The bench's gunicorn: its master process, base URL and log file (or ``subprocess.DEVNULL``)."""

    process: subprocess.Popen
    base: str
    log: IO[str] | int

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if not isinstance(self.log, int):  # a file, not subprocess.DEVNULL
            self.log.close()


class Command(BaseCommand):
    help = "Provisioning time, no-op migrate_schemas time, request p50/p99 and worker RSS at N tenants."

    def add_arguments(self, parser):
        parser.add_argument("--tenants", default="1,100,1000", help="cumulative levels, e.g. 1,100,1000[,10000]")
        parser.add_argument("--requests", type=int, default=400, help="timed requests per endpoint and level")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
        parser.add_argument("--endpoints", default="/health,/api/products")
        parser.add_argument("--settings-module", default="nexustop.settings.base",
                            help="settings of the server and migrate processes (DEBUG off)")
        parser.add_argument("--timed", type=int, default=0,
                            help="per level, provision only this many through tenant_provision (timed) and "
                                 "fill the rest fast from a pg_dump of the template (0 = all timed)")
        parser.add_argument("--skip-migrate", action="store_true")
        parser.add_argument("--migrate-executors", default="standard,pending",
                            help="time migrate_schemas with each of these --executor values")
        parser.add_argument("--keep", action="store_true", help="keep the bench tenants (then clean with --clean)")
        parser.add_argument("--clean", action="store_true", help="only drop bench tenants left by earlier runs")

    def handle(self, *args, **opts):
        tenant_connection().set_schema_to_public()
        self._drop_bench_tenants()
        if opts["clean"]:
            return
        levels = sorted({int(x) for x in opts["tenants"].split(",") if x.strip()})
        if not levels or levels[0] < 1:
            raise CommandError("--tenants: positive integers, e.g. 1,100,1000")
        endpoints = [e for e in opts["endpoints"].split(",") if e]
        run = uuid.uuid4().hex[:6]
        results: list[Level] = []
        domains: list[str] = []
        server: Server | None = None
        try:
            from tenants.schema import sync_template_schema, template_is_current

            if not template_is_current():
                sync_template_schema()
            script = self._template_script() if opts["timed"] else ""
            for target in levels:
                level = Level(tenants=target)
                self.stderr.write(f"level {target}: provisioning")
                timed_until = len(domains) + opts["timed"] if opts["timed"] else target
                while len(domains) < target:
                    if len(domains) < timed_until:
                        domains.append(self._provision(run, len(domains), level))
                    else:
                        started = time.perf_counter()
                        domains.append(self._fast_fill(run, len(domains), script))
                        level.fill_seconds.append(time.perf_counter() - started)
                    if len(domains) % 100 == 0:
                        self.stderr.write(f"  provisioned {len(domains)} tenants")
                if level.fill_seconds:
                    self.stderr.write(f"  fast-filled {len(level.fill_seconds)} schemas, "
                                      f"p50 {percentile(level.fill_seconds, 50) * 1000:.0f} ms each")
                self.stderr.write(f"level {target}: migrate_schemas, then requests")
                if not opts["skip_migrate"]:
                    for executor in opts["migrate_executors"].split(","):
                        level.migrate_seconds[executor] = self._migrate(opts["settings_module"], executor)
                if server is None:
                    server = self._start_server(opts, domains[0])
                self._measure(server, level, domains[:target], endpoints, opts)
                results.append(level)
                self._print(results, endpoints)
        finally:
            if server is not None:
                server.stop()
            if not opts["keep"]:
                self._drop_bench_tenants()
        self._print(results, endpoints, markdown=True)

    # --- steps ----------------------------------------------------------------------------------

    def _provision(self, run: str, index: int, level: Level) -> str:
        from tenants.services import tenant_provision

        domain = f"bs-{run}-{index}.localhost"
        result = tenant_provision(kind="country_operation", country="NG", name=f"Bench {run} {index}",
                                  domain=domain, schema_name=f"{PREFIX}{run}_{index}",
                                  admin_email=f"admin-{index}@{run}.bench.invalid", admin_password=None)
        level.provision_seconds.append(result.seconds)
        return domain

    def _template_script(self) -> str:
        """The template schema as SQL (DDL + rows), ready to replay under another schema name."""
        from tenants.schema import template_schema_name

        db = settings.DATABASES["default"]
        env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
        dump = subprocess.run(
            ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"],
             "-d", db["NAME"], "--schema", template_schema_name(), "--no-owner", "--no-privileges",
             "--no-comments", "--inserts"], env=env, capture_output=True, text=True, timeout=600)
        if dump.returncode != 0:
            raise CommandError(f"pg_dump of the template failed: {dump.stderr[-2000:]}")
        keep = [line for line in dump.stdout.splitlines()
                if not line.startswith("\\") and "set_config('search_path'" not in line]
        return "\n".join(keep)

    def _fast_fill(self, run: str, index: int, script: str) -> str:
        import re

        from django.db import transaction

        from tenants.models import Domain, Tenant
        from tenants.schema import quote_ident, template_schema_name

        schema = f"{PREFIX}{run}_{index}"
        domain = f"bs-{run}-{index}.localhost"
        sql = re.sub(rf"\b{re.escape(template_schema_name())}\b", schema, script)
        quote_ident(schema)  # validates the name
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
            tenant_connection().set_schema_to_public()
            tenant = Tenant.objects.create(schema_name=schema, name=f"Bench {run} {index}", kind="country_operation",
                                           country="NG", display_name=f"Bench {run} {index}")
            Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
        tenant_connection().set_schema_to_public()
        return domain

    def _migrate(self, settings_module: str, executor: str = "") -> float:
        started = time.perf_counter()
        extra = [f"--executor={executor}"] if executor else []
        done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate_schemas", "-v", "0",
                               "--noinput", *extra], cwd=ROOT, env=child_env(settings_module), capture_output=True,
                              text=True, timeout=6 * 3600)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise CommandError(f"migrate_schemas failed:\n{done.stderr[-3000:]}")
        return seconds

    def _start_server(self, opts: dict, host: str) -> Server:
        """gunicorn on a free port, answering ``/health`` for ``host``."""
        import requests

        port = free_port()
        log = open(ROOT / "test-artifacts" / f"bench-gunicorn-{port}.log", "w") if (
            ROOT / "test-artifacts").is_dir() else subprocess.DEVNULL
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "nexustop.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(opts["workers"]), "--worker-class", "sync", "--timeout", "120",
             "--access-logfile", "-" if log is not subprocess.DEVNULL else "/dev/null"],
            cwd=ROOT, env=child_env(opts["settings_module"]), stdout=log, stderr=subprocess.STDOUT)
        server = Server(process=process, base=f"http://127.0.0.1:{port}", log=log)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    requests.get(server.base + "/health", headers={"Host": host}, timeout=30)
                    return server
                except (requests.ConnectionError, requests.Timeout):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise CommandError("gunicorn did not start") from None
                    time.sleep(0.05)  # polling a port that is not listening yet: nothing to wait on
        except BaseException:
            server.stop()
            raise

    def _measure(self, server: Server, level: Level, domains: list[str], endpoints: list[str], opts: dict) -> None:
        import psutil
        import requests

        base = server.base
        session = requests.Session()
        for endpoint in endpoints:  # warm-up: imports, first queries, connections (the level's new tenants too)
            for index in range(min(20, max(len(domains), 5))):
                session.get(base + endpoint, headers={"Host": domains[index % len(domains)]}, timeout=30)
        for endpoint in endpoints:
            timings, errors = [], 0
            for index in range(opts["requests"]):
                host = domains[index % len(domains)]
                started = time.perf_counter()
                response = session.get(base + endpoint, headers={"Host": host}, timeout=30)
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors += 1
            level.latency_ms[endpoint] = timings
            level.errors[endpoint] = errors
        children = psutil.Process(server.process.pid).children()
        level.worker_rss_mb = [child.memory_info().rss / 2**20 for child in children]

    def _drop_bench_tenants(self) -> None:
        from tenants.models import Domain, Tenant
        from tenants.schema import drop_schema

        tenant_connection().set_schema_to_public()
        Domain.objects.filter(tenant__schema_name__startswith=PREFIX).delete()
        schemas = list(Tenant.objects.filter(schema_name__startswith=PREFIX).values_list("schema_name", flat=True))
        Tenant.objects.filter(schema_name__startswith=PREFIX).delete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [PREFIX.replace("_", r"\_") + "%"])
            schemas = sorted(set(schemas) | {row[0] for row in cursor.fetchall()})
        for schema in schemas:
            drop_schema(schema)
        if schemas:
            self.stderr.write(f"  dropped {len(schemas)} bench tenant schemas")

    # --- output ---------------------------------------------------------------------------------

    def _print(self, results: list[Level], endpoints: list[str], *, markdown: bool = False) -> None:
        executors = list(results[0].migrate_seconds) if results else []
        headers = ["tenants", "provision p50 ms", "provision p99 ms", *(f"migrate no-op {e} s" for e in executors)]
        for endpoint in endpoints:
            headers += [f"{endpoint} p50 ms", f"{endpoint} p99 ms"]
        headers += ["RSS/worker MB", "non-200"]
        rows = []
        for level in results:
            row = [str(level.tenants),
                   f"{percentile(level.provision_seconds, 50) * 1000:.0f}" if level.provision_seconds else "-",
                   f"{percentile(level.provision_seconds, 99) * 1000:.0f}" if level.provision_seconds else "-",
                   *(f"{level.migrate_seconds.get(e, 0):.1f}" for e in executors)]
            for endpoint in endpoints:
                values = level.latency_ms.get(endpoint, [])
                row += [f"{percentile(values, 50):.1f}", f"{percentile(values, 99):.1f}"]
            rss = level.worker_rss_mb
            row += [f"{statistics.mean(rss):.0f}" if rss else "-", str(sum(level.errors.values()))]
            rows.append(row)
        if markdown:
            self.stdout.write("| " + " | ".join(headers) + " |")
            self.stdout.write("|" + "|".join(" ---: " for _ in headers) + "|")
            for row in rows:
                self.stdout.write("| " + " | ".join(row) + " |")
            return
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        self.stdout.write("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
        for row in rows:
            self.stdout.write("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if results and results[0].latency_ms and len(results) > 1:
            for endpoint in endpoints:
                base = percentile(results[0].latency_ms[endpoint], 50)
                last = percentile(results[-1].latency_ms[endpoint], 50)
                self.stdout.write(f"{endpoint}: p50 at {results[-1].tenants} tenants is {last / base:.2f}x "
                                  f"the p50 at {results[0].tenants}")
