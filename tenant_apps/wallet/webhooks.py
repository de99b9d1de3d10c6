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
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from provider_plugins.interfaces.common import OutcomeStatus, ProviderError, SignatureError
from provider_plugins.interfaces.payments import PaymentEvent
from provider_plugins.interfaces.plugin import Capability
from shared_apps.core.errors import error_body

from .funding import funding_apply_verification, funding_verify
from .gateways import GatewayUnavailable, gateway_for
from .models import FUNDING_FINAL, FundingIntent, WebhookEvent, funding_awaits_payment

logger = logging.getLogger(__name__)

UNREACHABLE = frozenset({"provider_timeout", "provider_unavailable", "provider_fault", "provider_auth_error"})
UNKNOWN_PAYMENT = "unknown_payment"  # WebhookEvent.outcome of a signed success that matches no intent


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


def _authenticate(provider: str, reason: str) -> WebhookRejected:
    # Never log the body, the signature or the secret: provider and reason only.
    logger.warning("webhook signature rejected", extra={"provider": provider, "reason": reason})
    return WebhookRejected(401, "bad_signature", "The webhook signature is not valid.")


def _gateway(key: str, capability: Capability = Capability.PAYMENTS):
    try:
        return gateway_for(key=key, capability=capability)
    except GatewayUnavailable:
        raise WebhookRejected(404, "gateway_unavailable", f"{key} is not configured for this site.") from None


def _parse_payment(key: str, headers, raw_body: bytes) -> PaymentEvent:
    gateway = _gateway(key)
    try:
        return gateway.connector.parse_webhook(headers, raw_body, config=gateway.config)
    except SignatureError as exc:
        raise _authenticate(key, str(exc)) from None
    except (ProviderError, KeyError, TypeError, ValueError, AttributeError):
        raise WebhookRejected(400, "malformed_webhook", "The webhook body could not be read.") from None


def _intent_for(key: str, event: PaymentEvent) -> FundingIntent | None:
    intents = FundingIntent.objects.filter(gateway=key)
    if event.reference:
        return intents.filter(reference=event.reference).first()
    return None


def handle_payment_event(*, key: str, event: PaymentEvent, intent: FundingIntent | None = None) -> WebhookResult:
    if _already_handled(key, event.event_id, event.reference or (intent.reference if intent else "")):
        return WebhookResult(200, {"status": "duplicate"})
    paid = event.authenticated and event.status is OutcomeStatus.SUCCESS
    if intent is None and key == "flutterwave" and event.provider_id:
        # The contract body has only the transaction id: ask Flutterwave what it is before anything else.
        gateway = _gateway(key)
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
        intent = FundingIntent.objects.filter(gateway=key, reference=verification.reference).first() \
            if verification.reference else None
        if intent is not None and funding_awaits_payment(intent):
            if not intent.provider_transaction_id:
                FundingIntent.objects.filter(pk=intent.pk).update(provider_transaction_id=event.provider_id[:100])
            intent = funding_apply_verification(intent_id=intent.pk, verification=verification)
    else:
        intent = intent or _intent_for(key, event)
        if intent is not None and funding_awaits_payment(intent):
            intent = funding_apply_verification(intent_id=intent.pk, verification=funding_verify(intent=intent))
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
    if intent.status in FUNDING_FINAL:
        fresh = record_event(provider=key, event_id=event.event_id, event_type=event.event_type,
                             subject=intent.reference, outcome=intent.status)
        if not fresh and _already_handled(key, event.event_id, intent.reference):
            return WebhookResult(200, {"status": "duplicate"})
    return WebhookResult(200, {"status": intent.status, "reference": intent.reference})


def _transfer_webhook(key: str, headers, raw_body: bytes) -> WebhookResult:
    from .transfers import handle_transfer_event

    gateway = _gateway(key, Capability.PAYOUTS)
    try:
        event = gateway.connector.parse_transfer_webhook(headers, raw_body, config=gateway.config)
    except SignatureError as exc:
        raise _authenticate(key, str(exc)) from None
    except (ProviderError, KeyError, TypeError, ValueError, AttributeError):
        raise WebhookRejected(400, "malformed_webhook", "The webhook body could not be read.") from None
    return handle_transfer_event(key=key, event=event)


def paystack_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """One URL for charge, transfer and dedicated-account events (each authenticated by its parser)."""
    gateway = _gateway("paystack")
    kind = gateway.connector.classify_webhook(raw_body)
    if kind == "transfer":
        return _transfer_webhook("paystack", headers, raw_body)
    if kind == "virtual_account":  # a transfer into a dedicated account, or its assignment
        from .virtual_accounts import handle_virtual_account_webhook

        return handle_virtual_account_webhook(key="paystack", headers=headers, raw_body=raw_body, gateway=gateway)
    event = _parse_payment("paystack", headers, raw_body)
    if kind != "payment" or not event.event_type.startswith("charge."):
        return WebhookResult(200, {"status": "ignored"})
    return handle_payment_event(key="paystack", event=event)


def flutterwave_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """Charges (the contract body included) and transfers share the URL."""
    if _gateway("flutterwave").connector.classify_webhook(raw_body) == "transfer":
        return _transfer_webhook("flutterwave", headers, raw_body)
    event = _parse_payment("flutterwave", headers, raw_body)
    if not str(event.provider_id).isdigit():
        raise WebhookRejected(400, "malformed_webhook", "The webhook has no transaction id.")
    return handle_payment_event(key="flutterwave", event=event)


def orange_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """Unsigned by Orange: the contract body names our reference; the native one carries the notif_token."""
    event = _parse_payment("orange_money", headers, raw_body)
    intent = None
    if not event.reference:
        token = str(event.raw.get("notif_token", ""))
        candidate = FundingIntent.objects.filter(gateway="orange_money", notify_token=token).first() if token else None
        gateway = _gateway("orange_money")
        if candidate is None or not gateway.connector.notification_matches(raw_body, candidate.notify_token):
            raise _authenticate("orange_money", "notif_token does not match a payment")
        intent = candidate
    if event.status is OutcomeStatus.PENDING and intent is None and not event.reference:
        return WebhookResult(200, {"status": "ignored"})
    return handle_payment_event(key="orange_money", event=event, intent=intent)


def momo_callback(*, headers, raw_body: bytes) -> WebhookResult:
    """MTN MoMo's unsigned callback (PUT): only a reason to poll the payment status now."""
    gateway = _gateway("mtn_momo")
    try:
        event = gateway.connector.parse_callback(headers, raw_body, config=gateway.config)
    except (ProviderError, KeyError, TypeError, ValueError, AttributeError):
        raise WebhookRejected(400, "malformed_webhook", "The callback body could not be read.") from None
    return handle_payment_event(key="mtn_momo", event=event)


# -- mobile-money rails (Wave, CinetPay, Airtel Money, MTN MoMo disbursement) ---------------------

def _wallet_event(key: str, headers, raw_body: bytes):
    gateway = _gateway(key, Capability.PAYOUTS)
    try:
        return gateway.connector.parse_wallet_callback(headers, raw_body, config=gateway.config)
    except SignatureError as exc:
        raise _authenticate(key, str(exc)) from None
    except (ProviderError, KeyError, TypeError, ValueError, AttributeError, UnicodeDecodeError):
        raise WebhookRejected(400, "malformed_webhook", "The notification body could not be read.") from None


def wave_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """Wave's signed events (``Wave-Signature``); checkout events only (Wave sends no payout events)."""
    event = _parse_payment("wave", headers, raw_body)
    if not event.event_type.startswith("checkout.session."):
        return WebhookResult(200, {"status": "ignored"})
    return handle_payment_event(key="wave", event=event)


def cinetpay_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """CinetPay's payment notification (form + ``x-token``): it only names the transaction; we check it."""
    try:
        event = _parse_payment("cinetpay", headers, raw_body)
    except UnicodeDecodeError:
        raise WebhookRejected(400, "malformed_webhook", "The webhook body could not be read.") from None
    return handle_payment_event(key="cinetpay", event=event)


def cinetpay_transfer_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """CinetPay's transfer notification: unsigned, so the transfer is re-read before anything moves."""
    from .transfers import handle_wallet_callback

    return handle_wallet_callback(key="cinetpay", event=_wallet_event("cinetpay", headers, raw_body))


def airtel_callback(*, headers, raw_body: bytes) -> WebhookResult:
    """Airtel's one callback URL carries collections and disbursements: the transaction id says which
    (our funding reference, or our payout reference, each looked up for THIS provider only)."""
    from .models import Transfer, TransferType
    from .transfers import handle_wallet_callback

    gateway = _gateway("airtel_money")
    try:
        event = gateway.connector.parse_callback(headers, raw_body, config=gateway.config)
    except SignatureError as exc:
        raise _authenticate("airtel_money", str(exc)) from None
    except (ProviderError, KeyError, TypeError, ValueError, AttributeError):
        raise WebhookRejected(400, "malformed_webhook", "The callback body could not be read.") from None
    is_funding = FundingIntent.objects.filter(gateway="airtel_money", reference=event.reference).exists()
    if not is_funding and Transfer.objects.filter(gateway="airtel_money", type=TransferType.WALLET,
                                                  reference=event.reference).exists():
        return handle_wallet_callback(key="airtel_money", event=_wallet_event("airtel_money", headers, raw_body))
    return handle_payment_event(key="airtel_money", event=event)


def momo_disbursement_callback(*, headers, raw_body: bytes) -> WebhookResult:
    """MTN MoMo's disbursement callback (unsigned PUT to the X-Callback-Url we sent): a reason to poll."""
    from .transfers import handle_wallet_callback

    return handle_wallet_callback(key="mtn_momo", event=_wallet_event("mtn_momo", headers, raw_body))
