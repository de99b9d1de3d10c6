"""Outbound webhooks to the reseller (order status), signed, retried with backoff, logged.

The URL is the reseller's: it goes through ``shared_apps.core.outbound`` (https to public addresses only,
checked at registration and again, after DNS resolution, at every attempt; no redirects; the answer's body
never read or stored: an attempt keeps its status code and a stable error code).

Signature header: ``X-NexusTop-Signature: t=<unix seconds>,v1=<hex>`` with
``v1 = HMAC-SHA256(subscription secret, "<t>.<raw body>")``. The receiver
recomputes it and checks ``t`` is recent. Each HTTP attempt is a
:class:`DeliveryAttempt` row; the Celery task retries a failed attempt after
``WEBHOOK_BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)`` up to ``WEBHOOK_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext

from shared_apps.core import outbound
from shared_apps.core.enqueue import enqueue
from shared_apps.core.errors import ApiError

from .crypto import decrypt_secret, encrypt_secret
from .models import DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookSubscription

EVENTS = ("order.settled", "order.reversed")  # queued by agents.sales hooks inside the order transaction
SIGNATURE_HEADER = "X-NexusTop-Signature"


def _conf(name: str):
    return settings.RESELLERS[name]


def subscription_create(*, url: str, events, created_by) -> tuple[WebhookSubscription, str]:
    events = sorted(set(events or EVENTS))
    if any(event not in EVENTS and event != "*" for event in events):
        raise ApiError(gettext("Unknown event."), code="validation_error",
                       fields={"events": [gettext("Use: %(choices)s.") % {"choices": ", ".join(EVENTS)}]})
    outbound.check_url(url)  # 400 url_not_allowed: not https, or not a public address
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(url=url, events=events, created_by=created_by,
                                                      secret_encrypted=encrypt_secret(secret))
    return subscription, secret


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature_header(*, secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """What a reseller's receiver does (the docs and tests use it)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature_header(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def subscribed(subscriptions, event: str) -> list[WebhookSubscription]:
    return [subscription for subscription in subscriptions
            if event in subscription.events or "*" in subscription.events]


def enqueue_event(*, event: str, payload: dict) -> list[WebhookDelivery]:
    """A delivery per matching subscription, sent by Celery after the current transaction commits."""
    deliveries = [WebhookDelivery.objects.create(subscription=subscription, event=event, payload=payload)
                  for subscription in subscribed(WebhookSubscription.objects.filter(is_active=True), event)]
    for delivery in deliveries:
        _schedule(delivery)
    return deliveries


def _schedule(delivery: WebhookDelivery, countdown: float = 0) -> None:
    """The first attempt of a series (the delivery's ``next_attempt_at`` is NULL: see :func:`attempt_delivery`)."""
    enqueue("agents.deliver_webhook", delivery.pk, countdown=countdown or None, on_commit=True)


def due_token(delivery: WebhookDelivery) -> str | None:
    """What the task that makes the delivery's next attempt carries: its ``next_attempt_at`` as text."""
    return delivery.next_attempt_at.isoformat() if delivery.next_attempt_at else None


def _claim(*, delivery_id: int, expected: str | None) -> datetime | None:
    """Take the delivery's next attempt, or learn that it is not this task's.

    One retry series per delivery: a task carries the ``next_attempt_at`` it was scheduled for (``None``: the
    first attempt of a series) and makes the attempt only if the row still says so, swapping in a lease while
    the request is in flight. A series made stale by a redelivery (its retry still queued in Celery), a second
    click on "redeliver", or a message Celery hands out twice finds another value and stops: before, each of
    them sent its own requests (two series after a redelivery: twice the requests, backoff not honoured).
    Returns the lease (the attempt is this caller's), else None."""
    lease = timezone.now() + timedelta(seconds=float(_conf("WEBHOOK_TIMEOUT_SECONDS")) + 60)
    rows = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
    rows = rows.filter(next_attempt_at__isnull=True) if expected is None \
        else rows.filter(next_attempt_at=datetime.fromisoformat(expected))
    return lease if rows.update(next_attempt_at=lease) == 1 else None


def backoff_seconds(attempt: int) -> float:
    return float(_conf("WEBHOOK_BACKOFF_BASE_SECONDS")) * 2 ** max(attempt - 1, 0)


def attempt_delivery(*, delivery_id: int, expected: str | None = None) -> tuple[WebhookDelivery, bool]:
    """One HTTP attempt, if it is this caller's to make (``expected``: see :func:`_claim`); records it.

    Returns the delivery (status delivered, pending (retry at ``next_attempt_at``) or failed) and whether the
    caller's series goes on with it (False: delivered already, or the delivery belongs to another series: nothing
    sent; or it was redelivered while this request was in flight: the attempt is logged, the new series decides)."""
    lease = _claim(delivery_id=delivery_id, expected=expected)
    if lease is None:
        return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id), False
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    body = json.dumps({"id": str(delivery.public_id), "event": delivery.event, "data": delivery.payload},
                      cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    secret = decrypt_secret(delivery.subscription.secret_encrypted)
    headers = {"Content-Type": "application/json", "X-NexusTop-Event": delivery.event,
               "X-NexusTop-Delivery": str(delivery.public_id), SIGNATURE_HEADER: signature_header(secret=secret,
                                                                                              body=body)}
    started = time.monotonic()
    result = outbound.post(delivery.subscription.url, body=body, headers=headers,
                           timeout=_conf("WEBHOOK_TIMEOUT_SECONDS"))
    status_code, error = result.status_code, result.error
    delivery.attempts += 1
    DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, status_code=status_code,
                                   error=error, duration_ms=int((time.monotonic() - started) * 1000))
    delivery.last_status_code, delivery.last_error = status_code, error
    if result.ok:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= _conf("WEBHOOK_MAX_ATTEMPTS"):
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=backoff_seconds(delivery.attempts))
    # Only while the lease is still ours: a redelivery during the request started a new series, which owns the row.
    kept = WebhookDelivery.objects.filter(pk=delivery.pk, next_attempt_at=lease).update(
        attempts=delivery.attempts, last_status_code=status_code, last_error=error, status=delivery.status,
        delivered_at=delivery.delivered_at, next_attempt_at=delivery.next_attempt_at)
    if not kept:
        delivery.refresh_from_db()
    return delivery, bool(kept)


def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send again (a new series of attempts), e.g. after the reseller fixed its endpoint."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, attempts=0,
                                                          next_attempt_at=None)
    delivery.refresh_from_db()
    _schedule(delivery)
    return delivery
