"""`GET /health` reports database, Redis and broker on every domain."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["localhost", "ng.localhost", "quickvend.localhost"])
def test_health_is_200_when_everything_is_up(host_client, tenants, host):
    response = host_client(host).get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {"database", "redis", "broker"}


def test_health_is_503_when_redis_is_down(host_client, tenants, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = host_client("ng.localhost").get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_responses_carry_a_request_id(host_client, tenants):
    response = host_client("ng.localhost").get("/health", HTTP_X_REQUEST_ID="req-12345678")
    assert response["X-Request-ID"] == "req-12345678"
    minted = host_client("ng.localhost").get("/health")
    assert len(minted["X-Request-ID"]) == 32
