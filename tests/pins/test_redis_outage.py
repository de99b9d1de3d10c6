"""Redis restarting never turns a money request into a 500: the PIN policy is read from the database, and any
other Redis failure is a 503 with a stable code the client retries with the same Idempotency-Key."""

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from shared_apps.core.errors import api_exception_handler

DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_the_pin_threshold_comes_from_the_database_while_redis_is_down(live_db, settings,
                                                                      django_assert_num_queries):
    from shared_apps.core.cache_versions import PREFIX
    from tenant_apps.pins.models import PinPolicy
    from tenant_apps.pins.services import POLICY_VERSION, web_api_threshold_minor

    with schema_context("ng"):
        assert not connection.in_atomic_block  # outside a transaction the policy is normally kept per version
        in_database = PinPolicy.objects.filter(singleton=True).values_list(
            "web_api_threshold_minor", flat=True).first()
        assert web_api_threshold_minor() == in_database
        with django_assert_num_queries(0):  # kept while the version holds: no SQL
            assert web_api_threshold_minor() == in_database
        with override_settings(CACHES={"default": {**settings.CACHES["default"], "LOCATION": DEAD_REDIS}}):
            with pytest.raises(redis.ConnectionError):  # the cache really is unreachable
                cache.get(PREFIX + POLICY_VERSION)
            with django_assert_num_queries(1):  # no 500: the database answers, every time
                assert web_api_threshold_minor() == in_database


def test_a_redis_outage_is_a_503_with_a_stable_code_and_retry_after():
    for error in (redis.ConnectionError("refused"), redis.TimeoutError("slow")):
        response = api_exception_handler(error, {})
        assert response is not None and response.status_code == 503
        assert response.data["error"]["code"] == "temporarily_unavailable"
        assert response["Retry-After"] == "1"
