"""The web process as deployed: gunicorn + gunicorn.conf.py + production settings, over real HTTP."""

from __future__ import annotations

import http.client
import secrets
import socket
import subprocess
import sys
import time

import pytest

from tests.support.processes import ROOT
from tests.support.production import production_env

TOKEN = secrets.token_urlsafe(24)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn_prod(live_db, tmp_path):
    port = free_port()
    env = production_env(
        GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"),
        METRICS_BEARER_TOKEN=TOKEN, METRICS_ALLOWED_IPS="", LOG_LEVEL="WARNING")
    log = open(tmp_path / "gunicorn.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "nexustop.wsgi:application"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        # Ready when a worker answers (the master binds the port before its workers have loaded Django: on a
        # crowded machine that took more than the first request's 10 s timeout).
        deadline = time.monotonic() + 90
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/health", headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"})
                probe.getresponse().read()
                probe.close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "gunicorn.log").read_text()[-3000:]) from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def get(port: int, path: str, host: str, **headers: str) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": host, **headers})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


def test_gunicorn_serves_production_settings(gunicorn_prod):
    port = gunicorn_prod
    https = {"X-Forwarded-Proto": "https"}
    status, headers, _ = get(port, "/health", "ng.localhost", **https)
    assert status == 200
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    # Plain HTTP through the proxy is redirected to HTTPS.
    status, headers, _ = get(port, "/api/wallet", "ng.localhost")
    assert status == 301 and headers["Location"].startswith("https://ng.localhost/")
    # Unknown hosts are refused before routing; a load balancer probe by IP still gets /health.
    assert get(port, "/health", "evil.example", **https)[0] == 400
    assert get(port, "/health", "127.0.0.1", **https)[0] == 200


def test_metrics_are_aggregated_across_gunicorn_workers_and_restricted(gunicorn_prod):
    port = gunicorn_prod
    for _ in range(6):  # spread over both workers
        get(port, "/health", "sn.localhost", **{"X-Forwarded-Proto": "https"})
    assert get(port, "/metrics", "127.0.0.1")[0] == 401
    status, _, body = get(port, "/metrics", "127.0.0.1", Authorization=f"Bearer {TOKEN}")
    assert status == 200
    text = body.decode()
    # (In multiprocess mode a metric appears once some process recorded a sample.)
    assert "nexustop_celery_queue_depth{" in text
    # django-prometheus counted the requests of every worker (multiprocess mode).
    counted = [line for line in text.splitlines()
               if line.startswith("django_http_requests_latency_seconds_by_view_method_count")
               and 'view="health"' in line]
    assert counted and float(counted[0].rsplit(" ", 1)[1]) >= 6
