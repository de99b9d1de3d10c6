"""Outbound webhooks: a real local receiver answers 500 then 200; the delivery is retried, logged and signed."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery import current_app
from django_tenants.utils import schema_context

from tenant_apps.agents.models import DeliveryStatus, WebhookDelivery
from tenant_apps.agents.webhooks import SIGNATURE_HEADER, backoff_seconds, enqueue_event, verify_signature_header
from tests.accounts.helpers import call

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server on 127.0.0.1:<free port> answering a scripted list of status codes."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append({"at": time.monotonic(), "body": body, "headers": dict(self.headers)})
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver([500, 200])
    yield server
    server.stop()


@pytest.fixture
def eager_celery():
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = False


def test_failed_delivery_is_retried_then_delivered_and_signed(host_client, receiver, eager_celery, qv_admin_token,
                                                              django_capture_on_commit_callbacks):
    client = host_client("quickvend.localhost")
    token = qv_admin_token
    created = call(client, "POST", "/api/resellers/webhooks", {"url": receiver.url, "events": ["order.settled"]},
                   token=token)
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    with schema_context("quickvend"), django_capture_on_commit_callbacks(execute=True):
        [delivery] = enqueue_event(event="order.settled", payload={"order": "abc", "status": "settled"})
        assert enqueue_event(event="order.failed", payload={}) == []  # not subscribed
    with schema_context("quickvend"):
        delivery = WebhookDelivery.objects.get(pk=delivery.pk)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
        assert list(delivery.attempt_log.order_by("number").values_list("status_code", flat=True)) == [500, 200]
    assert len(receiver.received) == 2
    for request in receiver.received:
        assert verify_signature_header(secret=secret, body=request["body"], header=request["headers"][SIGNATURE_HEADER])
        assert not verify_signature_header(secret="whsec_wrong", body=request["body"],
                                           header=request["headers"][SIGNATURE_HEADER])
        assert not verify_signature_header(secret=secret, body=request["body"] + b" ",
                                           header=request["headers"][SIGNATURE_HEADER])
    body = json.loads(receiver.received[-1]["body"])
    assert body["event"] == "order.settled" and body["data"] == {"order": "abc", "status": "settled"}
    assert [backoff_seconds(n) for n in (1, 2, 3)] == [30.0, 60.0, 120.0]

    log = call(client, "GET", "/api/resellers/webhooks/deliveries", token=token).json()
    assert [entry["status_code"] for entry in log[0]["log"]] == [500, 200]
    receiver.statuses = [200]
    with django_capture_on_commit_callbacks(execute=True):
        again = call(client, "POST", f"/api/resellers/webhooks/deliveries/{log[0]['id']}/redeliver", token=token)
    assert again.status_code == 202
    assert len(receiver.received) == 3


def test_gives_up_after_the_attempt_limit(receiver, eager_celery, settings, tenants,
                                          django_capture_on_commit_callbacks):
    from tenant_apps.agents.webhooks import subscription_create

    settings.RESELLERS = {**settings.RESELLERS, "WEBHOOK_MAX_ATTEMPTS": 3}
    receiver.statuses = [500, 502, 503, 200]
    with schema_context("quickvend"):
        subscription_create(url=receiver.url, events=["*"], created_by=None)
        with django_capture_on_commit_callbacks(execute=True):
            [delivery] = enqueue_event(event="order.reversed", payload={"order": str(uuid.uuid4())})
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 3, 503)


def test_a_plain_settlement_queues_order_settled_only_where_a_subscription_asks(receiver, tenants):
    """``sales_settled_plainly`` reads the subscriptions with one written-out statement: active ones whose events
    hold ``order.settled`` or ``*`` (nothing is queued otherwise)."""
    from tenant_apps.agents.models import WebhookSubscription
    from tenant_apps.agents.sales import Sale, sales_settled_plainly
    from tenant_apps.agents.webhooks import subscription_create

    def queued(reference: str) -> int:
        sales_settled_plainly(sales=[Sale(reference=reference, quote={"price_minor": 100})])
        return WebhookDelivery.objects.filter(event="order.settled", payload__order=reference).count()

    with schema_context("quickvend"):
        WebhookSubscription.objects.update(is_active=False)  # rolled back with the test
        assert queued("none") == 0
        subscription_create(url=receiver.url, events=["order.reversed"], created_by=None)
        assert queued("other-event") == 0
        asleep, _secret = subscription_create(url=receiver.url, events=["order.settled"], created_by=None)
        WebhookSubscription.objects.filter(pk=asleep.pk).update(is_active=False)
        assert queued("inactive") == 0
        subscription_create(url=receiver.url, events=["*"], created_by=None)
        assert queued("everything") == 1
        WebhookSubscription.objects.filter(pk=asleep.pk).update(is_active=True)
        assert queued("both") == 2
