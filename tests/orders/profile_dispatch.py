"""The dispatcher's claim and call steps, in-process CPU per order (issue 18). Not a test: a measurement.

    pytest tests/orders/profile_dispatch.py -q -s -p no:cacheprovider [--profile-out DIR]

Rounds of ``BATCH`` held orders (accepted through the API, the VTPass simulator at 50 ms in this process):
``claim_batch`` and the batch's calls (``call_all`` on warm transports) timed with ``time.thread_time`` (the
simulator's threads are not counted) and once under cProfile (``PROFILE_DIR``: the stats files of the three steps).
"""

from __future__ import annotations

import cProfile
import gc
import os
import pstats
import time

from django.conf import settings
from django_tenants.utils import schema_context

from tests.orders.helpers import buy, new_buyer

BATCH = int(os.environ.get("PROFILE_BATCH", "64"))
ROUNDS = int(os.environ.get("PROFILE_ROUNDS", "4"))
PROFILE_DIR = os.environ.get("PROFILE_DIR", "")
# cpu: the profiles count this thread's CPU (time.thread_time: ~1.6 us a reading here, so calls look dearer);
# anything else: wall time (waits on PostgreSQL and the sockets show as such).
PROFILE_TIMER = os.environ.get("PROFILE_TIMER", "wall")


def _profiler() -> cProfile.Profile:
    return cProfile.Profile(time.thread_time) if PROFILE_TIMER == "cpu" else cProfile.Profile()


def _held(stack, token: str, count: int) -> list[int]:
    from tenant_apps.orders.models import Order

    ids = []
    for _ in range(count):
        response = buy(token, stack.products["vt_airtime"], stack.phone(), amount="50.00")
        assert response.status_code == 202, response.content
        ids.append(response.json()["id"])
    with schema_context("ng"):
        return list(Order.objects.filter(public_id__in=ids).values_list("pk", flat=True))


def test_profile_claim_and_calls(live_db, quiet_stack):
    from tenant_apps.orders.dispatch.batch import _calls, _local, run_coroutine
    from tenant_apps.orders.dispatch.claims import claim_batch
    from tenant_apps.orders.dispatch.settle import settle_batch

    quiet_stack.vtpass.latency_seconds = 0.05
    claims: list[float] = []
    calls: list[float] = []
    settles: list[float] = []
    full_collections: list[list] = []
    made: list[int] = []
    collections: list[tuple[int, float]] = []  # (generation, ms) of each garbage collection meanwhile
    gc_started = [0.0]

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started[0] = time.thread_time()
        elif info["generation"] == 2:
            collections.append((2, round((time.thread_time() - gc_started[0]) * 1000, 1)))

    gc.callbacks.append(watch)
    for number in range(ROUNDS + 1):  # round 0 warms the caches and the keep-alive pools
        _user, token = new_buyer(BATCH * 10_000 + 100_000)  # a buyer per round: within the KYC daily limit
        pks = _held(quiet_stack, token, BATCH)
        profile = _profiler() if PROFILE_DIR and number == ROUNDS else None
        with schema_context("ng"):
            if profile:
                profile.enable()
            started = time.thread_time()
            claim = claim_batch(limit=BATCH, lease_seconds=settings.ORDERS_DISPATCH_LEASE_SECONDS, order_ids=pks)
            claimed = time.thread_time()
            if profile:
                profile.disable()
                profile.dump_stats(f"{PROFILE_DIR}/claim.prof")
                profile = _profiler()
                profile.enable()
            collections.clear()
            called_from = time.thread_time()
            run_coroutine(_calls(claim.items))
            called = time.thread_time()
            gen2_in_calls = list(collections)
            collections.clear()
            made.append(sum(t.connections_made for t in _local.transports._by_provider.values()))
            if profile:
                profile.disable()
                profile.dump_stats(f"{PROFILE_DIR}/calls.prof")
            assert len(claim.items) == BATCH
            assert all(item.outcome is not None and item.outcome.status == "success" for item in claim.items), \
                [item.outcome for item in claim.items]
            if PROFILE_DIR and number == ROUNDS:
                profile = _profiler()
                profile.enable()
            settling = time.thread_time()
            settle_batch(claim.items)
            settled = time.thread_time()
            if profile:
                profile.disable()
                profile.dump_stats(f"{PROFILE_DIR}/settle.prof")
        if number:
            claims.append(round((claimed - started) / BATCH * 1000, 3))
            calls.append(round((called - called_from) / BATCH * 1000, 3))
            full_collections.append(gen2_in_calls)
            settles.append(round((settled - settling) / BATCH * 1000, 3))
    print(f"\nbatch {BATCH}, CPU ms per order (thread_time; the last round under cProfile when PROFILE_DIR): "
          f"claim_batch {claims}; calls {calls}; settle_batch {settles}; connections made so far {made}; "
          f"full (gen 2) collections during the calls, ms {full_collections}")
    gc.callbacks.remove(watch)
    if PROFILE_DIR:
        for name in ("claim", "calls", "settle"):
            print(f"--- {name}")
            pstats.Stats(f"{PROFILE_DIR}/{name}.prof").sort_stats("cumulative").print_stats(25)
            pstats.Stats(f"{PROFILE_DIR}/{name}.prof").sort_stats("tottime").print_stats(15)
