"""One stack for the risk tests (package scope): the purchase simulators and catalog (tests/fixtures/purchase.py),
the SMS simulator the step-up codes go through, no Celery worker (submits are swallowed: the tests drive orders)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="package")
def _risk_world(django_db_setup, django_db_blocker):
    """Simulators and registry rows, built once for the package."""
    from tests.fixtures.purchase import build_stack

    sims, stack, _env = build_stack(django_db_blocker, worker=False)
    try:
        yield sims, stack
    finally:
        with django_db_blocker.unblock():
            stack.retire()
        sims.stop()


@pytest.fixture
def risk_stack(_risk_world, monkeypatch):
    """The stack for one test: submits swallowed and the settings pointed at the simulators for THIS test only
    (a package-scoped patch can outlive the package under xdist and starve every later worker-driven test)."""
    from django.test import override_settings

    from tenant_apps.orders.services import _helpers

    sims, stack = _risk_world
    monkeypatch.setattr(_helpers, "enqueue", lambda *args, **kwargs: None)  # submits swallowed
    with override_settings(ORDERS_BREAKER_PREFIX=stack.breaker_prefix, ORDERS_SMS_NOTIFICATIONS=False,
                           SMS_GATEWAY={"PLUGIN": "sms_gateway", "BASE_URL": sims.sms.url,
                                        "API_KEY": sims.sms.api_key, "SENDER_ID": "NexusTop",
                                        "TIMEOUT_SECONDS": 2.0}):
        yield stack


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttles and device revocations live in Redis, which test rollbacks do not touch."""
    from django.core.cache import cache

    cache.clear()
    yield
