"""Fault injection for the purchase path (issue 11): real PostgreSQL, a private Redis, a real Celery
worker subprocess and the provider simulators over HTTP; faults injected while orders flow, then the books.

Used by ``tests/reliability/`` (CI-sized) and ``manage.py fault_inject`` (longer runs). Scenarios:

* ``provider_faults``: each acting provider request times out (the provider acts, then hangs past our
  timeout) or gets a 5xx (the provider did not act) with probability ``rate`` (20 %).
* ``webhooks``: providers answer pending (then succeed) or fail for some requests; for 30 % of the
  orders the simulator's own callbacks (snapshots taken while pending and once final) are posted to
  ``/webhook/<plugin>`` on the tenant's domain duplicated and in shuffled order, from several threads,
  while the worker is still answering and requerying.
* ``dispatcher_kill``: the dispatcher is SIGKILLed while a batch's provider calls are in flight, and restarted
  (its orders come back when their lease runs out; the same request ids are sent again).
* ``dispatchers_race``: three dispatchers claim from the same outboxes while providers fault (20 %):
  no order is claimed twice (one purchase request per attempt reaches the provider).
* ``redis_restart``: the private redis-server (broker, cache, circuit breaker) is killed and restarted
  (empty: queued messages are lost) while orders flow.
* ``db_drop``: ``pg_terminate_backend`` on the worker's backend while it is inside a transaction.

Recovery is what production runs: the sweeper (``orders_sweep``, the beat task's body, here every
half second with ``ORDERS_OUTBOX_STALE_SECONDS`` small) and the worker's own requeries. Then, per
scenario: every tenant's ledger balances per currency and passes the reconciliation
(``ledger_discrepancies``: wallets equal their postings, entries balance, holds match), every buyer's
wallet equals its funding minus what it was charged, no order is stranded (each is final or in the
manual-review queue), and no value is delivered twice or delivered without being charged (each order
checked against the simulators' own delivery records).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS as AGGREGATOR_CREDENTIALS
from provider_plugins.aggregator.simulator import AggregatorSimulator
from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS as DTONE_CREDENTIALS
from provider_plugins.dtone.simulator import DTOneSimulator
from provider_plugins.simkit.simulator import FaultMode
from provider_plugins.vtpass.simulator import DEFAULT_CREDENTIALS as VTPASS_CREDENTIALS
from provider_plugins.vtpass.simulator import VTPassSimulator
from tenants.connection import tenant_connection

SCENARIOS = ("provider_faults", "webhooks", "dispatcher_kill", "dispatchers_race", "redis_restart", "db_drop")
FINAL = frozenset({"settled", "released", "reversed"})
QUEUED = "manual_review"
FUNDS = {"NGN": 5_000_000, "GHS": 500_000}
WEBHOOK_PATHS = {"vtpass": "/webhook/vtpass", "dtone": "/webhook/dtone", "aggregator": "/webhook/aggregator"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a private Redis --------------------------------------------------------------------------
class PrivateRedis:
    """A throwaway ``redis-server`` on a free port (the shared one is never touched); restartable."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="nx-fault-redis-")
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server") or shutil.which("valkey-server")
        if binary is None:
            raise RuntimeError("fault injection needs redis-server (or valkey-server) on PATH")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", self.dir, "--protected-mode", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # a crash: nothing persisted, queued messages gone
            self.proc.wait(timeout=10)

    def restart(self, *, down_seconds: float = 0.5) -> None:
        self.kill()
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _forget_result_backend(app: Any) -> None:
    """Drop the result backend the Celery app made and keeps (shared, or per thread): the next use makes one from
    the settings of the moment."""
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@contextlib.contextmanager
def redis_for_everything(redis: PrivateRedis) -> Iterator[None]:
    """Point this process's cache and Celery producer (and the workers it starts) at ``redis``."""
    from celery import current_app

    app = current_app._get_current_object()
    old = app.conf.broker_url
    caches = {"default": {**settings.CACHES["default"], "LOCATION": redis.url}}
    with override_settings(CACHES=caches, REDIS_URL=redis.url, CELERY_BROKER_URL=redis.url,
                           CELERY_RESULT_BACKEND=redis.url):
        app.conf.broker_url = redis.url
        app._pool = None
        app.amqp._producer_pool = None
        _forget_result_backend(app)  # the app keeps the result backend it first made: one for the private server
        try:
            yield
        finally:
            app.conf.broker_url = old
            app._pool = None
            app.amqp._producer_pool = None
            # ... and not after it: a backend made during the run would point at the stopped private server for
            # the rest of this process (every later test's task calls in it failed once the run came first).
            _forget_result_backend(app)


# --- the settlement processes ----------------------------------------------------------------------
class Worker:
    """The processes that settle orders, as production runs them: the dispatcher (``run_dispatcher``: claims,
    provider calls, settlement, fail-over) and a Celery worker (requeries, notifications). ``kill()``
    SIGKILLs the dispatcher, the process with provider calls and settlements in flight."""

    def __init__(self, env: dict[str, str], *, pool: str = "threads", concurrency: int = 4,
                 dispatchers: int = 1) -> None:
        self.env, self.pool, self.concurrency, self.dispatchers = env, pool, concurrency, dispatchers
        self.proc: subprocess.Popen | None = None  # the Celery worker
        self.dispatcher_procs: list[subprocess.Popen] = []
        self._log: IO[str] | None = None
        self.kills = 0

    @property
    def dispatcher(self) -> subprocess.Popen | None:
        return self.dispatcher_procs[0] if self.dispatcher_procs else None

    def start(self, timeout: float = 60.0, *, meanwhile: Callable[[], object] | None = None) -> None:
        """Whatever is not running started again, side by side (the Celery worker and the dispatchers);
        ``meanwhile``: called while they start."""
        from nexustop_dev.processes import spawn_dispatcher, wait_ready

        celery = self._spawn_celery() if self.proc is None or self.proc.poll() is not None else None
        self.dispatcher_procs = [proc for proc in self.dispatcher_procs if proc.poll() is None]
        spawned = [spawn_dispatcher(log_name="fault-dispatcher", env=self.env)
                   for _ in range(self.dispatchers - len(self.dispatcher_procs))]
        self.dispatcher_procs += [proc for proc, _log in spawned]  # stop() ends them whatever happens next
        if meanwhile is not None:
            meanwhile()
        for proc, log_path in spawned:
            wait_ready(proc, log_path, "dispatcher ready", timeout=timeout, what="the dispatcher")
        if celery is not None:
            wait_ready(*celery, "ready.", timeout=timeout, what="celery worker")

    def start_dispatchers(self, timeout: float = 60.0) -> None:
        self.start(timeout)  # the Celery worker too, if it exited

    def _spawn_celery(self) -> tuple[subprocess.Popen, Path]:
        """The Celery worker started (the caller waits for it to be ready): its process and log path."""
        from nexustop_dev.processes import spawn_celery_worker

        if self._log:
            self._log.close()
        self.proc, log_path, self._log = spawn_celery_worker(
            pool=self.pool, concurrency=self.concurrency, name="fault", log_name="fault-worker",
            options=("--without-heartbeat",), env=self.env)  # the log is closed in stop()
        return self.proc, log_path

    def kill(self) -> None:
        """SIGKILL a dispatcher: no clean shutdown, its batch's answers and settlement lost."""
        proc = self.dispatcher
        assert proc is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.kills += 1

    def ensure_running(self) -> bool:
        """What the process supervisor does in production (ECS services, Procfile runner): a process that
        exited is started again. Returns True when one had exited."""
        exited = self.proc is None or self.proc.poll() is not None \
            or len([p for p in self.dispatcher_procs if p.poll() is None]) < self.dispatchers
        if exited:
            self.start()
        return exited

    def stop(self) -> None:
        from nexustop_dev.processes import stop_processes

        stop_processes(*self.dispatcher_procs, *([self.proc] if self.proc is not None else []))
        self.dispatcher_procs = []
        if self._log:
            self._log.close()


# --- the world: tenants, simulators, providers ---------------------------------------------------
@dataclass
class TenantSide:
    schema: str
    domain: str
    currency: str
    products: list[tuple[Any, Callable[[random.Random], str | None]]]  # (product, amount picker)
    phone: Callable[[random.Random], str]


@dataclass
class World:
    tag: str
    sims: dict[str, Any]  # plugin key -> simulator
    providers: list[Any]
    sides: list[TenantSide]
    redis: PrivateRedis
    worker_env: dict[str, str]
    timeout_seconds: int = 1

    def sim_for(self, plugin_key: str):
        return self.sims.get(plugin_key)


def _ng_phone(rng: random.Random) -> str:
    while True:
        tail = f"{rng.randrange(10**7):07d}"
        if not tail[-4:].startswith("999"):
            return "0803" + tail


def _gh_phone(rng: random.Random) -> str:
    while True:
        tail = f"{rng.randrange(10**7):07d}"
        if not tail[-4:].startswith("999"):
            return "024" + tail


def world_env(*, tag: str, timeout_seconds: int = 1, requery_backoff: str = "0.3,0.5,1",
              requery_max: int = 8) -> dict[str, str]:
    """The environment of the run's worker and dispatchers."""
    return {"ORDERS_REQUERY_BACKOFF": requery_backoff, "ORDERS_REQUERY_MAX": str(requery_max),
            # A killed dispatcher's orders come back after this (longer than a provider call: timeout + replays).
            "ORDERS_DISPATCH_LEASE_SECONDS": str(3 * timeout_seconds + 1),
            "ORDERS_SMS_NOTIFICATIONS": "0", "ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS": "3",
            "ORDERS_BREAKER_PREFIX": f"fault-breaker-{tag}",
            "PGAPPNAME": f"nx-fault-worker-{tag}", "LOG_LEVEL": "WARNING"}


def build_world(*, ng: tuple[str, str], gh: tuple[str, str], redis: PrivateRedis, timeout_seconds: int = 1,
                requery_backoff: str = "0.3,0.5,1", requery_max: int = 8, tag: str | None = None) -> World:
    """Start the simulators and register them (public schema) as the NG and GH providers of this run."""
    from shared_apps.catalog.models import Product
    from shared_apps.catalog.services import catalog_sync_provider
    from shared_apps.providers.services import provider_register

    tag = tag or uuid.uuid4().hex[:6]
    hang = timeout_seconds + 0.6
    sims = {"vtpass": VTPassSimulator(duplicate_window_seconds=0, hang_seconds=hang, pending_requeries=1).start(),
            "dtone": DTOneSimulator(hang_seconds=hang, pending_requeries=1).start(),
            "aggregator": AggregatorSimulator(hang_seconds=hang, pending_requeries=1).start()}
    tenant_connection().set_schema_to_public()
    vt = provider_register(name=f"VTPass faults {tag}", country="NG", plugin_key="vtpass", base_url=sims["vtpass"].url,
                           capabilities=["airtime", "data"],
                           credentials={k: VTPASS_CREDENTIALS[k] for k in ("api_key", "secret_key", "public_key")},
                           options={"commission_bp": {"*": 300}}, routing_priority=0, timeout_seconds=timeout_seconds)
    mt = provider_register(name=f"DT One faults {tag}", country="NG", plugin_key="dtone",
                           base_url=sims["dtone"].url + "/v1", capabilities=["airtime", "data"],
                           credentials=dict(DTONE_CREDENTIALS), options={"countries": ["NG"]}, routing_priority=1,
                           timeout_seconds=timeout_seconds)
    ag = provider_register(name=f"Aggregator faults {tag}", country="GH", plugin_key="aggregator",
                           base_url=sims["aggregator"].url, capabilities=["airtime", "data"],
                           credentials=dict(AGGREGATOR_CREDENTIALS), options={"countries": ["GH"]},
                           routing_priority=0, timeout_seconds=timeout_seconds)
    for provider in (vt, mt, ag):
        catalog_sync_provider(provider_id=provider.pk)

    def naira(low: int, high: int):
        return lambda rng: f"{rng.randrange(low, high)}.00"

    sides = [
        TenantSide(ng[0], ng[1], "NGN", [
            (Product.objects.get(provider=vt, provider_product_code="mtn"), naira(100, 600)),  # fails over to DT One
            (Product.objects.get(provider=vt, provider_product_code="mtn-10mb-100"), lambda rng: None),
            (Product.objects.get(provider=mt, product_type="data", operator="mtn", face_value_minor=50_000),
             lambda rng: None),
        ], _ng_phone),
        TenantSide(gh[0], gh[1], "GHS", [
            (Product.objects.get(provider=ag, provider_product_code="150"), lambda rng: f"{rng.randrange(2, 30)}.00"),
        ], _gh_phone),
    ]
    env = world_env(tag=tag, timeout_seconds=timeout_seconds, requery_backoff=requery_backoff,
                    requery_max=requery_max)
    return World(tag=tag, sims=sims, providers=[vt, mt, ag], sides=sides, redis=redis, worker_env=env,
                 timeout_seconds=timeout_seconds)


def retire_world(world: World) -> None:
    from shared_apps.providers.models import Provider, ProviderStatus

    tenant_connection().set_schema_to_public()
    Provider.objects.filter(pk__in=[p.pk for p in world.providers]).update(status=ProviderStatus.DISABLED)
    for sim in world.sims.values():
        sim.stop()


# --- fault plans on the simulators --------------------------------------------------------------
class FaultPlan:
    """Replaces each simulator's per-run fault with a seeded random draw per acting request."""

    def __init__(self, world: World, rng: random.Random, weights: dict[FaultMode, float], *,
                 alternate: bool = False) -> None:
        """``weights``: probability of each fault per acting request. ``alternate``: the total probability
        decides whether a request is faulted and the kinds take turns, and the first requests are faulted
        one of each kind (so a short run sees each kind whatever the order the concurrent calls draw in)."""
        self.world, self.rng, self.weights, self.alternate = world, rng, weights, alternate
        self._turn = 0
        self._draws = 0
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self._originals: dict[str, Any] = {}

    def _draw(self) -> FaultMode:
        with self.lock:
            roll, cumulative = self.rng.random(), 0.0
            self._draws += 1
            if self.alternate:
                if roll >= sum(self.weights.values()) and self._draws > len(self.weights):
                    return FaultMode.NONE
                mode = list(self.weights)[self._turn % len(self.weights)]
                self._turn += 1
                self.counts[mode.value] += 1
                return mode
            for mode, weight in self.weights.items():
                cumulative += weight
                if roll < cumulative:
                    self.counts[mode.value] += 1
                    return mode
        return FaultMode.NONE

    def __enter__(self) -> FaultPlan:
        for key, sim in self.world.sims.items():
            original = sim.take_fault
            self._originals[key] = original

            def take(request, recipient="", _original=original):
                mode = _original(request, recipient)
                return mode if mode != FaultMode.NONE else self._draw()

            sim.take_fault = take
        return self

    def __exit__(self, *exc) -> None:
        for sim in self.world.sims.values():
            sim.__dict__.pop("take_fault", None)


# --- placing orders -------------------------------------------------------------------------------
@dataclass
class Buyer:
    side: TenantSide
    user: Any
    token: str
    funded: int


@dataclass
class Placed:
    side: TenantSide
    buyer: Buyer
    public_id: str


@dataclass
class Result:
    scenario: str
    faults: Counter[str] = field(default_factory=Counter)
    orders: int = 0
    states: Counter[str] = field(default_factory=Counter)
    discrepancies: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def faults_text(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())) or "-"

    @property
    def states_text(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(self.states.items()))


def new_buyers(world: World, per_side: int) -> list[Buyer]:
    from nexustop_dev.buyers import new_buyer

    buyers = []
    for side in world.sides:
        for _ in range(per_side):
            user, token = new_buyer(FUNDS[side.currency], schema=side.schema)
            buyers.append(Buyer(side, user, token, FUNDS[side.currency]))
    return buyers


def place_order(rng: random.Random, buyer: Buyer, result: Result) -> Placed | None:
    side = buyer.side
    product, amount = rng.choice(side.products)
    body = {"product_id": product.pk, "recipient_phone": side.phone(rng), "confirm_duplicate": True}
    if (value := amount(rng)) is not None:
        body["amount"] = value
    response = Client(HTTP_HOST=side.domain, raise_request_exception=False).post(
        "/api/purchase", json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {buyer.token}", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    close_old_connections()
    if response.status_code == 202:
        return Placed(side, buyer, response.json()["id"])
    if response.status_code >= 500 or response.status_code == 422:
        result.discrepancies.append(f"purchase answered {response.status_code}: {response.content[:200]!r}")
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = ""
    result.states[f"refused {response.status_code} {code}".strip()] += 1  # e.g. a buyer's KYC daily limit
    return None


def place_orders(rng: random.Random, buyers: list[Buyer], count: int, result: Result, *,
                 pace: float = 0.0, during: Callable[[int], None] | None = None) -> list[Placed]:
    placed = []
    for number in range(count):
        if during is not None:
            during(number)
        order = place_order(rng, rng.choice(buyers), result)
        if order is not None:
            placed.append(order)
        if pace:
            time.sleep(pace)
    return placed


# --- recovery, as production runs it ---------------------------------------------------------------
def _statuses(placed: list[Placed]) -> dict[str, str]:
    from tenant_apps.orders.models import Order

    found: dict[str, str] = {}
    for schema in {p.side.schema for p in placed}:
        ids = [p.public_id for p in placed if p.side.schema == schema]
        with schema_context(schema):
            found.update({str(k): v for k, v in Order.objects.filter(public_id__in=ids)
                          .values_list("public_id", "status")})
    return found


def _all_done(placed: list[Placed]) -> bool:
    """Every order final or queued for review."""
    statuses = _statuses(placed)
    close_old_connections()
    return all(statuses.get(p.public_id) in FINAL | {QUEUED} for p in placed)


SETTLED_POLL_SECONDS = 0.1


def settle_down(world: World, placed: list[Placed], *, timeout: float, sweep_every: float = 0.5,
                worker: Worker | None = None, result: Result | None = None) -> None:
    """Run the sweeper like beat does until every order is final or queued for review (or time is up);
    with ``worker``, also restart it if it exited, as the process supervisor does."""
    from tenant_apps.orders.services import orders_sweep

    schemas = sorted({side.schema for side in world.sides})
    deadline = time.monotonic() + timeout
    next_sweep = 0.0
    while time.monotonic() < deadline:
        statuses = _statuses(placed)
        if all(statuses.get(p.public_id) in FINAL | {QUEUED} for p in placed):
            return
        if worker is not None and worker.ensure_running() and result is not None:
            result.faults["worker exited, restarted by supervisor"] += 1
        if time.monotonic() >= next_sweep:  # the sweeper at beat's cadence; the orders looked at more often
            next_sweep = time.monotonic() + sweep_every
            for schema in schemas:
                with schema_context(schema), contextlib.suppress(Exception):  # redis may be restarting
                    orders_sweep()
        close_old_connections()
        time.sleep(SETTLED_POLL_SECONDS)


# --- the books ---------------------------------------------------------------------------------------
def check_books(world: World, placed: list[Placed], buyers: list[Buyer], result: Result) -> None:
    from tenant_apps.ledger.services import wallet_for
    from tenant_apps.orders.models import Order, OrderAttempt
    from tenant_apps.wallet.selectors import ledger_discrepancies

    tenant_connection().set_schema_to_public()
    result.orders = len(placed)
    for side in world.sides:
        charged: Counter[int] = Counter()  # user ids are per schema
        with schema_context(side.schema):
            for item in ledger_discrepancies():
                result.discrepancies.append(f"{side.schema}: {item}")
            with connection.cursor() as cursor:
                cursor.execute("SELECT currency, SUM(amount) FROM ledger_posting GROUP BY currency "
                               "HAVING SUM(amount) <> 0")
                for currency, total in cursor.fetchall():
                    result.discrepancies.append(f"{side.schema}: ledger sums to {total} {currency}")
            ids = [p.public_id for p in placed if p.side is side]
            orders = {str(o.public_id): o for o in Order.objects.filter(public_id__in=ids).select_related("hold")}
            attempts: dict[int, list] = {}
            for attempt in OrderAttempt.objects.filter(order__public_id__in=ids):
                attempts.setdefault(attempt.order_id, []).append(attempt)
            for public_id in ids:
                order = orders.get(public_id)
                if order is None:
                    result.discrepancies.append(f"{side.schema}: order {public_id} missing")
                    continue
                result.states[order.status] += 1
                if order.status not in FINAL and order.status != QUEUED:
                    result.discrepancies.append(f"{order.reference}: stranded in {order.status}")
                delivered, unknown = 0, 0
                for attempt in attempts.get(order.pk, []):
                    sim = world.sim_for(attempt.plugin_key)
                    if sim is None:
                        unknown += 1
                    else:
                        delivered += sim.delivery_count(attempt.request_id)
                if unknown:
                    result.discrepancies.append(f"{order.reference}: routed to a provider outside this run")
                if delivered > 1:
                    result.discrepancies.append(f"{order.reference}: delivered {delivered} times")
                if order.status == "settled" and delivered != 1:
                    result.discrepancies.append(f"{order.reference}: charged but delivered {delivered} times")
                if order.status == "released" and delivered:
                    result.discrepancies.append(f"{order.reference}: refunded but delivered")
                if order.status == QUEUED and order.hold is not None and order.hold.status != "placed":
                    result.discrepancies.append(f"{order.reference}: in review without its hold")
                if order.status == "settled":
                    settled = next((a for a in attempts.get(order.pk, []) if a.status == "succeeded"), None)
                    charged[order.user_id] += int((settled.quote if settled else order.quote)["price_minor"])
                elif order.status not in ("released", "reversed"):
                    charged[order.user_id] += order.price_minor  # still held
            for buyer in buyers:
                if buyer.side is side:
                    balance = wallet_for(user=buyer.user, currency=side.currency).balance
                    if balance != buyer.funded - charged[buyer.user.pk]:
                        result.discrepancies.append(
                            f"{side.schema}: wallet {buyer.user.pk} is {balance}, expected "
                            f"{buyer.funded - charged[buyer.user.pk]}")
    tenant_connection().set_schema_to_public()


# --- scenarios -------------------------------------------------------------------------------------
class Background(threading.Thread):
    """A fault injector running beside the order flow; ``stop()`` and join at the end."""

    def __init__(self, body: Callable[[threading.Event], None]) -> None:
        super().__init__(daemon=True)
        self.body, self.stopping = body, threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.body(self.stopping)
        except Exception as exc:  # reported, not swallowed
            self.error = exc
        finally:
            close_old_connections()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
        if self.error is not None:
            raise self.error


def _provider_posts(world: World) -> int:
    return sum(sum(1 for method, path in list(sim.requests_seen) if method == "POST" and "oauth" not in path)
               for sim in world.sims.values())


def scenario_provider_faults(world: World, worker: Worker, rng: random.Random, orders: int, rate: float,
                             result: Result, buyers: list[Buyer]) -> list[Placed]:
    half = rate / 2
    with FaultPlan(world, rng, {FaultMode.TIMEOUT: half, FaultMode.SERVER_ERROR: half}, alternate=True) as plan:
        placed = place_orders(rng, buyers, orders, result)
        settle_down(world, placed, timeout=30 + orders, worker=worker, result=result)
    result.faults.update(plan.counts)
    return placed


def _webhook_storm(world: World, rng: random.Random, rate: float, result: Result, stopping: threading.Event,
                   placed_ref: list[Placed]) -> None:
    """Snapshot callbacks of a ``rate`` share of orders while pending and when final; post them later,
    duplicated and shuffled, from 3 threads, on the order's tenant domain."""
    from concurrent.futures import ThreadPoolExecutor

    from tenant_apps.orders.models import OrderAttempt

    chosen: dict[str, bool] = {}
    queue: list[tuple[float, str, str, bytes, dict]] = []  # (due, domain, path, body, headers)
    final_taken: set[str] = set()
    lock = threading.Lock()

    def snapshot(plugin: str, request_id: str) -> tuple[bytes, dict, str] | None:
        sim = world.sims[plugin]
        with contextlib.suppress(KeyError):
            if plugin == "vtpass":
                body, headers = sim.build_callback(request_id)
                status = sim.transactions[request_id].status
            elif plugin == "dtone":
                body, headers = sim.build_callback(request_id)
                status = sim.by_external_id[request_id].status
            else:
                body, headers = sim.build_callback(request_id)
                status = sim.by_identifier[request_id].status
            return body, headers, status
        return None

    def post(item) -> None:
        _due, domain, path, body, headers = item
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.lower() != "content-type"}
        client = Client(HTTP_HOST=domain, raise_request_exception=False)
        response = client.post(path, body, content_type="application/json", **extra)
        close_old_connections()
        with lock:
            result.faults["webhooks posted"] += 1
            if response.status_code >= 500:
                result.discrepancies.append(f"webhook {path} answered {response.status_code}")

    with ThreadPoolExecutor(max_workers=3) as pool:
        while not stopping.is_set() or queue:
            now = time.monotonic()
            for placed in list(placed_ref):
                if placed.public_id not in chosen:
                    chosen[placed.public_id] = rng.random() < rate
                if not chosen[placed.public_id]:
                    continue
                with schema_context(placed.side.schema):
                    found = list(OrderAttempt.objects.filter(order__public_id=placed.public_id)
                                 .values_list("plugin_key", "request_id"))
                for plugin, request_id in found:
                    if plugin not in WEBHOOK_PATHS or request_id in final_taken:
                        continue
                    shot = snapshot(plugin, request_id)
                    if shot is None:
                        continue
                    body, headers, status = shot
                    final = status not in ("PENDING", "pending", "initiated", "PROCESSING", "CREATED", "CONFIRMED",
                                           "SUBMITTED")
                    if final:
                        final_taken.add(request_id)
                    copies = rng.choice((1, 2, 3)) if final else 1
                    for _ in range(copies):
                        queue.append((now + rng.uniform(0.0, 1.5), placed.side.domain, WEBHOOK_PATHS[plugin],
                                      body, dict(headers)))
                    result.faults["webhook copies" if copies > 1 else "webhook snapshots"] += copies
            close_old_connections()
            due = [item for item in queue if item[0] <= now]
            queue[:] = [item for item in queue if item[0] > now]
            rng.shuffle(due)  # out of order: a stale pending snapshot may land after the final one
            list(pool.map(post, due))
            time.sleep(0.1)


def scenario_webhooks(world: World, worker: Worker, rng: random.Random, orders: int, rate: float,
                      result: Result, buyers: list[Buyer]) -> list[Placed]:
    for sim in world.sims.values():
        sim.pending_requeries = 3  # callbacks usually arrive before the requeries resolve it
    placed: list[Placed] = []
    storm = Background(lambda stop: _webhook_storm(world, rng, rate, result, stop, placed))
    try:
        with FaultPlan(world, rng, {FaultMode.PENDING_THEN_SUCCESS: 0.3, FaultMode.FAILURE: 0.1}) as plan:
            storm.start()
            for _ in range(orders):
                order = place_order(rng, rng.choice(buyers), result)
                if order is not None:
                    placed.append(order)
            settle_down(world, placed, timeout=30 + orders, worker=worker, result=result)
            time.sleep(1.6)  # the last delayed callbacks
    finally:
        storm.stop()
        for sim in world.sims.values():
            sim.pending_requeries = 1
    result.faults.update(plan.counts)
    settle_down(world, placed, timeout=10, worker=worker, result=result)
    return placed


def scenario_dispatcher_kill(world: World, worker: Worker, rng: random.Random, orders: int, kills: int,
                             result: Result, buyers: list[Buyer]) -> list[Placed]:
    for sim in world.sims.values():
        sim.latency_seconds = 0.3  # a provider call is in flight long enough to be killed in it

    def killer(stopping: threading.Event) -> None:
        for _ in range(kills):
            seen = _provider_posts(world)
            while _provider_posts(world) == seen:
                if stopping.is_set():
                    return
                time.sleep(0.01)
            worker.kill()
            result.faults["dispatcher SIGKILL"] += 1
            worker.start()
            time.sleep(rng.uniform(0.2, 1.0))

    thread = Background(killer)
    try:
        thread.start()
        placed = place_orders(rng, buyers, orders, result, pace=0.05)
        deadline = time.monotonic() + 60
        # Until the kills are done, or every order is final: nothing is left to send, so no provider call would
        # come for the killer to strike during (it waited out the whole minute when a restart came late).
        while thread.is_alive() and time.monotonic() < deadline and result.faults["dispatcher SIGKILL"] < kills \
                and not _all_done(placed):
            time.sleep(0.1)
    finally:
        thread.stop()
        for sim in world.sims.values():
            sim.latency_seconds = 0.0
    worker.start()  # whatever exited
    settle_down(world, placed, timeout=30 + orders, worker=worker, result=result)
    return placed


def scenario_dispatchers_race(world: World, worker: Worker, rng: random.Random, orders: int, rate: float,
                              result: Result, buyers: list[Buyer]) -> list[Placed]:
    """Three dispatchers at once on the same outboxes, providers faulting: each order's attempts are sent by
    one dispatcher each (a double claim would send an attempt twice: two purchase requests for one request
    id at the simulator, a submit_count above 1)."""
    from tenant_apps.orders.models import OrderAttempt

    for sim in world.sims.values():
        sim.latency_seconds = 0.05
    before = worker.dispatchers
    worker.dispatchers = 3
    try:
        worker.start_dispatchers()
        with FaultPlan(world, rng, {FaultMode.TIMEOUT: rate / 2, FaultMode.SERVER_ERROR: rate / 2}) as plan:
            placed = place_orders(rng, buyers, orders, result, pace=0.02)
            settle_down(world, placed, timeout=30 + orders, worker=worker, result=result)
    finally:
        for sim in world.sims.values():
            sim.latency_seconds = 0.0
        worker.dispatchers = before
        from nexustop_dev.processes import stop_processes

        stop_processes(*worker.dispatcher_procs[before:])
        worker.dispatcher_procs = worker.dispatcher_procs[:before]
    result.faults.update(plan.counts)
    result.faults["dispatchers"] = 3
    for side in world.sides:
        ids = [p.public_id for p in placed if p.side is side]
        with schema_context(side.schema):
            for request_id, count in OrderAttempt.objects.filter(order__public_id__in=ids) \
                    .values_list("request_id", "submit_count"):
                if count > 1:
                    # a retry after a timeout is legitimate only after a lease ran out; none does here
                    result.discrepancies.append(f"{request_id}: sent {count} times")
    return placed


def scenario_redis_restart(world: World, worker: Worker, rng: random.Random, orders: int, restarts: int,
                           result: Result, buyers: list[Buyer]) -> list[Placed]:
    """redis-server killed (nothing persisted) and restarted at random moments while purchases arrive."""

    def restarter(stopping: threading.Event) -> None:
        for _ in range(restarts):
            if stopping.wait(rng.uniform(0.3, 1.2)):
                return
            world.redis.restart(down_seconds=rng.uniform(0.2, 0.6))
            result.faults["redis restart"] += 1

    thread = Background(restarter)
    try:
        thread.start()
        placed = place_orders(rng, buyers, orders, result, pace=0.05)
        deadline = time.monotonic() + 20
        while thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        thread.stop()
    settle_down(world, placed, timeout=30 + orders, worker=worker, result=result)
    return placed


def scenario_db_drop(world: World, worker: Worker, rng: random.Random, orders: int, drops: int,
                     result: Result, buyers: list[Buyer]) -> list[Placed]:
    app_name = world.worker_env["PGAPPNAME"]

    def dropper(stopping: threading.Event) -> None:
        done = 0
        with connection.cursor() as cursor:
            while done < drops and not stopping.is_set():
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s "
                               "AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction') "
                               "AND pid <> pg_backend_pid() LIMIT 1", [app_name])
                if cursor.fetchall():
                    done += 1
                    result.faults["backend terminated mid-transaction"] += 1
                    time.sleep(rng.uniform(0.2, 0.6))
                else:
                    time.sleep(0.005)

    thread = Background(dropper)
    try:
        thread.start()
        placed = place_orders(rng, buyers, orders, result, pace=0.05)
        deadline = time.monotonic() + 20
        while thread.is_alive() and time.monotonic() < deadline \
                and result.faults["backend terminated mid-transaction"] < drops:
            time.sleep(0.05)
    finally:
        thread.stop()
    settle_down(world, placed, timeout=30 + orders, worker=worker, result=result)
    return placed


def run_scenarios(*, world: World, worker: Worker, scenarios: tuple[str, ...], orders: int, seed: int,
                  provider_rate: float = 0.2, webhook_rate: float = 0.3, kills: int = 2,
                  buyers_per_tenant: int = 2, stale_seconds: int = 2) -> list[Result]:
    """Run each scenario on fresh buyers; returns one Result per scenario (discrepancies must be empty)."""
    results = []
    with override_settings(ORDERS_OUTBOX_STALE_SECONDS=stale_seconds, ORDERS_SMS_NOTIFICATIONS=False,
                           ORDERS_BREAKER_PREFIX=world.worker_env["ORDERS_BREAKER_PREFIX"]):
        for index, name in enumerate(scenarios):
            rng = random.Random(f"{seed}-{name}-{index}")
            result = Result(name)
            started = time.monotonic()
            buyers = new_buyers(world, buyers_per_tenant)
            if name == "provider_faults":
                placed = scenario_provider_faults(world, worker, rng, orders, provider_rate, result, buyers)
            elif name == "webhooks":
                placed = scenario_webhooks(world, worker, rng, orders, webhook_rate, result, buyers)
            elif name == "dispatcher_kill":
                placed = scenario_dispatcher_kill(world, worker, rng, orders, kills, result, buyers)
            elif name == "dispatchers_race":
                placed = scenario_dispatchers_race(world, worker, rng, orders, provider_rate, result, buyers)
            elif name == "redis_restart":
                placed = scenario_redis_restart(world, worker, rng, orders, kills, result, buyers)
            elif name == "db_drop":
                placed = scenario_db_drop(world, worker, rng, orders, kills + 1, result, buyers)
            else:
                raise KeyError(name)
            check_books(world, placed, buyers, result)
            result.seconds = time.monotonic() - started
            results.append(result)
    return results


def table(results: list[Result]) -> str:
    rows = [("scenario", "faults injected", "orders", "final states", "discrepancies", "s")]
    rows += [(r.scenario, r.faults_text, str(r.orders), r.states_text, str(len(r.discrepancies)), f"{r.seconds:.1f}")
             for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    details = [f"  {r.scenario}: {item}" for r in results for item in r.discrepancies]
    return "\n".join(lines + (["discrepancies:", *details] if details else []))


@contextlib.contextmanager
def fault_stack(*, ng: tuple[str, str], gh: tuple[str, str], timeout_seconds: int = 1,
                pool: str = "threads", concurrency: int = 4) -> Iterator[tuple[World, Worker]]:
    """Private Redis + simulators + providers + the dispatcher and a Celery worker; torn down (providers retired)
    at the end."""
    redis = PrivateRedis().start()
    world = None
    worker = None
    try:
        with redis_for_everything(redis):
            tag = uuid.uuid4().hex[:6]
            worker = Worker(world_env(tag=tag, timeout_seconds=timeout_seconds), pool=pool, concurrency=concurrency)
            built: list[World] = []
            # The simulators and providers are made while the processes start (neither needs them before an order).
            worker.start(meanwhile=lambda: built.append(build_world(ng=ng, gh=gh, redis=redis, tag=tag,
                                                                    timeout_seconds=timeout_seconds)))
            [world] = built
            yield world, worker
    finally:
        if worker is not None:
            worker.stop()
        if world is not None:
            retire_world(world)
        redis.stop()
