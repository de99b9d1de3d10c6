"""Gateway webhooks: authenticate, deduplicate, then act only on our own verification.

The webhook reaches the tenant's own domain (``https://<tenant domain>/webhook/<gateway>``),
so tenant routing has already set the schema: the intent or transfer is looked
up in that tenant only, and the gateway credentials are those of the registry
row for the tenant's country. A notification is recorded in
:class:`WebhookEvent` once it led to a final state (or concerned an already
final one): a redelivery is then answered ``duplicate`` without calling the
gateway again. A notification whose verification is still pending is not
recorded, so a later genuine delivery is still acted on (this matters for
unsigned rails, where anyone can send a plausible body).

Every webhook follows the callback binding (``shared_apps.providers.callbacks``, issue 14):
authenticated with each of the gateway's registry rows, deduplicated by event id, the intent or
transfer looked up only among those sent to that gateway, verified with the gateway (the object's
own registry row) before value moves, and the dedupe record written in the money's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import IntegrityError, transaction

from provider_plugins.interfaces.common import OutcomeStatus, ProviderError, SignatureError
from provider_plugins.interfaces.payments import PaymentEvent
from provider_plugins.interfaces.plugin import Capability
from shared_apps.core.errors import error_body
from shared_apps.providers.callbacks import CallbackSource, authenticate, bound, refuse

from .funding import funding_apply_verification, funding_verify
from .gateways import Gateway, GatewayUnavailable, gateways_for
from .models import FUNDING_FINAL, FundingIntent, WebhookEvent, funding_awaits_payment

logger = logging.getLogger(__name__)

UNREACHABLE = frozenset({"provider_timeout", "provider_unavailable", "provider_fault", "provider_auth_error"})
UNKNOWN_PAYMENT = "unknown_payment"  # WebhookEvent.outcome of a signed success that matches no intent
T = TypeVar("T")


@dataclass(frozen=True)
class WebhookResult:
    status_code: int
    body: dict


class WebhookRejected(Exception):
    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code, self.code, self.message = status_code, code, message


def _already_handled(provider: str, event_id: str, reference: str = "") -> bool:
    """Seen before. An id recorded for *another* payment is not trusted as a duplicate (a gateway account
    switched, ids reused by a sandbox): the event is verified again; value is still given once (row lock + ledger)."""
    seen = WebhookEvent.objects.filter(provider=provider, event_id=event_id[:200]).values_list("subject", flat=True) \
        .first()
    if seen is None:
        return False
    if reference and seen and seen != reference:
        logger.warning("webhook event id already recorded for another payment",
                       extra={"provider": provider, "event_id": event_id})
        return False
    return True


def record_event(*, provider: str, event_id: str, event_type: str, subject: str, outcome: str) -> bool:
    """Insert the dedupe row; False when a concurrent twin recorded it first."""
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(provider=provider, event_id=event_id[:200], event_type=event_type[:60],
                                        subject=subject[:80], outcome=outcome[:40])
    except IntegrityError:
        return False
    return True


def signature_rejected(provider: str, reason: str) -> WebhookRejected:
    # Never log the body, the signature or the secret: provider and reason only.
    logger.warning("webhook signature rejected", extra={"provider": provider, "reason": reason})
    return WebhookRejected(401, "bad_signature", "The webhook signature is not valid.")


def webhook_gateways(key: str, capability: Capability = Capability.PAYMENTS) -> list[Gateway]:
    try:
        return gateways_for(key=key, capability=capability)
    except GatewayUnavailable:
        refuse(key, "gateway_unavailable")
        raise WebhookRejected(404, "gateway_unavailable", f"{key} is not configured for this site.") from None


def authenticated(key: str, capability: Capability, parse: Callable[[Gateway], T]) -> tuple[T, CallbackSource,
                                                                                            Gateway]:
    """Step 1 of the callback binding: parse + signature with each usable registry row of the gateway.

    Returns what the first accepting row parsed, the source (every accepting row) and that row's gateway.
    """
    gateways = {gateway.provider.pk: gateway for gateway in webhook_gateways(key, capability)}
    try:
        parsed, source = authenticate(plugin_key=key, providers=[g.provider for g in gateways.values()],
                                      check=lambda provider: parse(gateways[provider.pk]))
    except SignatureError as exc:
        raise signature_rejected(key, str(exc)) from None
    except (ProviderError, KeyError, TypeError, ValueError, AttributeError):
        raise WebhookRejected(400, "malformed_webhook", "The webhook body could not be read.") from None
    first = next(gateway for pk, gateway in gateways.items() if pk in source.provider_ids)
    return parsed, source, first


def parse_payment(key: str, headers, raw_body: bytes) -> tuple[PaymentEvent, CallbackSource, Gateway]:
    return authenticated(key, Capability.PAYMENTS,
                          lambda gateway: gateway.connector.parse_webhook(headers, raw_body, config=gateway.config))


def _intent_for(source: CallbackSource, reference: str) -> FundingIntent | None:
    """Step 3: only an intent sent to this gateway (and to a registry row that authenticated the callback)."""
    return bound(FundingIntent.objects.all(), source=source, reference=reference) if reference else None


def handle_payment_event(*, key: str, event: PaymentEvent, source: CallbackSource, gateway: Gateway,
                         intent: FundingIntent | None = None) -> WebhookResult:
    """Steps 2-5 of the callback binding for a payment notification (step 1 done by the caller)."""
    if _already_handled(key, event.event_id, event.reference or (intent.reference if intent else "")):
        return WebhookResult(200, {"status": "duplicate"})
    paid = event.authenticated and event.status is OutcomeStatus.SUCCESS
    verification = None
    if intent is None and key == "flutterwave" and event.provider_id:
        # The contract body has only the transaction id: ask Flutterwave what it is before anything else.
        try:
            verification = gateway.connector.verify(config=gateway.config, provider_id=event.provider_id)
        except ProviderError:
            verification = None
        if verification is None or (verification.status is OutcomeStatus.PENDING
                                    and verification.provider_status in UNREACHABLE):
            # We cannot tell which payment this is: ask Flutterwave to deliver it again (nothing recorded).
            return WebhookResult(503, error_body("verification_unavailable",
                                                 "The gateway could not be reached to verify; retry later."))
        paid = verification.status is OutcomeStatus.SUCCESS  # only what Flutterwave itself says counts
        intent = _intent_for(source, verification.reference)
        if intent is not None and intent.provider_id != gateway.provider.pk:
            verification = None  # verified through another registry row: ask the intent's own row below
        elif intent is not None and funding_awaits_payment(intent) and not intent.provider_transaction_id:
            FundingIntent.objects.filter(pk=intent.pk).update(provider_transaction_id=event.provider_id[:100])
    else:
        intent = intent or _intent_for(source, event.reference)
    if intent is None:
        if paid:
            # Money may have been taken for a payment this tenant does not know (wrong tenant's URL, or a
            # checkout whose intent was rolled back): keep it for reconciliation, never credit anyone.
            record_event(provider=key, event_id=event.event_id, event_type=event.event_type,
                         subject=(event.reference or event.provider_id)[:80], outcome=UNKNOWN_PAYMENT)
            logger.warning("paid webhook for an unknown payment", extra={"provider": key,
                                                                         "event_type": event.event_type})
        else:
            logger.info("webhook for an unknown payment", extra={"provider": key, "event_type": event.event_type})
        return WebhookResult(200, {"status": "ignored"})
    if funding_awaits_payment(intent):
        # Step 4: verified with the intent's own gateway row (never under a row lock: HTTP).
        verification = verification or funding_verify(intent=intent)
    with transaction.atomic():  # step 5: the dedupe record commits with the money change
        if verification is not None and funding_awaits_payment(intent):
            intent = funding_apply_verification(intent_id=intent.pk, verification=verification)
        if intent.status in FUNDING_FINAL:
            fresh = record_event(provider=key, event_id=event.event_id, event_type=event.event_type,
                                 subject=intent.reference, outcome=intent.status)
            if not fresh and _already_handled(key, event.event_id, intent.reference):
                return WebhookResult(200, {"status": "duplicate"})
    return WebhookResult(200, {"status": intent.status, "reference": intent.reference})
