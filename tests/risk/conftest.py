"""One stack for the risk tests (package scope): the purchase simulators and catalog (tests/orders), the SMS
simulator the step-up codes go through, no Celery worker (submits are swallowed: the tests drive orders)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="package")
def risk_stack(django_db_setup, django_db_blocker):
    from django.db import connection
    from django.test import override_settings

    from tenant_apps.orders import services
    from tests.orders.conftest import build_stack

    if not connection.settings_dict["NAME"].startswith("test_"):
        pytest.fail("the test database is not set up (select a django_db test in the same run)")
    sims, stack, _env = build_stack(django_db_blocker, worker=False)
    original = services._on_commit_task
    services._on_commit_task = lambda *args, **kwargs: None
    try:
        with override_settings(ORDERS_BREAKER_PREFIX=stack.breaker_prefix, ORDERS_SMS_NOTIFICATIONS=False,
                               SMS_GATEWAY={"PLUGIN": "sms_gateway", "BASE_URL": sims.sms.url,
                                            "API_KEY": sims.sms.api_key, "SENDER_ID": "NexusTop",
                                            "TIMEOUT_SECONDS": 2.0}):
            yield stack
    finally:
        services._on_commit_task = original
        with django_db_blocker.unblock():
            stack.retire()
        for sim in (sims.vtpass, sims.mtn, sims.sms, sims.aggregator):
            sim.stop()


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttles and device revocations live in Redis, which test rollbacks do not touch."""
    from django.core.cache import cache

    cache.clear()
    yield
