"""Business metrics (Prometheus) and the access-restricted ``/metrics`` endpoint.

Other apps increment these through the small helpers below (never the metric
objects' label names directly), so label sets stay bounded: no tenant, user or
order ids as labels — thousands of tenants would explode the series count.

Processes: gunicorn runs several worker processes and Celery prefork children
increment counters too, so when ``PROMETHEUS_MULTIPROC_DIR`` is set every
process writes its samples there and the scrape aggregates them
(``MultiProcessCollector``). The web tasks expose them at ``/metrics``; a Celery
worker exposes them on ``127.0.0.1:METRICS_EXPORT_PORT`` (started on
``worker_ready``) for the in-task CloudWatch agent sidecar
(infra/terraform/modules/compute).

Access: ``/metrics`` answers only to a bearer token (``METRICS_BEARER_TOKEN``)
or to a client address in ``METRICS_ALLOWED_IPS``. The address is the TCP peer
(``REMOTE_ADDR``), never ``X-Forwarded-For``, which a client can forge.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery.signals import worker_ready
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus.middleware import PrometheusAfterMiddleware as DjangoPrometheusAfterMiddleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from .errors import error_response

logger = logging.getLogger(__name__)

PURCHASE_STATUSES = ("succeeded", "failed", "pending", "refunded")

PURCHASES = Counter(
    "nexustop_purchases",
    "Purchases reaching a status, by provider (the failed share drives the failed-purchases alarm).",
    ["status", "provider"],
)
PROVIDER_LATENCY = Histogram(
    "nexustop_provider_request_seconds",
    "Latency of calls to provider APIs, by provider and operation.",
    ["provider", "operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0),
)
LEDGER_POSTINGS = Counter(
    "nexustop_ledger_postings",
    "Ledger postings written, by currency.",
    ["currency"],
)
QUEUE_DEPTH = Gauge(
    "nexustop_celery_queue_depth",
    "Messages waiting in a Celery queue (refreshed on every scrape); drives worker autoscaling.",
    ["queue"],
    multiprocess_mode="mostrecent",
)
PROVIDER_OUTCOMES = ("ok", "timeout", "rejected", "unavailable", "error")
PROVIDER_REQUESTS = Counter(
    "nexustop_provider_requests",
    "Calls to provider APIs by outcome (ok, timeout, rejected: the request was wrong, unavailable: the product, "
    "error: the provider failed); the error share is the provider error rate.",
    ["provider", "operation", "outcome"],
)
CIRCUIT_OPEN = Gauge(
    "nexustop_provider_circuit_open",
    "1 while a provider's circuit breaker is open (new purchases skip it), else 0; read from Redis on every scrape.",
    ["provider", "country"],
    multiprocess_mode="mostrecent",
)
WEBHOOK_OUTCOMES = ("accepted", "rejected", "error")
WEBHOOKS = Counter(
    "nexustop_webhook_requests",
    "Incoming webhooks by source and outcome (accepted 2xx, rejected 4xx: bad signature or payload, error 5xx).",
    ["source", "outcome"],
)
RECONCILIATION_PROBLEMS = Gauge(
    "nexustop_reconciliation_discrepancies",
    "Discrepancies found by the last reconciliation run, every tenant (check: ledger, gateways); 0 is healthy.",
    ["check"],
    multiprocess_mode="mostrecent",
)
RECONCILIATION_LAST_RUN = Gauge(
    "nexustop_reconciliation_last_run_timestamp_seconds",
    "When the last reconciliation run of this check finished (Unix time).",
    ["check"],
    multiprocess_mode="mostrecent",
)


PROVIDER_BALANCE = Gauge(
    "nexustop_provider_balance_minor",
    "Our balance at a provider (minor units), by provider plugin, country and currency; refreshed by the check.",
    ["provider", "country", "currency"],
    multiprocess_mode="mostrecent",
)
PROVIDER_BALANCE_LOW = Gauge(
    "nexustop_provider_balance_low",
    "1 when our balance at a provider is below its threshold (purchases and payouts will start failing).",
    ["provider", "country", "currency"],
    multiprocess_mode="mostrecent",
)


# --- helpers other apps call ----------------------------------------------------
def record_purchase(*, status: str, provider: str) -> None:
    """Count a purchase reaching ``status`` (one of PURCHASE_STATUSES)."""
    if status not in PURCHASE_STATUSES:
        raise ValueError(f"unknown purchase status {status!r}")
    PURCHASES.labels(status=status, provider=provider).inc()


def observe_provider_latency(*, provider: str, operation: str, seconds: float) -> None:
    PROVIDER_LATENCY.labels(provider=provider, operation=operation).observe(seconds)


@contextmanager
def time_provider_call(*, provider: str, operation: str) -> Iterator[None]:
    """``with time_provider_call(provider="vtpass", operation="purchase"): ...`` (timed even if it raises)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        observe_provider_latency(provider=provider, operation=operation, seconds=time.perf_counter() - started)


def record_provider_balance(*, provider: str, country: str, currency: str, amount_minor: int, low: bool) -> None:
    """``provider`` is a plugin key (bounded), never a registry id."""
    PROVIDER_BALANCE.labels(provider=provider, country=country, currency=currency).set(amount_minor)
    PROVIDER_BALANCE_LOW.labels(provider=provider, country=country, currency=currency).set(1 if low else 0)


def record_ledger_postings(*, currency: str, count: int = 1) -> None:
    LEDGER_POSTINGS.labels(currency=currency).inc(count)


def record_provider_request(*, provider: str, operation: str, outcome: str) -> None:
    """Count a provider call's outcome (one of PROVIDER_OUTCOMES)."""
    if outcome not in PROVIDER_OUTCOMES:
        raise ValueError(f"unknown provider outcome {outcome!r}")
    PROVIDER_REQUESTS.labels(provider=provider, operation=operation, outcome=outcome).inc()


def record_webhook(*, source: str, status_code: int) -> None:
    outcome = "accepted" if status_code < 400 else "rejected" if status_code < 500 else "error"
    WEBHOOKS.labels(source=source, outcome=outcome).inc()


def record_reconciliation(*, check: str, discrepancies: int) -> None:
    """The result of a reconciliation run over every tenant (``check``: ledger or gateways)."""
    RECONCILIATION_PROBLEMS.labels(check=check).set(discrepancies)
    RECONCILIATION_LAST_RUN.labels(check=check).set(time.time())


# --- queue depth ---------------------------------------------------------------------
def monitored_queues() -> list[str]:
    return list(getattr(settings, "METRICS_CELERY_QUEUES", None) or [settings.CELERY_TASK_DEFAULT_QUEUE])


def refresh_queue_depth() -> None:
    """Read each queue's length from the Redis broker (LLEN: O(1)); a broker error leaves the last value."""
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            for queue in monitored_queues():
                QUEUE_DEPTH.labels(queue=queue).set(client.llen(queue))
        finally:
            client.close()
    except redis.RedisError:
        logger.warning("queue depth unavailable: broker unreachable")


# --- circuit breakers ----------------------------------------------------------------------
def refresh_circuit_states() -> None:
    """Each registered provider's breaker (``<ORDERS_BREAKER_PREFIX>:<provider id>:open`` in Redis)."""
    import redis

    from shared_apps.providers.models import Provider

    prefix = getattr(settings, "ORDERS_BREAKER_PREFIX", "nexustop:breaker")
    try:
        providers = list(Provider.objects.values_list("pk", "plugin_key", "country"))
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            pipe = client.pipeline()
            for pk, _plugin, _country in providers:
                pipe.exists(f"{prefix}:{pk}:open")
            states = pipe.execute()
        finally:
            client.close()
    except Exception:
        logger.warning("circuit states unavailable")
        return
    opened: dict[tuple[str, str], int] = {}
    for (_pk, plugin, country), is_open in zip(providers, states, strict=True):
        opened[(plugin, country)] = max(opened.get((plugin, country), 0), int(bool(is_open)))
    for (plugin, country), value in opened.items():
        CIRCUIT_OPEN.labels(provider=plugin, country=country).set(value)


# --- exposition ------------------------------------------------------------------------
def metrics_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def render_metrics() -> bytes:
    refresh_queue_depth()
    refresh_circuit_states()
    return generate_latest(metrics_registry())


def _client_ip_allowed(remote_addr: str) -> bool:
    allowed = getattr(settings, "METRICS_ALLOWED_IPS", [])
    if not remote_addr or not allowed:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition: bearer token or allow-listed peer address; 401/403 otherwise."""
    if request.method not in ("GET", "HEAD"):
        return error_response("method_not_allowed", "Use GET.", 405)
    expected = getattr(settings, "METRICS_BEARER_TOKEN", "")
    presented = _bearer_token(request)
    if presented is not None:
        if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
            return error_response("permission_denied", "Invalid metrics token.", 403)
    elif not _client_ip_allowed(request.META.get("REMOTE_ADDR", "")):
        response = error_response("not_authenticated", "Metrics require a bearer token.", 401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)


class MetricsEndpointMiddleware:
    """Answer ``/metrics`` before host validation and tenant routing.

    The scraper (the CloudWatch agent sidecar) reaches gunicorn as
    ``127.0.0.1:8000``, which is no tenant domain; metrics are not per tenant.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = getattr(settings, "METRICS_PATH", "/metrics")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == self.path:
            return metrics_view(request)
        response = self.get_response(request)
        if request.path.startswith(WEBHOOK_PREFIX):
            # Webhook failures by source: a known webhook route names it; anything else is "unknown".
            match = getattr(request, "resolver_match", None)
            source = request.path[len(WEBHOOK_PREFIX):].strip("/").split("/", 1)[0] if match else "unknown"
            record_webhook(source=source[:40] or "unknown", status_code=response.status_code)
        return response


WEBHOOK_PREFIX = "/webhook/"


# --- Celery worker exporter -------------------------------------------------------------
_exporter_started = False


@worker_ready.connect(weak=False)
def start_worker_exporter(**_kwargs):
    """Serve the worker's metrics on 127.0.0.1:METRICS_EXPORT_PORT (only when that is set).

    Returns the HTTP server (tests stop it), or None when not started.
    """
    global _exporter_started
    port = os.environ.get("METRICS_EXPORT_PORT")
    if not port or _exporter_started:
        return None
    from prometheus_client import start_http_server

    server, _thread = start_http_server(int(port), addr="127.0.0.1", registry=metrics_registry())
    _exporter_started = True
    logger.info("worker metrics exporter listening", extra={"port": port})
    return server


# --- django-prometheus' request metrics, each labelled child kept -------------------------------
_KEPT_CHILDREN_MAX = 4096


class PrometheusAfterMiddleware(DjangoPrometheusAfterMiddleware):
    """django-prometheus' after-middleware (same metrics, labels and values), keeping each labelled child it uses.

    ``metric.labels(**labels)`` checks the label names, converts every value and takes the metric's lock on each
    call (seven calls per request); a child once looked up is kept here, under the metric and the label values as
    passed, and used again while the metric still holds that very child (a ``remove()`` or ``clear()`` makes the
    next call look it up afresh). ``label_metric`` is the library's documented hook for subclasses.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self._children: dict[tuple, tuple[tuple[str, ...], Any]] = {}

    def label_metric(self, metric, request, response=None, **labels):
        if not labels:
            return metric
        key = (metric, *labels.items())
        try:
            kept = self._children.get(key)
        except TypeError:  # an unhashable label value: as the library does
            return metric.labels(**labels)
        if kept is not None and metric._metrics.get(kept[0]) is kept[1]:
            return kept[1]
        child = metric.labels(**labels)
        # Only plain strings (what the library passes): no other value can then equal a kept key (1 == True).
        if len(self._children) < _KEPT_CHILDREN_MAX and all(type(value) is str for value in labels.values()):
            self._children[key] = (tuple(labels[name] for name in metric._labelnames), child)
        return child
