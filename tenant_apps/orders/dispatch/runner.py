"""The dispatcher process: wake on NOTIFY (or the scan), claim, call concurrently, settle; until SIGTERM.

One asyncio loop holds the provider calls and the LISTEN connection; the Django database work runs on two
threads, each with its own persistent connection: claims (and the scan) on one, settlements on the other,
so a new batch is claimed while an earlier one settles, and other batches' calls are in flight meanwhile.
A claim never waits on a settlement's rows (SKIP LOCKED; the settling orders' outbox rows are leased).
SIGTERM/SIGINT: no new claims, the batches in flight finish and settle,
then the process exits. SIGKILL: the leases bring the orders back (see the package docstring).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import logging
import pstats
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, connections
from django_tenants.utils import schema_context

from shared_apps.core.dburl import database_url
from tenants.connection import tenant_connection

from .calls import call_all
from .claims import Claimed, claim_batch
from .settle import settle_batch
from .transport import Transports

logger = logging.getLogger(__name__)

CHANNEL = "orders_outbox"


def schemas_with_work() -> set[str]:
    """Tenant schemas with a ready outbox row or a lapsed lease (one statement for all tenants)."""
    from tenants.selectors import tenant_list

    tenant_connection().set_schema_to_public()
    schemas = [tenant.schema_name for tenant in tenant_list()]
    if not schemas:
        return set()
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(schema)}.orders_orderoutbox "  # noqa: S608 (schema names)
        "WHERE claimed_until IS NULL OR claimed_until < now())" for schema in schemas)
    with connection.cursor() as cursor:
        cursor.execute(sql, schemas)
        return {row[0] for row in cursor.fetchall()}


def listen_url() -> str:
    """LISTEN needs a session of its own: PostgreSQL directly (never a transaction pooler)."""
    return settings.ORDERS_DISPATCH_LISTEN_URL or database_url(settings.DATABASES["default"])


class FullCollections:
    """Counts the process's full (generation 2) garbage collections and their CPU (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.count, self.seconds, self._started = 0, 0.0, 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.thread_time()  # the collection runs on the thread that triggered it
        else:
            self.count += 1
            self.seconds += time.thread_time() - self._started


def freeze_startup_objects() -> None:
    """Leave everything made at startup (Django, the apps, the plugins: ~180,000 objects) out of the garbage
    collector's full collections: each took 80-100 ms of CPU, and a busy dispatcher ran them every few
    batches (issue 18, docs/benchmarks.md). ``ORDERS_DISPATCH_GC_FREEZE=0`` turns it off."""
    if not settings.ORDERS_DISPATCH_GC_FREEZE:
        return
    gc.collect()  # startup garbage first: what is frozen is never collected
    gc.freeze()


class ThreadProfiles:
    """``ORDERS_DISPATCH_PROFILE``: a CPU-time cProfile per thread (the loop and the two database threads), merged
    into one stats file when the dispatcher stops. A measurement aid (issue 18); off by default."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._profiles: dict[int, cProfile.Profile] = {}

    def start(self) -> None:
        """Profile the calling thread from now on."""
        profile = self._profiles[threading.get_ident()] = cProfile.Profile(time.thread_time)
        profile.enable()

    def stop(self) -> None:
        """Stop profiling the calling thread (a profile is switched off on its own thread)."""
        profile = self._profiles.get(threading.get_ident())
        if profile is not None:
            profile.disable()

    def dump(self) -> None:
        profiles = list(self._profiles.values())
        if not profiles:
            return
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            stats.add(profile)
        stats.dump_stats(self.path)
        logger.info("dispatcher: CPU profile of %d threads written to %s", len(profiles), self.path)


def gather_wait(*, now: float, claimed_at: float | None, in_flight: int, noted: int, batch: int) -> float:
    """Seconds before a tenant with ready rows is claimed: none when nothing is in flight (an idle dispatcher sends
    the first order at once) or when the rows noted since its last claim fill a batch; otherwise what is left of
    ``ORDERS_DISPATCH_GATHER_MS`` since that claim began. A busy tenant is thus claimed at a fixed cadence, each
    claim taking what came in meanwhile: a claim and a settlement cost ~11 ms of CPU whatever their size, which a
    batch of 5-8 orders (one claim per NOTIFY, or per 20 ms) made 1.5-2 ms per order (docs/dispatcher.md)."""
    gather = max(0, settings.ORDERS_DISPATCH_GATHER_MS) / 1000
    if in_flight <= 0 or gather <= 0 or claimed_at is None or noted >= batch:
        return 0.0
    return max(0.0, claimed_at + gather - now)


class Dispatcher:
    def __init__(self, *, batch: int, lease_seconds: float, scan_seconds: float, provider_limit: int,
                 max_in_flight: int, ready: Callable[[], None] | None = None) -> None:
        self.batch, self.lease_seconds, self.scan_seconds = batch, lease_seconds, scan_seconds
        self.provider_limit, self.max_in_flight = provider_limit, max_in_flight
        self.ready = ready
        self.in_flight = 0
        self.settled = 0
        self.claims = 0
        self.settlements = 0

    # --- the database thread -----------------------------------------------------------
    def _job(self, schema: str | None, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        connection.close_if_unusable_or_obsolete()
        try:
            if schema is None:
                return fn(*args, **kwargs)
            with schema_context(schema):
                return fn(*args, **kwargs)
        except Exception:
            logger.exception("dispatcher: %s failed (schema %s)", getattr(fn, "__name__", fn), schema)
            with contextlib.suppress(Exception):
                if connection.connection is not None and not connection.is_usable():
                    connection.close()
            raise

    async def _db(self, schema: str | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` in ``schema`` on the claims thread (settlements: on their own thread)."""
        executor = self._settling if fn is settle_batch else self._claiming
        return await asyncio.get_running_loop().run_in_executor(executor, self._job, schema, fn, args, kwargs)

    # --- the loop ------------------------------------------------------------------------
    def run(self) -> None:
        asyncio.run(self._main())

    def stop(self) -> None:
        logger.info("dispatcher: stopping (the batches in flight finish first)")
        self._stopping.set()
        self._wake.set()

    def _due_now(self, schema: str, *, noted: bool = False) -> None:
        """``schema`` has ready rows (``noted``: one more NOTIFY since its last claim). The loop is woken when
        that can change what it waits for: a newly due tenant, or one whose noted rows now fill a batch."""
        if noted:
            count = self._noted[schema] = self._noted.get(schema, 0) + 1
            if count == self.batch:
                self._wake.set()
        if schema not in self._due:
            self._due.add(schema)
            self._wake.set()

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        freeze_startup_objects()
        collections = FullCollections()
        gc.callbacks.append(collections)
        profiles = ThreadProfiles(settings.ORDERS_DISPATCH_PROFILE) if settings.ORDERS_DISPATCH_PROFILE else None
        if profiles is not None:
            profiles.start()
        start = profiles.start if profiles is not None else None
        self._claiming = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch-claim", initializer=start)
        self._settling = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch-settle", initializer=start)
        self._transports = Transports(limit=self.provider_limit)
        self._wake, self._stopping = asyncio.Event(), asyncio.Event()
        self._due: set[str] = set()
        self._noted: dict[str, int] = {}  # NOTIFYs per tenant since its last claim (its ready rows, roughly)
        self._claimed_at: dict[str, float] = {}  # loop time each tenant's last claim began
        self._to_settle: dict[str, list[Claimed]] = {}  # answered, waiting for the settlement thread
        self._settlers: dict[str, asyncio.Task] = {}
        self._starved: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._next_scan = 0.0
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        listening = asyncio.Event()
        listener = asyncio.create_task(self._listen(listening))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(listening.wait(), 10)
        if self.ready is not None:
            self.ready()
        try:
            while not self._stopping.is_set():
                if loop.time() >= self._next_scan:
                    self._next_scan = loop.time() + self.scan_seconds
                    with contextlib.suppress(Exception):  # logged; the next scan tries again
                        for schema in await self._db(None, schemas_with_work):
                            self._due_now(schema)
                ready, wait = self._ready(loop.time())
                for schema in ready:
                    self._due.discard(schema)
                    self._noted.pop(schema, None)
                    self._claimed_at[schema] = loop.time()
                    await self._drain(schema)
                if ready or self._stopping.is_set():
                    continue  # NOTIFYs came in meanwhile: looked at again before waiting
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.0, min(wait, self._next_scan - loop.time())))
        finally:
            listener.cancel()
            while self._tasks:  # calls in flight hand their answers to settlers: until both are done
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            await self._transports.close()
            for executor in (self._claiming, self._settling):
                executor.submit(connections.close_all).result()  # each database thread's own connection
                if profiles is not None:
                    executor.submit(profiles.stop).result()
                executor.shutdown()
            if profiles is not None:
                profiles.stop()
                profiles.dump()
            gc.callbacks.remove(collections)
            logger.info("dispatcher: stopped after settling %d orders in %d batches (%d claims; %d full garbage "
                        "collections, %.0f ms of CPU)", self.settled, self.settlements, self.claims, collections.count,
                        collections.seconds * 1000)

    def _ready(self, now: float) -> tuple[list[str], float]:
        """The due tenants to claim now (sorted), and the seconds until the next one's gathering ends."""
        ready, wait = [], float("inf")
        for schema in sorted(self._due):
            delay = gather_wait(now=now, claimed_at=self._claimed_at.get(schema), in_flight=self.in_flight,
                                noted=self._noted.get(schema, 0), batch=self.batch)
            if delay <= 0:
                ready.append(schema)
            else:
                wait = min(wait, delay)
        return ready, wait

    async def _drain(self, schema: str) -> None:
        """Claim batches in ``schema`` while there are ready rows and room in flight."""
        while not self._stopping.is_set():
            room = min(self.batch, self.max_in_flight - self.in_flight)
            if room <= 0:
                self._starved.add(schema)  # looked at again when a batch finishes
                return
            try:
                claim = await self._db(schema, claim_batch, limit=room, lease_seconds=self.lease_seconds)
            except Exception:
                return  # logged; the rows stay ready (rolled back) for the next wake-up or scan
            self.claims += 1
            if claim.items:
                self.in_flight += len(claim.items)
                task = asyncio.create_task(self._finish(schema, claim.items))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if claim.rows < room:
                return

    async def _finish(self, schema: str, items: list[Claimed]) -> None:
        try:
            await call_all(items, self._transports)
        finally:
            self._settle_later(schema, items)  # answered (or not: never called is pending, requery decides)

    def _settle_later(self, schema: str, items: list[Claimed]) -> None:
        """Queue answered orders for the settlement thread: what answered while it was busy settles in ONE batch
        (a busy dispatcher's settlements grow instead of queueing up, each with its fixed cost)."""
        self._to_settle.setdefault(schema, []).extend(items)
        if schema not in self._settlers:
            task = self._settlers[schema] = asyncio.create_task(self._settle_queued(schema))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _settle_queued(self, schema: str) -> None:
        try:
            while items := self._to_settle.pop(schema, None):
                try:
                    try:
                        await self._db(schema, settle_batch, items)
                    except Exception:
                        # The answers are known and applying them is idempotent: once more on a fresh connection.
                        # If that fails too, the leases bring the orders back (the same request ids are sent again).
                        with contextlib.suppress(Exception):
                            await self._db(schema, settle_batch, items, archive=False)
                    self.settled += len(items)
                    self.settlements += 1
                finally:
                    self.in_flight -= len(items)
                    if self.in_flight <= 0 and self._due:
                        self._wake.set()  # nothing in flight any more: the gathering tenants are claimed at once
                    if self._starved:
                        for starved in self._starved:
                            self._due_now(starved)
                        self._starved.clear()
        finally:
            self._settlers.pop(schema, None)

    async def _notifications(self, conn: psycopg.AsyncConnection) -> None:
        """Hand every notification ``conn`` receives to ``_due_now`` until the connection fails (raises its error).

        A reader callback on the socket takes what arrived (``consume_input``) and every notification in it, in
        order: what ``conn.notifies()`` yields, without its per-notification wait (a future, a reader added and
        removed, a generator resumed: ~40 us of the loop's CPU per NOTIFY, one per purchase; ~15 us this way,
        issue 18). Nothing else uses ``conn`` meanwhile."""
        loop = asyncio.get_running_loop()
        pgconn, encoding = conn.pgconn, conn.info.encoding
        fd = pgconn.socket
        failed: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            try:
                pgconn.consume_input()
                while (note := pgconn.notifies()) is not None:
                    self._due_now(note.extra.decode(encoding), noted=True)
            except Exception as exc:  # the connection is gone (EOF, reset): the caller reconnects
                loop.remove_reader(fd)
                if not failed.done():
                    failed.set_exception(exc)

        loop.add_reader(fd, readable)
        try:
            readable()  # what libpq already holds
            await failed
        finally:
            loop.remove_reader(fd)

    async def _listen(self, listening: asyncio.Event) -> None:
        """LISTEN orders_outbox; each notification names a schema with a new ready row. Reconnects."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(listen_url(), autocommit=True) as conn:
                    # What psycopg reads while it runs a statement on it (the LISTEN's answer) reaches its handlers.
                    conn.add_notify_handler(lambda note: self._due_now(note.payload, noted=True))
                    await conn.execute(f"LISTEN {CHANNEL}")
                    listening.set()
                    self._next_scan = 0.0  # notifications may have been missed while not listening
                    self._wake.set()
                    await self._notifications(conn)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("dispatcher: the LISTEN connection failed; reconnecting", exc_info=True)
                await asyncio.sleep(1.0)
