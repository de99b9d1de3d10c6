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
from datetime import timedelta

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
    enqueue("agents.deliver_webhook", delivery.pk, countdown=countdown or None, on_commit=True)


def backoff_seconds(attempt: int) -> float:
    return float(_conf("WEBHOOK_BACKOFF_BASE_SECONDS")) * 2 ** max(attempt - 1, 0)


def attempt_delivery(*, delivery_id: int) -> WebhookDelivery:
    """One HTTP attempt; records it. Returns the delivery (status delivered, pending (retry) or failed)."""
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    if delivery.status == DeliveryStatus.DELIVERED:
        return delivery
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
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at",
                                 "next_attempt_at"])
    return delivery


def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send again (a new series of attempts), e.g. after the reseller fixed its endpoint."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, attempts=0,
                                                          next_attempt_at=None)
    delivery.refresh_from_db()
    _schedule(delivery)
    return delivery
