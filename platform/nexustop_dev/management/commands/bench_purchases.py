"""``manage.py bench_purchases``: purchases over HTTP through the real stack, end to end.

Starts (as separate processes) the VTPass simulator with ``--latency`` (default 50 ms),
a gunicorn web server, the order dispatcher(s) (``run_dispatcher``: they send and settle every purchase)
and Celery worker(s) on a private queue (requeries), then drives
``POST /api/purchase`` with JWTs from ``--clients`` threads against a bench tenant
(provisioned on first use, Host-header routed) for ``--seconds``. Prints accepted
purchases/s, p50/p99 acceptance latency, and p50/p99 time to final status
(order ``final_at - created_at``, both stamped by the server), after every accepted
order reached a final status. Checks the books at the end (ledger balanced, wallets
== postings) and the simulator's deliveries (one per settled order).

Web server and worker run ``--settings-module`` (default ``nexustop.settings.bench``: production-like,
DEBUG off). Before the measured drive, ``--warmup-seconds`` of purchases open the connections and fill the
caches, a ``VACUUM (ANALYZE)`` gives the planner what autovacuum gives it in production (``--no-vacuum``), and
``--background-seconds`` of idle time measure what the rest of the PostgreSQL cluster burns.
CPU per settled purchase: web, worker (process trees, exited children included), PostgreSQL cluster-wide
(the postmaster's tree: every backend, the exited ones too, minus the idle background) and this database's
backends sampled every 50 ms (a lower bound); new database sessions per purchase (``pg_stat_database``).
Then, the web server, worker and dispatchers stopped, ``--features`` calls of each priced step of an acceptance,
in-process: its CPU per purchase; and ``--feature-purchases`` whole purchases (acceptance, then the dispatcher's
settlement) of buyers that differ from a customer by one feature (an agent in a 2-level chain, a reseller brand's
customer, a velocity rule active): what each feature adds per purchase (``nexustop_dev.path_features``).

Needs a migrated database (``manage.py migrate_schemas --shared``) named by DATABASE_URL;
the bench tenant's data are committed and left there (unique references per run).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from nexustop_dev.cpu_meter import ChildrenSampler, TreeMeter, parent_pid, process_cpu
from tenants.connection import tenant_connection

SIM_SCRIPT = """
import sys, time
from provider_plugins.vtpass.simulator import VTPassSimulator
sim = VTPassSimulator(port=int(sys.argv[1]), latency_seconds=float(sys.argv[2]), duplicate_window_seconds=0)
sim.start()
print("ready", sim.url, flush=True)
while True:
    time.sleep(3600)
"""


STOP_LINE = re.compile(r"stopped after settling (?P<settled>\d+) orders in \d+ batches \((?P<claims>\d+) claims")

# The web servers the bench can run (docs/benchmarks.md compares them), each with the project's WSGI application.
WEB_SERVERS = {"gunicorn-gthread", "gunicorn-sync", "granian", "uwsgi", "uwsgi-router"}


def web_server_command(server: str, *, port: int, workers: int, threads: int) -> list[str]:
    """The command line of ``server`` on 127.0.0.1:``port``: ``workers`` processes of ``threads`` threads."""
    frozen = "nexustop_dev.wsgi_frozen:application"  # what gunicorn.conf.py's post_worker_init does, in each worker
    if server in ("uwsgi", "uwsgi-router"):
        # uWSGI's own HTTP parser in each worker (http11-socket: a thread serves one keep-alive connection until it
        # closes) or its C router in front of them (fair across connections); pyuwsgi's wheel gives the binary.
        listen = (["--http11-socket", f"127.0.0.1:{port}"] if server == "uwsgi" else
                  ["--http", f"127.0.0.1:{port}", "--http-keepalive", "--socket",
                   str(Path(tempfile.gettempdir()) / f"nexustop-uwsgi-{port}.sock")])
        return [os.environ.get("UWSGI_BIN") or shutil.which("uwsgi") or "uwsgi", *listen, "--master",
                "--die-on-term", "--processes", str(workers), "--threads", str(threads), "--lazy-apps", "--need-app",
                "--module", frozen, "--virtualenv", sys.prefix, "--disable-logging", "--log-4xx", "--log-5xx",
                "--buffer-size", "16384", "--so-keepalive"]
    if server == "granian":
        return [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--blocking-threads", str(threads), "--runtime-threads", "1",
                "--no-ws", "--log-level", "warning", frozen]
    command = [sys.executable, "-m", "gunicorn", "nexustop.wsgi:application", "-b", f"127.0.0.1:{port}",
               "-w", str(workers), "--log-level", "warning", "--keep-alive", "30"]
    if server == "gunicorn-sync":
        return [*command, "-k", "sync"]
    return [*command, "-k", "gthread", "--threads", str(threads)]


def mean_batch(logs: list[Path]) -> float:
    """Orders settled per claim over a run (warm-up included), from the dispatchers' stop lines: the batch size
    the path really ran with (0.0 when no dispatcher logged one)."""
    settled = claims = 0
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            found = STOP_LINE.search(line)
            if found:
                settled += int(found["settled"])
                claims += int(found["claims"])
    return settled / claims if claims else 0.0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_proc_cpu = process_cpu  # bench_risk reads its backend's CPU with it


def postmaster_pid() -> int | None:
    """The PostgreSQL postmaster (parent of this connection's backend), if the server runs on this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    parent = parent_pid(backend)
    return parent if parent and parent > 1 else None


def db_counters() -> dict[str, float]:
    """Sessions opened so far (PostgreSQL 14+), in this database and the whole cluster, and this database's time
    spent executing statements (ms). A backend reports them when it goes idle or exits (within ~1-10 s)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT COALESCE(SUM(sessions) FILTER (WHERE datname = current_database()), 0), "
                       "COALESCE(SUM(sessions), 0), "
                       "COALESCE(SUM(active_time) FILTER (WHERE datname = current_database()), 0) "
                       "FROM pg_stat_database")
        here, cluster, active = cursor.fetchone()
    return {"sessions": float(here), "cluster_sessions": float(cluster), "active_ms": float(active)}


class CpuMeter:
    """CPU seconds per role: process trees (web, worker, simulator), the PostgreSQL cluster (the postmaster's
    tree: exited backends included, every database counted), this bench process; and new database sessions."""

    def __init__(self, roles: dict[str, list[int]]) -> None:
        self.postmaster = postmaster_pid()
        trees = dict(roles)
        if self.postmaster:
            trees["postgres"] = [self.postmaster]
        self.trees = TreeMeter(trees)
        self.sampler = ChildrenSampler(self.postmaster, connection.settings_dict["NAME"]) if self.postmaster else None
        self.client_start = self._client()
        self.db_start = db_counters()
        self.began = time.monotonic()

    @staticmethod
    def _client() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def used(self) -> dict[str, float]:
        used = self.trees.used()
        used.setdefault("postgres", float("nan"))
        used["postgres_db"] = self.sampler.stop() if self.sampler else float("nan")
        used["client"] = self._client() - self.client_start
        return used

    def db(self) -> dict[str, float]:
        end = db_counters()
        return {key: end[key] - self.db_start[key] for key in end}

    def seconds(self) -> float:
        return time.monotonic() - self.began


def _pct(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Drive purchases over HTTP through web server, JWT, ledger, the dispatcher and the VTPass simulator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", default="benchng")
        parser.add_argument("--seconds", type=float, default=10.0)
        parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
        parser.add_argument("--rate", type=float, default=0.0, help="target purchases/s in total (0 = flat out)")
        parser.add_argument("--users", type=int, default=200)
        # Defaults: the best of the configurations measured on 2 cores (docs/benchmarks.md).
        # 2 x 2 beat 4 x 2 in every pair (2026-12-07 12:00); 2 x 1 beat 2 x 2 in every pair (2026-12-07 17:55).
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--web-threads", type=int, default=1)
        parser.add_argument("--server", choices=sorted(WEB_SERVERS), default="gunicorn-gthread",
                            help="the web server (threads: --web-threads; gunicorn-sync has none)")
        parser.add_argument("--dispatchers", type=int, default=1, help="order dispatchers (run_dispatcher)")
        parser.add_argument("--dispatch-batch", type=int, default=settings.ORDERS_DISPATCH_BATCH,
                            help="orders claimed per batch (ORDERS_DISPATCH_BATCH)")
        parser.add_argument("--celery-workers", type=int, default=1, help="Celery workers (requeries only now)")
        parser.add_argument("--celery-concurrency", type=int, default=4)
        parser.add_argument("--latency", type=float, default=0.05, help="simulator latency (seconds)")
        parser.add_argument("--final-timeout", type=float, default=120.0)
        parser.add_argument("--risk-rules", choices=["none", "one", "all"], default="none",
                            help="risk rules active in the bench tenant during the drive (tenant_apps.risk; "
                                 "bench_risk.RULE_SETS): the end-to-end cost of the risk engine per purchase")
        parser.add_argument("--settings-module", default="nexustop.settings.bench",
                            help="settings of the web server and worker (default: production-like, DEBUG off)")
        parser.add_argument("--warmup-seconds", type=float, default=2.0,
                            help="purchases driven (and settled) before the meters start: connections opened, "
                                 "caches filled, as in a server that has been up for a while")
        parser.add_argument("--no-vacuum", action="store_true",
                            help="skip the VACUUM (ANALYZE) of this database after the warm-up (what autovacuum "
                                 "keeps doing in production; a CI cluster may run without it)")
        parser.add_argument("--background-seconds", type=float, default=3.0,
                            help="before the drive, measure the PostgreSQL cluster's CPU with the bench idle: "
                                 "what other databases of the cluster burn meanwhile (subtracted, and printed)")
        parser.add_argument("--features", type=int, default=300,
                            help="after the drive, call each priced step of an acceptance this many times in this "
                                 "process and print its CPU per purchase (0: skip, --feature-purchases too)")
        parser.add_argument("--feature-purchases", type=int, default=50,
                            help="then buy (accept, and settle as the dispatcher does) this many purchases per "
                                 "feature (a customer, an agent with commissions, a reseller brand's customer, a "
                                 "customer under a velocity rule) in this process and print what each feature adds "
                                 "per purchase (0: skip)")
        parser.add_argument("--replay-seconds", type=float, default=10.0,
                            help="after the drive, pgbench over the path's own captured SQL this long and print "
                                 "the service's ratio to it (0: skip)")
        parser.add_argument("--replay-clients", type=int, default=8)
        parser.add_argument("--floor-seconds", type=float, default=0.0,
                            help="first drive GET /health and GET /api/wallet this long each and print the web "
                                 "CPU per request: the framework's floor under the purchase figures")

    # --- setup -----------------------------------------------------------------------------
    def _tenant(self, schema: str):
        from tenants.models import Tenant
        from tenants.schema import sync_template_schema, template_is_current
        from tenants.services import ensure_public_tenant, tenant_provision

        tenant_connection().set_schema_to_public()
        tenant = Tenant.objects.filter(schema_name=schema).first()
        if tenant is None:
            if not template_is_current():
                sync_template_schema()
            ensure_public_tenant(domain="localhost")
            tenant_provision(kind="country_operation", country="NG", name=f"Bench {schema}",
                             domain=f"{schema}.localhost", admin_email=f"admin@{schema}.localhost",
                             admin_password=uuid.uuid4().hex, schema_name=schema)
            tenant = Tenant.objects.get(schema_name=schema)
        return tenant

    def _setup_provider(self, sim_url: str, run: str):
        from provider_plugins.vtpass.simulator import DEFAULT_CREDENTIALS
        from shared_apps.catalog.models import Product
        from shared_apps.catalog.services import catalog_sync_provider
        from shared_apps.catalog.versions import catalog_changed
        from shared_apps.providers.models import Provider, ProviderStatus
        from shared_apps.providers.services import provider_register

        tenant_connection().set_schema_to_public()
        # Earlier bench runs' simulators are gone: their rows must not take traffic.
        Provider.objects.filter(name__startswith="VTPass bench").update(status=ProviderStatus.DISABLED)
        catalog_changed()  # update() sends no signal; cached products follow their provider's status
        keys = {k: DEFAULT_CREDENTIALS[k] for k in ("api_key", "secret_key", "public_key")}
        provider = provider_register(name=f"VTPass bench {run}", country="NG", plugin_key="vtpass", base_url=sim_url,
                                     capabilities=["airtime", "data"], credentials=keys,
                                     options={"commission_bp": {"*": 300}}, routing_priority=0, timeout_seconds=5)
        catalog_sync_provider(provider_id=provider.pk)
        return Product.objects.get(provider=provider, provider_product_code="mtn")

    def _users(self, schema: str, count: int, run: str) -> list[tuple[int, str]]:
        from tenant_apps.accounts.models import User
        from tenant_apps.accounts.tokens import tokens_for_user
        from tenant_apps.ledger.services import fund_wallet, wallet_for

        users = []
        with schema_context(schema):
            for index in range(count):
                phone = f"+23480{uuid.uuid4().int % 10**8:08d}"
                while User.objects.filter(phone=phone).exists():  # earlier runs' buyers stay: draw another
                    phone = f"+23480{uuid.uuid4().int % 10**8:08d}"
                user = User.objects.create_user(email=f"bench-{run}-{index}@example.test", role="customer",
                                                phone=phone, phone_verified_at=timezone.now())
                fund_wallet(wallet=wallet_for(user=user), amount=10_000_000, reference=f"bench-{run}-{index}")
                users.append((user.pk, tokens_for_user(user)[0]))
        return users

    def _risk_rules(self, schema: str, rule_set: str, *, quiet: bool = False) -> None:
        """The bench's risk rules (none by default), thresholds that never fire: the cost of judging, not of
        refusing. Left in place after the run (a later run replaces them)."""
        from nexustop_dev.risk_rule_sets import RULE_SETS
        from tenant_apps.risk.models import RiskRule
        from tenant_apps.risk.services import clean_rule

        with schema_context(schema):
            RiskRule.objects.filter(name__startswith="bench-risk").delete()
            for number, fields in enumerate(RULE_SETS[rule_set]):
                RiskRule.objects.create(**clean_rule({"name": f"bench-risk {number}", **fields}))
        if not quiet:
            self.stdout.write(f"risk rules active: {rule_set} ({len(RULE_SETS[rule_set])})")

    # --- processes ---------------------------------------------------------------------------
    def _env(self, queue: str) -> dict[str, str]:
        root = Path(settings.PROJECT_ROOT)
        env = dict(os.environ)
        env.update({"DJANGO_SETTINGS_MODULE": self.settings_module, "DJANGO_SECRET_KEY": settings.SECRET_KEY,
                    "CELERY_QUEUE": queue, "ORDERS_SMS_NOTIFICATIONS": "0", "DJANGO_DEBUG": "0",
                    # the project first, then whatever else the caller's path holds (a server installed aside)
                    "PYTHONPATH": os.pathsep.join([str(root), str(root / "platform"),
                                                   *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])})
        return env

    def _wait_ready(self, proc: subprocess.Popen, log: Path, marker: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while marker not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise CommandError(f"process did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def handle(self, *args, **opts) -> None:
        run = uuid.uuid4().hex[:8]
        schema = opts["schema"]
        self.warmup_settled = 0
        self.settings_module = opts["settings_module"]
        queue = f"bench-{run}"
        root = Path(settings.PROJECT_ROOT)
        logs = root / "test-artifacts"
        logs.mkdir(exist_ok=True)
        env = self._env(queue)
        procs: list[subprocess.Popen] = []
        try:
            sim_port = _free_port()
            sim_log = logs / f"bench-sim-{run}.log"
            procs.append(subprocess.Popen([sys.executable, "-c", SIM_SCRIPT, str(sim_port), str(opts["latency"])],
                                          cwd=root, env=env, stdout=open(sim_log, "w"), stderr=subprocess.STDOUT))
            self._wait_ready(procs[-1], sim_log, "ready")
            sim_url = f"http://127.0.0.1:{sim_port}"
            self._tenant(schema)
            self._risk_rules(schema, opts["risk_rules"])
            product = self._setup_provider(sim_url, run)
            users = self._users(schema, opts["users"], run)
            web_port = _free_port()
            web_log = logs / f"bench-web-{run}.log"
            procs.append(subprocess.Popen(
                web_server_command(opts["server"], port=web_port, workers=opts["web_workers"],
                                   threads=opts["web_threads"]),
                cwd=root, env=env, stdout=open(web_log, "w"), stderr=subprocess.STDOUT))
            for index in range(opts["celery_workers"]):
                worker_log = logs / f"bench-worker-{run}-{index}.log"
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "nexustop", "worker", "-l", "warning", "-P", "threads",
                     f"--concurrency={opts['celery_concurrency']}", "-Q", queue, "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "-n", f"bench-{run}-{index}@%h"],
                    cwd=root, env=env, stdout=open(worker_log, "w"), stderr=subprocess.STDOUT))
            celery_pids = [p.pid for p in procs[2:]]
            dispatch_env = {**env, "ORDERS_DISPATCH_BATCH": str(opts["dispatch_batch"])}
            dispatchers = []
            for index in range(opts["dispatchers"]):
                dispatch_log = logs / f"bench-dispatcher-{run}-{index}.log"
                procs.append(subprocess.Popen([sys.executable, str(root / "manage.py"), "run_dispatcher"], cwd=root,
                                              env=dispatch_env, stdout=open(dispatch_log, "w"),
                                              stderr=subprocess.STDOUT))
                self._wait_ready(procs[-1], dispatch_log, "dispatcher ready")
                dispatchers.append(procs[-1].pid)
            base = f"http://127.0.0.1:{web_port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{base}/health", headers={"Host": f"{schema}.localhost"}, timeout=2)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise CommandError(web_log.read_text()[-3000:]) from None
                    time.sleep(0.3)
            time.sleep(2.0)  # let the Celery workers connect
            if opts["floor_seconds"]:
                self._floor(base, schema, users, opts, procs[1].pid)
            if opts["warmup_seconds"]:
                warm = self._drive(base, schema, product.pk, users, {**opts, "seconds": opts["warmup_seconds"]})
                self._wait_final(schema, [public_id for public_id, _ in warm["accepted"]], opts)
                self.warmup_settled = len(warm["accepted"])
            roles = {"web": [procs[1].pid], "dispatcher": dispatchers, "worker": celery_pids,
                     "simulator": [procs[0].pid]}
            if not opts["no_vacuum"]:
                self._vacuum()
            background = self._background(opts["background_seconds"])
            meter = CpuMeter(roles)
            load_before = os.getloadavg()
            results = self._drive(base, schema, product.pk, users, opts)
            results["load"] = (load_before, os.getloadavg())
            results["background"] = background
            self._report(schema, results, opts, sim_url, meter)
            if opts["features"]:
                # In-process from here: no dispatcher may take the features' orders (the simulator stays up).
                self._stop(procs[1:])
                self._features(schema, product.pk, users[0][0], opts["features"], opts)
        finally:
            self._stop(procs)
            self.mean_batch = mean_batch(list(logs.glob(f"bench-dispatcher-{run}-*.log")))
        if opts["replay_seconds"] and getattr(self, "settled_per_second", 0):
            self._replay(schema, product.pk, users, opts)

    @staticmethod
    def _stop(procs: list[subprocess.Popen]) -> None:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    # --- the path's own SQL, replayed ------------------------------------------------------------
    def _replay(self, schema: str, product_id: int, users, opts) -> None:
        """pgbench over the statements of the path (nexustop_dev.replay), the processes stopped: first the
        acceptance's own statements alone, then with the dispatcher's claim and settlement of a batch
        (``--dispatch-batch`` orders, replayed in a rolled-back transaction) once per batch of acceptances:
        the ceiling of this path's SQL on these cores, and the service's share of it."""
        from nexustop_dev.replay import (
            capture_purchase,
            capture_settlement,
            pgbench_script,
            run_pgbench,
            settlement_script,
        )
        from tenant_apps.orders.models import Order, OrderOutbox

        with schema_context(schema):
            last = Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        capture = capture_purchase(host=f"{schema}.localhost", token=users[0][1], product_id=product_id)
        script = pgbench_script(capture, user_id=users[0][0])
        buyers = [user_id for user_id, _ in users]
        sizes = [opts["dispatch_batch"]]
        if self.mean_batch and round(self.mean_batch) != opts["dispatch_batch"]:
            sizes.append(max(1, round(self.mean_batch)))
        fulls: list[tuple[int, int, float]] = []  # (orders per batch, statements, purchases/s)
        try:
            accept_only = run_pgbench(script, user_ids=buyers, clients=opts["replay_clients"],
                                      seconds=opts["replay_seconds"], schema=capture.schema)
            for batch in sizes:
                with schema_context(schema):
                    held = list(Order.objects.filter(pk__gt=last, status="held").order_by("pk")
                                .values_list("pk", flat=True)[:batch + 1])
                    settled = capture_settlement(order_ids=held)
                    settle = settlement_script(settled)
                fulls.append((len(held) - 1, len(settled),
                              run_pgbench(script, user_ids=buyers, clients=opts["replay_clients"],
                                          seconds=opts["replay_seconds"], settlement=settle, batch=len(held) - 1,
                                          schema=capture.schema)))
        finally:
            with schema_context(schema):  # nothing is left for a later run's dispatcher, even when pgbench failed
                OrderOutbox.objects.filter(order_id__gt=last).delete()
        out = self.stdout.write
        out(f"pgbench replay of the path's own SQL ({opts['replay_clients']} connections): acceptance alone "
            f"({len(capture.statements)} statements) {accept_only:.0f} purchases/s")
        for index, (size, statements, full) in enumerate(fulls):
            ratio = self.settled_per_second / full if full else float("nan")
            why = ("--dispatch-batch" if index == 0 else
                   f"the drive's own: {self.mean_batch:.1f} orders per claim on average")
            out(f"  with the claim and settlement of a batch of {size} ({why}) once per {size} purchases "
                f"({statements} statements, rolled back): {full:.0f} purchases/s; the service settled "
                f"{self.settled_per_second:.1f}/s: ratio {ratio:.2f} (target >= 0.45)")

    # --- features on the path ----------------------------------------------------------------
    def _features(self, schema: str, product_id: int, user_id: int, iterations: int, opts) -> None:
        """CPU per call (this process + its PostgreSQL backend) of the priced steps of an acceptance, in-process;
        then whole purchases by buyers that differ by one feature (agent commissions, reseller float, a velocity
        rule: ``nexustop_dev.path_features``), accepted and settled, against a customer's. The drive's risk rules
        are off meanwhile (every rule type: ``manage.py bench_risk``; end to end: ``--risk-rules``)."""
        from countries.tax import split_sale_income
        from tenant_apps.accounts.models import User
        from tenant_apps.orders.services.create import active_product
        from tenant_apps.pricing.engine import load_tenant_pricing
        from tenant_apps.pricing.quotes import quote_price
        from tenants.models import Tenant

        # The tenant row itself, as the routing middleware sets it (schema_context's stand-in has no country).
        with tenant_context(Tenant.objects.get(schema_name=schema)):
            user = User.objects.get(pk=user_id)
            product = active_product(product_id=product_id)
            pricing = load_tenant_pricing()
            steps = {
                "product lookup (active_product)": lambda: active_product(product_id=product_id),
                "pricing settings (load_tenant_pricing)": load_tenant_pricing,
                "price quote: cascade + commissions + tax split (settings given)":
                    lambda: quote_price(product=product, amount_minor=5_000, buyer=user, pricing=pricing),
                "tax split alone": lambda: split_sale_income(pricing.tax_rules, gross_minor=150),
            }
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend = cursor.fetchone()[0]
            for label, step in steps.items():
                step()
                app, db = CpuMeter._client(), process_cpu(backend)
                for _ in range(iterations):
                    step()
                app, db = CpuMeter._client() - app, process_cpu(backend) - db
                self.stdout.write(f"feature {label}: {app * 1000 / iterations:.3f} ms app CPU + "
                                  f"{db * 1000 / iterations:.3f} ms PostgreSQL per purchase")
        if opts["feature_purchases"]:
            self._path_features(schema, product_id, opts["feature_purchases"], opts)

    def _path_features(self, schema: str, product_id: int, iterations: int, opts) -> None:
        from django.test import override_settings

        from nexustop_dev.path_features import PathFeatures
        from tenants.models import Tenant

        self._risk_rules(schema, "none", quiet=True)
        try:
            with override_settings(ORDERS_SMS_NOTIFICATIONS=False):  # as the bench's processes run (_env)
                features = PathFeatures(tenant=Tenant.objects.get(schema_name=schema), product_id=product_id,
                                        iterations=iterations, batch=opts["dispatch_batch"])
                features.setup()
                features.measure()
                features.report(self.stdout.write)
        finally:
            self._risk_rules(schema, opts["risk_rules"], quiet=True)

    # --- load ----------------------------------------------------------------------------------
    def _vacuum(self) -> None:
        """``VACUUM (ANALYZE)`` of this database, before anything is metered: earlier runs' rows (thousands of orders,
        postings, spends) otherwise leave the planner without statistics and every index-only scan visiting the heap
        when the cluster runs with ``autovacuum = off`` (this machine's CI configuration), which production's
        PostgreSQL never does. Its CPU is spent before the background is measured."""
        from django.db import connection

        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('autovacuum')")
            autovacuum = cursor.fetchone()[0]
            cursor.execute("VACUUM (ANALYZE)")
        self.stdout.write(f"VACUUM (ANALYZE) of this database: {time.monotonic() - started:.1f} s "
                          f"(autovacuum is {autovacuum} on this cluster)")

    def _background(self, seconds: float) -> dict[str, float]:
        """PostgreSQL cluster CPU and sessions per second with the bench idle: the other databases' share."""
        if not seconds:
            return {"cpu": 0.0, "sessions": 0.0}
        meter = CpuMeter({})
        time.sleep(seconds)
        used, db = meter.used(), meter.db()
        elapsed = meter.seconds()
        return {"cpu": used["postgres"] / elapsed, "sessions": db["cluster_sessions"] / elapsed}

    def _wait_final(self, schema: str, ids: list[str], opts) -> None:
        from tenant_apps.orders.models import FINAL_STATUSES, Order

        deadline = time.monotonic() + opts["final_timeout"]
        with schema_context(schema):
            while ids and time.monotonic() < deadline:
                if not Order.objects.filter(public_id__in=ids).exclude(status__in=FINAL_STATUSES).exists():
                    return
                time.sleep(0.2)

    def _floor(self, base: str, schema: str, users, opts, web_pid: int) -> None:
        """Web CPU per request of a no-op (``/health``) and of an authenticated read (``/api/wallet``)."""
        for path, auth in (("/health", False), ("/api/wallet", True)):
            meter = CpuMeter({"web": [web_pid]})
            count = [0]
            lock = threading.Lock()
            stop_at = time.monotonic() + opts["floor_seconds"]

            def client(index: int, path: str = path, auth: bool = auth, stop_at: float = stop_at,
                       lock: threading.Lock = lock, count: list = count) -> None:
                session = requests.Session()
                headers = {"Host": f"{schema}.localhost", "X-Forwarded-Proto": "https"}
                if auth:
                    headers["Authorization"] = f"Bearer {users[index % len(users)][1]}"
                done = 0
                while time.monotonic() < stop_at:
                    if session.get(f"{base}{path}", headers=headers, timeout=30).status_code == 200:
                        done += 1
                with lock:
                    count[0] += done

            began = time.monotonic()
            threads = [threading.Thread(target=client, args=(i,)) for i in range(opts["clients"])]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            used = meter.used()
            n = max(count[0], 1)
            self.stdout.write(f"floor GET {path}: {count[0] / (time.monotonic() - began):.0f}/s, web CPU "
                              f"{used['web'] * 1000 / n:.2f} ms/request, postgres {used['postgres'] * 1000 / n:.2f} "
                              f"ms/request, client {used['client'] * 1000 / n:.2f} ms/request")

    def _drive(self, base: str, schema: str, product_id: int, users, opts) -> dict:
        """Purchases through ``nexustop_dev.loadgen`` (a lean asyncio client: ~0.1 ms of this process's CPU per
        purchase, where ``requests`` cost ~3 ms on the same cores as the server)."""
        from urllib.parse import urlsplit

        from nexustop_dev.loadgen import drive, purchase_request

        clients = opts["clients"]
        # Recipients never repeat between drives (warm-up, then the measured one): no duplicate-guard refusals.
        self._drives = getattr(self, "_drives", 0) + 1
        offset = self._drives * 4_999_999
        host = f"{schema}.localhost"

        def build(index: int, counter: int) -> bytes:
            _user_id, token = users[(index + counter * clients) % len(users)]
            phone = f"0803{(index * 1_000_003 + counter + 1 + offset) % 10_000_000:07d}"
            if phone[-4:-1] == "999":
                phone = phone[:-4] + "1234"
            return purchase_request(host=host, token=token, product_id=product_id, phone=phone, amount="50.00")

        split = urlsplit(base)
        return drive(address=(split.hostname or "127.0.0.1", split.port or 80), clients=clients,
                     seconds=opts["seconds"], rate=opts["rate"], build=build).as_dict()

    def _report(self, schema: str, results: dict, opts, sim_url: str, meter: CpuMeter) -> None:
        from tenant_apps.orders.models import FINAL_STATUSES, Order

        accepted = results["accepted"]
        ids = [public_id for public_id, _ in accepted]
        deadline = time.monotonic() + opts["final_timeout"]
        with schema_context(schema):
            while True:
                open_count = Order.objects.filter(public_id__in=ids).exclude(status__in=FINAL_STATUSES).count()
                if not open_count or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            time.sleep(1.0)  # backends report their session counters when they go idle
            cpu = meter.used()  # every order final: the dispatcher's share is complete
            db = meter.db()
            metered_seconds = meter.seconds()
            rows = list(Order.objects.filter(public_id__in=ids).values_list("status", "created_at", "final_at"))
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM (SELECT currency FROM ledger_posting GROUP BY currency "
                               "HAVING SUM(amount) <> 0) off")
                unbalanced = cursor.fetchone()[0]
                cursor.execute("SELECT COUNT(*) FROM (SELECT a.id FROM ledger_account a LEFT JOIN ledger_posting p "
                               "ON p.account_id = a.id WHERE a.balance IS NOT NULL GROUP BY a.id "
                               "HAVING a.balance <> COALESCE(SUM(p.amount), 0)) off")
                drifted = cursor.fetchone()[0]
        finals = [(final - created).total_seconds() for status, created, final in rows if final is not None]
        statuses: dict[str, int] = {}
        for status, _, _ in rows:
            statuses[status] = statuses.get(status, 0) + 1
        deliveries = len(requests.get(f"{sim_url}/__simulator__/deliveries", timeout=10).json())
        latencies = [elapsed for _, elapsed in accepted]
        duration = results["duration"]
        out = self.stdout.write
        out(f"clients={opts['clients']} rate={'max' if not opts['rate'] else opts['rate']} "
            f"web={opts['server']} {opts['web_workers']}x{opts['web_threads']} "
            f"dispatchers={opts['dispatchers']} (batch "
            f"{opts['dispatch_batch']}) celery={opts['celery_workers']}x"
            f"{opts['celery_concurrency']} threads, simulator latency {opts['latency'] * 1000:.0f} ms, "
            f"{duration:.1f} s")
        out(f"accepted: {len(accepted)} ({len(accepted) / duration:.1f}/s); refused: {results['refused'] or 0}")
        if latencies:
            out(f"acceptance latency: p50 {_pct(latencies, 50) * 1000:.1f} ms, "
                f"p99 {_pct(latencies, 99) * 1000:.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms")
        if finals:
            out(f"time to final status: p50 {_pct(finals, 50) * 1000:.1f} ms, p99 {_pct(finals, 99) * 1000:.1f} ms, "
                f"max {max(finals) * 1000:.1f} ms ({len(finals)}/{len(rows)} final)")
        settled = statuses.get("settled", 0)
        # Settled per second from the first acceptance to the last final status: a backlog that outlives the
        # drive counts against it (count / drive length would report the acceptance rate instead).
        stamps = [(created, final) for status, created, final in rows if status == "settled" and final is not None]
        span = ((max(final for _, final in stamps) - min(created for created, _ in stamps)).total_seconds()
                if stamps else 0.0)
        self.settled_per_second = settled / span if span else 0.0
        out(f"settled: {settled} ({settled / span if span else 0.0:.1f}/s from the first acceptance to the last "
            f"final status, {span:.1f} s; the drive lasted {duration:.1f} s)")
        if accepted:
            count = settled or len(accepted)
            background = results.get("background", {"cpu": 0.0, "sessions": 0.0})
            per = {role: seconds * 1000 / count for role, seconds in cpu.items()}
            per_raw = per["postgres"]
            per["postgres"] -= background["cpu"] * metered_seconds * 1000 / count
            # Other databases' load moves between the idle window and the drive: never report less than this
            # database's own backends were seen to use (the sampled lower bound), nor more than the raw figure.
            per["postgres"] = min(per_raw, max(per["postgres"], per["postgres_db"]))
            server = per["web"] + per["dispatcher"] + per["worker"] + per["postgres"]
            out(f"CPU per {'settled' if settled else 'accepted'} purchase: web {per['web']:.1f} ms, dispatcher "
                f"{per['dispatcher']:.1f} ms, celery worker {per['worker']:.1f} ms, postgres {per['postgres']:.1f} ms "
                f"(cluster-wide {per_raw:.1f} ms minus "
                f"the background {background['cpu'] * 1000:.0f} ms/s measured idle, over {metered_seconds:.1f} s; "
                f"this database's backends sampled every 50 ms: {per['postgres_db']:.1f} ms, a lower bound); "
                f"server side {server:.1f} ms -> ceiling on 2 idle cores ~{2000 / server:.0f}/s; "
                f"simulator {per['simulator']:.1f} ms, bench client {per['client']:.1f} ms")
            other_sessions = db["cluster_sessions"] - db["sessions"]
            out(f"new database sessions per purchase: {db['sessions'] / count:.3f} in this database "
                f"({db['sessions']:.0f}; other databases of the cluster meanwhile: {other_sessions:.0f}); "
                f"statement time in this database {db['active_ms'] / count:.1f} ms per purchase (wall, "
                f"pg_stat_database.active_time)")
        (before, after) = results["load"]
        out(f"load average at start {before[0]:.2f} / {before[1]:.2f} / {before[2]:.2f}, at end {after[0]:.2f} "
            f"(1 / 5 / 15 min)")
        out(f"statuses: {statuses}; simulator deliveries: {deliveries - self.warmup_settled} (+ "
            f"{self.warmup_settled} of the warm-up); "
            f"unbalanced currencies: {unbalanced}; wallets off their postings: {drifted}")
