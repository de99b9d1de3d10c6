"""/metrics: business metrics exposed, anonymous access refused, token or allow-listed peer accepted."""

from __future__ import annotations

import json

import pytest
import redis
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from shared_apps.core import metrics

pytestmark = pytest.mark.django_db

TOKEN = "test-metrics-token-5f3a9c"


@pytest.fixture
def metrics_settings(settings):
    settings.METRICS_BEARER_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ["10.0.5.0/24"]
    return settings


def samples(response) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.parametrize("host", ["ng.localhost", "localhost", "127.0.0.1:8000"])
def test_anonymous_access_is_refused(metrics_settings, host):
    response = Client(HTTP_HOST=host, REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(response.content)["error"]["code"] == "not_authenticated"
    assert b"nexustop_" not in response.content


def test_wrong_token_is_forbidden_and_forged_forwarded_for_does_not_help(metrics_settings):
    client = Client(HTTP_HOST="ng.localhost", REMOTE_ADDR="203.0.113.9")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.0.5.7").status_code == 401


def test_no_token_configured_means_no_token_accepted(settings):
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    client = Client(HTTP_HOST="ng.localhost", REMOTE_ADDR="127.0.0.1")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 403


def test_business_metrics_are_exposed_with_a_token(metrics_settings):
    before = samples(Client(HTTP_HOST="ng.localhost").get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))
    metrics.record_purchase(status="failed", provider="vtpass-test")
    metrics.record_purchase(status="succeeded", provider="vtpass-test")
    metrics.record_purchase(status="succeeded", provider="vtpass-test")
    with metrics.time_provider_call(provider="vtpass-test", operation="purchase"):
        pass
    metrics.record_ledger_postings(currency="XOF", count=4)
    with pytest.raises(ValueError):
        metrics.record_purchase(status="exploded", provider="vtpass-test")

    response = Client(HTTP_HOST="ng.localhost").get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    after = samples(response)

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("nexustop_purchases_total", status="failed", provider="vtpass-test") == 1
    assert delta("nexustop_purchases_total", status="succeeded", provider="vtpass-test") == 2
    assert delta("nexustop_provider_request_seconds_count", provider="vtpass-test", operation="purchase") == 1
    assert delta("nexustop_ledger_postings_total", currency="XOF") == 4
    # django-prometheus request metrics are there too.
    assert any(name.startswith("django_http_requests") for name, _ in after)


def test_allow_listed_peer_reads_metrics_with_live_queue_depth(metrics_settings):
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(queue)
    broker.rpush(queue, "m1", "m2", "m3")
    try:
        response = Client(HTTP_HOST="127.0.0.1:8000", REMOTE_ADDR="10.0.5.7").get("/metrics")
    finally:
        broker.delete(queue)
    assert response.status_code == 200
    assert samples(response)[("nexustop_celery_queue_depth", (("queue", queue),))] == 3


def test_metrics_route_exists_in_both_urlconfs():
    from django.urls import resolve

    for urlconf in ("nexustop.urls_public", "nexustop.urls_tenant"):
        assert resolve("/metrics", urlconf=urlconf).func is metrics.metrics_view


def test_celery_worker_exporter_serves_business_metrics_on_loopback(monkeypatch):
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("METRICS_EXPORT_PORT", str(port))
    monkeypatch.setattr(metrics, "_exporter_started", False)
    metrics.record_purchase(status="pending", provider="exporter-test")
    server = metrics.start_worker_exporter()
    try:
        assert metrics.start_worker_exporter() is None  # once per worker
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'nexustop_purchases_total{provider="exporter-test",status="pending"}' in body
