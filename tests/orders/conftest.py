"""One real stack per test module: VTPass + DT One simulators over HTTP, registry rows, synced catalog,
an SMS simulator, ONE real dispatcher (submits and settles) and ONE real Celery worker (requeries,
notifications); module-scoped, so the module stays fast."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from provider_plugins.aggregator.simulator import AggregatorSimulator
from provider_plugins.dtone.simulator import DTOneSimulator
from provider_plugins.sms_gateway.simulator import SmsGatewaySimulator
from provider_plugins.vtpass.simulator import VTPassSimulator
from tests.orders.helpers import Stack
from tests.support.processes import settlement


@dataclass
class _Sims:
    vtpass: VTPassSimulator
    dtone: DTOneSimulator
    sms: SmsGatewaySimulator
    aggregator: AggregatorSimulator


def build_stack(django_db_blocker, *, worker: bool = True, worker_env: dict | None = None):
    from tests.orders.helpers import register_providers

    sims = _Sims(VTPassSimulator(duplicate_window_seconds=0, hang_seconds=2.0, pending_requeries=1).start(),
                 DTOneSimulator(hang_seconds=2.0, pending_requeries=1).start(),
                 SmsGatewaySimulator().start(), AggregatorSimulator(pending_requeries=1).start())
    tag = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        stack = register_providers(tag=tag, vtpass=sims.vtpass, dtone=sims.dtone, sms=sims.sms,
                                   aggregator=sims.aggregator)
    env = {"ORDERS_REQUERY_BACKOFF": "0.3,0.5,1", "SMS_GATEWAY_URL": sims.sms.url,
           "SMS_GATEWAY_API_KEY": sims.sms.api_key, "ORDERS_BREAKER_PREFIX": f"test-breaker-{tag}",
           **(worker_env or {})}
    stack.breaker_prefix = env["ORDERS_BREAKER_PREFIX"]
    return sims, stack, env


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker) -> Stack:
    from django.db import connection
    from django.test import override_settings

    if not connection.settings_dict["NAME"].startswith("test_"):
        pytest.fail("the test database is not set up (select a django_db test in the same run)")
    sims, stack, env = build_stack(django_db_blocker)
    try:
        with override_settings(ORDERS_BREAKER_PREFIX=stack.breaker_prefix, SMS_GATEWAY={
                "PLUGIN": "sms_gateway", "BASE_URL": sims.sms.url, "API_KEY": sims.sms.api_key,
                "SENDER_ID": "NexusTop", "TIMEOUT_SECONDS": 2.0}), settlement(**env) as (worker, dispatcher):
            stack.worker, stack.dispatcher = worker, dispatcher
            yield stack
    finally:
        with django_db_blocker.unblock():
            stack.retire()
        sims.vtpass.stop()
        sims.dtone.stop()
        sims.sms.stop()
        sims.aggregator.stop()


@pytest.fixture(scope="module")
def inproc_stack(django_db_setup, django_db_blocker) -> Stack:
    """The same simulators and registry rows as ``stack``, without a Celery worker: for tests that drive the
    services in-process inside the test's (rolled back) transaction, where on-commit tasks never fire."""
    from django.db import connection
    from django.test import override_settings

    if not connection.settings_dict["NAME"].startswith("test_"):
        pytest.fail("the test database is not set up (select a django_db test in the same run)")
    sims, stack, _env = build_stack(django_db_blocker, worker=False)
    try:
        with override_settings(ORDERS_BREAKER_PREFIX=stack.breaker_prefix, ORDERS_SMS_NOTIFICATIONS=False):
            yield stack
    finally:
        with django_db_blocker.unblock():
            stack.retire()
        for sim in (sims.vtpass, sims.dtone, sims.sms, sims.aggregator):
            sim.stop()
