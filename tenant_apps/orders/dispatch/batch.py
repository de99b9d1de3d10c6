"""The three steps once, synchronously, in the current schema: what ``order_submit`` runs for one order."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any

from django.conf import settings

from ..models import Order
from .calls import call_all
from .claims import Claimed, claim_batch
from .settle import settle_batch
from .transport import Transports

_local = threading.local()


def run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` to completion from sync code, on this thread's own event loop (kept between calls, so
    the transports' keep-alive pools are too); from a thread whose event loop is already running (a browser
    test's: Playwright keeps one on its thread for the session), on ONE side thread's kept loop, so what one
    call leaves in a pool is still on the same loop at the next call."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = getattr(_local, "loop", None)
        if loop is None or loop.is_closed():
            loop = _local.loop = asyncio.new_event_loop()
        return loop.run_until_complete(coroutine)
    context = contextvars.copy_context()  # the caller's context (the exchange observer) goes with the coroutine
    done: concurrent.futures.Future[Any] = concurrent.futures.Future()
    side = _side_loop()

    def start() -> None:
        task = side.create_task(coroutine, context=context)

        def finish(task: asyncio.Task[Any]) -> None:
            if task.cancelled():
                done.cancel()
            elif task.exception() is not None:
                done.set_exception(task.exception())
            else:
                done.set_result(task.result())

        task.add_done_callback(finish)

    side.call_soon_threadsafe(start)
    return done.result()


_side: dict[str, asyncio.AbstractEventLoop] = {}
_side_lock = threading.Lock()


def _side_loop() -> asyncio.AbstractEventLoop:
    """The side thread's event loop (started on first use, a daemon thread running it for the process)."""
    with _side_lock:
        loop = _side.get("loop")
        if loop is None or loop.is_closed():
            loop = _side["loop"] = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="dispatch-side-loop", daemon=True).start()
        return loop


async def _calls(items: list[Claimed]) -> None:
    """The calls of ``items``: on this thread's kept loop with its kept transports, else with fresh ones."""
    if asyncio.get_running_loop() is getattr(_local, "loop", None):
        transports = getattr(_local, "transports", None)
        if transports is None:
            transports = _local.transports = Transports(limit=settings.ORDERS_DISPATCH_PROVIDER_CONCURRENCY)
        await call_all(items, transports)
        return
    transports = Transports(limit=settings.ORDERS_DISPATCH_PROVIDER_CONCURRENCY)
    try:
        await call_all(items, transports)
    finally:
        await transports.close()


def dispatch_orders(*, order_ids: list[int] | None = None, limit: int | None = None) -> dict[int, Order | None]:
    """Claim (``order_ids``, or the next ready rows), call and settle, in this process; the orders by id."""
    claim = claim_batch(limit=limit or settings.ORDERS_DISPATCH_BATCH,
                        lease_seconds=settings.ORDERS_DISPATCH_LEASE_SECONDS, order_ids=order_ids)
    if not claim.items:
        return {}
    run_coroutine(_calls(claim.items))
    return settle_batch(claim.items)
