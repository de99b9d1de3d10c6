"""One entry point per gateway webhook URL (the views call these): which kind of event it is, then the
handler of that kind (a payment: tenant_apps.wallet.webhooks; a payout: tenant_apps.wallet.transfers; a
dedicated bank account: tenant_apps.wallet.virtual_accounts). The callback binding itself is described in
tenant_apps.wallet.webhooks.
"""

from __future__ import annotations

from provider_plugins.interfaces.common import OutcomeStatus
from provider_plugins.interfaces.payouts import TransferEvent
from provider_plugins.interfaces.plugin import Capability
from shared_apps.providers.callbacks import CallbackSource, bound, refuse

from .gateways import Gateway
from .models import FundingIntent, Transfer, TransferType
from .transfers import handle_transfer_event, handle_wallet_callback
from .virtual_accounts import handle_virtual_account_webhook
from .webhooks import (
    WebhookRejected,
    WebhookResult,
    authenticated,
    handle_payment_event,
    parse_payment,
    signature_rejected,
    webhook_gateways,
)


def _transfer_webhook(key: str, headers, raw_body: bytes) -> WebhookResult:
    event, source, _gateway = authenticated(
        key, Capability.PAYOUTS,
        lambda gateway: gateway.connector.parse_transfer_webhook(headers, raw_body, config=gateway.config))
    return handle_transfer_event(key=key, event=event, source=source)


def paystack_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """One URL for charge, transfer and dedicated-account events (each authenticated by its parser)."""
    kind = webhook_gateways("paystack")[0].connector.classify_webhook(raw_body)
    if kind == "transfer":
        return _transfer_webhook("paystack", headers, raw_body)
    if kind == "virtual_account":  # a transfer into a dedicated account, or its assignment
        return handle_virtual_account_webhook(key="paystack", headers=headers, raw_body=raw_body)
    event, source, gateway = parse_payment("paystack", headers, raw_body)
    if kind != "payment" or not event.event_type.startswith("charge."):
        return WebhookResult(200, {"status": "ignored"})
    return handle_payment_event(key="paystack", event=event, source=source, gateway=gateway)


def flutterwave_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """Charges (the contract body included) and transfers share the URL."""
    if webhook_gateways("flutterwave")[0].connector.classify_webhook(raw_body) == "transfer":
        return _transfer_webhook("flutterwave", headers, raw_body)
    event, source, gateway = parse_payment("flutterwave", headers, raw_body)
    if not str(event.provider_id).isdigit():
        raise WebhookRejected(400, "malformed_webhook", "The webhook has no transaction id.")
    return handle_payment_event(key="flutterwave", event=event, source=source, gateway=gateway)


def orange_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """Unsigned by Orange: the contract body names our reference; the native one carries the notif_token."""
    event, source, gateway = parse_payment("orange_money", headers, raw_body)
    intent = None
    if not event.reference:
        token = str(event.raw.get("notif_token", ""))
        candidate = bound(FundingIntent.objects.all(), source=source, notify_token=token) if token else None
        if candidate is None or not gateway.connector.notification_matches(raw_body, candidate.notify_token):
            raise signature_rejected("orange_money", "notif_token does not match a payment")
        intent = candidate
    if event.status is OutcomeStatus.PENDING and intent is None and not event.reference:
        return WebhookResult(200, {"status": "ignored"})
    return handle_payment_event(key="orange_money", event=event, source=source, gateway=gateway, intent=intent)


def momo_callback(*, headers, raw_body: bytes) -> WebhookResult:
    """MTN MoMo's unsigned callback (PUT): only a reason to poll the payment status now."""
    event, source, gateway = authenticated(
        "mtn_momo", Capability.PAYMENTS,
        lambda gateway: gateway.connector.parse_callback(headers, raw_body, config=gateway.config))
    return handle_payment_event(key="mtn_momo", event=event, source=source, gateway=gateway)


# -- mobile-money rails (Wave, CinetPay, Airtel Money, MTN MoMo disbursement) ---------------------

def _wallet_event(key: str, headers, raw_body: bytes) -> tuple[TransferEvent, CallbackSource, Gateway]:
    """Step 1 for a payout notification: parse + authenticate with each of the rail's payout rows."""
    return authenticated(key, Capability.PAYOUTS,
                          lambda gateway: gateway.connector.parse_wallet_callback(headers, raw_body,
                                                                                   config=gateway.config))


def _wallet_callback(key: str, headers, raw_body: bytes) -> WebhookResult:
    event, source, _gateway = _wallet_event(key, headers, raw_body)
    return handle_wallet_callback(key=key, event=event, source=source)


def wave_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """Wave's signed events (``Wave-Signature``); checkout events only (Wave sends no payout events)."""
    event, source, gateway = parse_payment("wave", headers, raw_body)
    if not event.event_type.startswith("checkout.session."):
        return WebhookResult(200, {"status": "ignored"})
    return handle_payment_event(key="wave", event=event, source=source, gateway=gateway)


def cinetpay_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """CinetPay's payment notification (form + ``x-token``): it only names the transaction; we check it."""
    event, source, gateway = parse_payment("cinetpay", headers, raw_body)
    return handle_payment_event(key="cinetpay", event=event, source=source, gateway=gateway)


def cinetpay_transfer_webhook(*, headers, raw_body: bytes) -> WebhookResult:
    """CinetPay's transfer notification: unsigned, so the transfer is re-read before anything moves."""
    return _wallet_callback("cinetpay", headers, raw_body)


def airtel_callback(*, headers, raw_body: bytes) -> WebhookResult:
    """Airtel's one callback URL carries collections and disbursements: the transaction id says which
    (our funding reference, or our payout reference, each looked up for THIS provider only)."""
    event, source, gateway = authenticated(
        "airtel_money", Capability.PAYMENTS,
        lambda gateway: gateway.connector.parse_callback(headers, raw_body, config=gateway.config))
    is_funding = bool(event.reference) and bound(FundingIntent.objects.all(), source=source,
                                                 reference=event.reference) is not None
    if not is_funding and event.reference:
        if Transfer.objects.filter(gateway="airtel_money", type=TransferType.WALLET,
                                   reference=event.reference).exists():
            return _wallet_callback("airtel_money", headers, raw_body)  # bound again, to Airtel's payout rows
        if Transfer.objects.filter(reference=event.reference).exists():  # a payout another rail was sent
            refuse("airtel_money", "sent_to_another_provider", kind="wallet.transfer")
            return WebhookResult(200, {"status": "ignored"})
    return handle_payment_event(key="airtel_money", event=event, source=source, gateway=gateway)


def momo_disbursement_callback(*, headers, raw_body: bytes) -> WebhookResult:
    """MTN MoMo's disbursement callback (unsigned PUT to the X-Callback-Url we sent): a reason to poll."""
    return _wallet_callback("mtn_momo", headers, raw_body)
