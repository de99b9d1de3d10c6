"""Every log line is one JSON object carrying request id, tenant and user."""

from __future__ import annotations

import contextlib
import io
import json
import logging

import pytest
import structlog
from django_tenants.utils import schema_context

from shared_apps.core.context import request_id_var

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def captured_log_lines():
    """Swap the stream of the configured JSON console handler (the real formatter, not a test double)."""
    handler = next(h for h in logging.getLogger().handlers
                   if isinstance(h, logging.StreamHandler)
                   and isinstance(h.formatter, structlog.stdlib.ProcessorFormatter))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        handler.setStream(previous)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line.strip())


def test_request_log_line_has_request_id_tenant_and_user(host_client):
    from tenant_apps.accounts.models import User

    client = host_client("ng.localhost")
    with schema_context("ng"):
        user = User.objects.create_user(email="logger@ng.localhost", password="Long-enough-pass-1")
        client.force_login(user)
    with captured_log_lines() as lines:
        response = client.get("/health", HTTP_X_REQUEST_ID="req-logging-0001")
    assert response.status_code == 200
    access = [line for line in lines if line.get("event") == "request"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "req-logging-0001"
    assert line["tenant"] == "ng"
    assert line["user"] == str(user.pk)
    assert line["status"] == 200 and line["path"] == "/health" and line["method"] == "GET"
    assert line["level"] == "info" and line["logger"] == "nexustop.request" and "timestamp" in line


def test_anonymous_request_on_another_tenant(host_client):
    with captured_log_lines() as lines:
        host_client("sn.localhost").get("/health")
    line = next(line for line in lines if line.get("event") == "request")
    assert line["tenant"] == "sn" and line["user"] == "anonymous"
    assert len(line["request_id"]) == 32  # minted when the client sends none


def test_library_log_lines_inside_a_request_context_carry_it_too():
    token = request_id_var.set("req-stdlib-0002")
    try:
        with captured_log_lines() as lines, schema_context("gh"):
            logging.getLogger("some.library").warning("provider slow %s", "vtpass", extra={"provider": "vtpass"})
            structlog.get_logger("nexustop.orders").info("purchase_pending", order="o-1")
    finally:
        request_id_var.reset(token)
    stdlib, native = lines
    assert stdlib["event"] == "provider slow vtpass" and stdlib["provider"] == "vtpass"
    for line in (stdlib, native):
        assert line["request_id"] == "req-stdlib-0002"
        assert line["tenant"] == "gh"
        assert line["user"] == "-"  # no request: no user
    assert native["order"] == "o-1" and native["level"] == "info"
