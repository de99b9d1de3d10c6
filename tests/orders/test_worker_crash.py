"""A real worker killed (SIGKILL) in the middle of a provider call: the sweeper and a fresh worker
finish the order with the same request id, and the provider delivers exactly once."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.fixtures.purchase import build_stack
from tests.orders.helpers import assert_books, attempts, buy, new_buyer, order_row, wait_final, wait_for
from tests.support.processes import celery_worker


@pytest.fixture(scope="module")
def crash_stack(django_db_setup, django_db_blocker):
    sims, stack, env = build_stack(django_db_blocker)
    try:
        with override_settings(ORDERS_BREAKER_PREFIX=stack.breaker_prefix, ORDERS_SMS_NOTIFICATIONS=False):
            yield stack, env
    finally:
        with django_db_blocker.unblock():
            stack.retire()
        for sim in (sims.vtpass, sims.dtone, sims.sms, sims.aggregator):
            sim.stop()


def test_worker_killed_during_the_provider_call(live_db, crash_stack):
    stack, env = crash_stack
    user, token = new_buyer(1_000_000)
    stack.vtpass.latency_seconds = 0.8  # VTPass received the request and takes its time: kill the worker now
    try:
        seen = len(stack.vtpass.requests_seen)
        with celery_worker(**env) as doomed:
            response = buy(token, stack.products["vt_airtime"], stack.phone(), amount="100.00")
            assert response.status_code == 202
            order_id = response.json()["id"]
            attempt = wait_for(lambda: (a := attempts(order_row(order_id))) and a[0], interval=0.01,
                               what="the committed attempt")
            # Under load the worker may not have sent the request yet: kill it once VTPass has it.
            wait_for(lambda: any(method == "POST" for method, _ in stack.vtpass.requests_seen[seen:]), interval=0.01,
                     what="the provider call to arrive")
            os.kill(doomed.pid, signal.SIGKILL)  # no warm shutdown, no ack, no answer recorded
            doomed.wait(timeout=10)
        time.sleep(1.0)  # VTPass still acts on the request it received (and delivers)
        assert stack.vtpass.delivery_count(attempt.request_id) == 1
        assert order_row(order_id).status == "submitted"  # stranded: money held, answer lost
    finally:
        stack.vtpass.latency_seconds = 0.0
    with celery_worker(**env):
        from tenant_apps.orders.services.sweep import orders_sweep

        with schema_context("ng"):
            later = timezone.now() + timedelta(seconds=settings.ORDERS_OUTBOX_STALE_SECONDS + 1)
            assert orders_sweep(now=later)["resubmitted"] >= 1
        order = wait_final(order_id)
    assert order.status == "settled"
    assert [a.request_id for a in attempts(order)] == [attempt.request_id]  # same request id, reused
    assert stack.vtpass.delivery_count(attempt.request_id) == 1  # ... so bought exactly once
    assert_books(user, 1_000_000 - order.price_minor)
