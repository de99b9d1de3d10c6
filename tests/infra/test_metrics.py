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


def _django_http_samples() -> dict[tuple[str, tuple], float]:
    from prometheus_client import REGISTRY

    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in REGISTRY.collect() if family.name.startswith("django_http")
            for sample in family.samples if not sample.name.endswith("_created")}


def _through(middleware, request, response):
    """What a handler does with django-prometheus' after-middleware for one request (view resolved)."""
    from django.urls import resolve

    middleware.process_request(request)
    request.resolver_match = resolve("/api/countries")
    middleware.process_view(request, request.resolver_match.func, (), {})
    return middleware.process_response(request, response)


def _changes(run) -> dict:
    before = _django_http_samples()
    run()
    after = _django_http_samples()
    # Durations differ from run to run: of a latency histogram only its count (a body size's buckets stay).
    return {key: round(after.get(key, 0) - before.get(key, 0), 9) for key in after
            if after.get(key, 0) != before.get(key, 0) and not key[0].endswith("_sum")
            and not ("latency" in key[0] and key[0].endswith("_bucket"))}


@pytest.mark.parametrize("method, status", [("GET", 200), ("POST", 202), ("PATCH", 404), ("BREW", 500)])
def test_the_after_middleware_counts_as_django_prometheus_does(method, status):
    """shared_apps.core.metrics.PrometheusAfterMiddleware (issue 18: each labelled child kept) moves exactly the
    samples the library's own middleware moves, by the same amounts (durations aside: their counts only)."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django_prometheus.middleware import PrometheusAfterMiddleware as Library

    assert issubclass(metrics.PrometheusAfterMiddleware, Library)
    ours = metrics.PrometheusAfterMiddleware(lambda request: HttpResponse())
    library = Library(lambda request: HttpResponse())
    def one_request(middleware):
        request = RequestFactory().generic(method, "/api/countries", b'{"a": 1}', content_type="application/json")
        return lambda: _through(middleware, request, HttpResponse(b"x" * 7, status=status))

    for _ in range(2):  # the second time from the kept children
        moved_by_ours = _changes(one_request(ours))
        moved_by_library = _changes(one_request(library))
        assert moved_by_ours == moved_by_library
        assert any(name == "django_http_responses_total_by_status_total" and dict(labels)["status"] == str(status)
                   for name, labels in moved_by_ours)


def test_the_after_middleware_looks_a_child_up_once_and_again_after_a_clear(monkeypatch):
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django_prometheus.middleware import Metrics

    ours = metrics.PrometheusAfterMiddleware(lambda request: HttpResponse())
    by_status = Metrics.get_instance().responses_by_status
    lookups = []
    labels = by_status.labels
    def counted(**kw):
        lookups.append(kw)
        return labels(**kw)

    monkeypatch.setattr(by_status, "labels", counted)

    def answer():
        from prometheus_client import REGISTRY

        _through(ours, RequestFactory().get("/api/countries"), HttpResponse(status=299))
        return REGISTRY.get_sample_value("django_http_responses_total_by_status_total", {"status": "299"})

    first = answer()
    assert answer() == first + 1 and len(lookups) == 1  # the kept child: no second lookup
    by_status.remove("299")  # a child dropped from the metric is never used again: looked up afresh
    assert answer() == 1 and len(lookups) == 2
    by_status.clear()
    assert answer() == 1 and len(lookups) == 3


def test_the_after_middleware_keeps_only_children_labelled_with_plain_strings():
    """1 == True: a kept child is only ever found under plain string values, so ``True`` never reuses ``"1"``'s (or
    ``1``'s) child."""
    from django.http import HttpResponse
    from prometheus_client import REGISTRY

    def count(status: str) -> float:
        return REGISTRY.get_sample_value("django_http_responses_total_by_status_total", {"status": status}) or 0.0

    ours = metrics.PrometheusAfterMiddleware(lambda request: HttpResponse())
    by_status = ours.metrics.responses_by_status
    before = count("1"), count("True")
    for value in ("1", True, 1, "1", True):
        ours.label_metric(by_status, None, status=value).inc()
    assert (count("1") - before[0], count("True") - before[1]) == (3, 2)
    assert [key[1:] for key in ours._children] == [(("status", "1"),)]
