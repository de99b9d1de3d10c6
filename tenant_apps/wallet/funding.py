"""Funding a wallet through a gateway: start, verify, credit once.

Value is given only after *our own* verification with the gateway (a webhook is
a hint). Whatever path reaches :func:`funding_apply_verification` first
(webhook, the customer's return, a poll), the intent row is locked and the
credit is posted with the ledger reference ``<gateway>:<intent reference>``, so
the ledger itself refuses a second credit. A verified payment whose amount or
currency differs from the intent is never credited: the intent goes to
``review`` (nothing is posted; the money sits at the gateway until finance
decides) and reconciliation lists it.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from provider_plugins.interfaces.common import OutcomeStatus, ProviderError, ProviderFault, UserFixableError
from provider_plugins.interfaces.payments import (
    CheckoutRequest,
    MobileMoneyCollection,
    MobileMoneyRequest,
    PaymentVerification,
)
from provider_plugins.interfaces.plugin import Capability
from shared_apps.core.enqueue import enqueue
from shared_apps.core.errors import ApiError
from shared_apps.providers.messages import user_message
from tenant_apps.kyc.services import kyc_check_balance_room, kyc_release_spend
from tenant_apps.ledger.currency import minor_unit, tenant_currency
from tenant_apps.ledger.errors import BalanceLimitExceeded
from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.services import (
    EntryType,
    Line,
    balance_ceiling,
    fund_wallet,
    post_entry,
    system_account,
    wallet_for,
)
from tenant_apps.provider_archive.services import archived_call
from tenant_apps.risk.gate import MoneyMove, inflow_completed, screen
from tenant_apps.risk.models import Flow
from tenants.connection import current_schema

from . import failures
from .gateways import Gateway, GatewayError, gateway_by_provider_id, gateway_for
from .models import FUNDING_EXPIRED, FUNDING_FINAL, FundingIntent, FundingPurpose, FundingStatus, funding_awaits_payment
from .notify import notify_user

logger = logging.getLogger(__name__)

FUNDING_HELD_ENTRY = "funding_held"  # a captured payment over the wallet's maximum balance, in suspense
# failure_reason of an intent over the wallet's maximum balance (review until released), and of a captured payment
# of another amount or currency than asked (never credited, its money in suspense for finance): .failures
BALANCE_LIMIT, AMOUNT_MISMATCH = failures.BALANCE_LIMIT, failures.AMOUNT_MISMATCH
FUNDING_MISMATCH_ENTRY = "funding_mismatch"


def _new_reference() -> str:
    return "fund_" + secrets.token_hex(12)


def _is_mobile_money(gateway: Gateway) -> bool:
    return isinstance(gateway.connector, MobileMoneyCollection) and not hasattr(gateway.connector,
                                                                                 "initialize_checkout")


def funding_start(*, user, amount_minor: int, currency: str | None, gateway_key: str, callback_url: str,
                  notify_url: str = "", purpose: str = FundingPurpose.WALLET) -> FundingIntent:
    """Create the intent and the gateway checkout (or mobile-money push). Runs in the caller's transaction.

    ``callback_url`` is where the customer's browser returns (the intent's id is appended).

    KYC: the amount is reserved against the daily limit now (released if the payment fails). A reseller's
    float (``purpose=reseller_float``, started by ``tenant_apps.agents``) is the business's money, not the
    admin's: no personal KYC allowance.
    """
    currency = currency or tenant_currency().code
    if currency != tenant_currency().code:
        expected = {"currency": tenant_currency().code}
        raise ApiError(gettext("This site works in %(currency)s.") % expected, code="currency_mismatch",
                       fields={"currency": [gettext("Expected %(currency)s.") % expected]})
    gateway = gateway_for(key=gateway_key, capability=Capability.PAYMENTS)
    reference = _new_reference()
    if purpose == FundingPurpose.WALLET:
        # Before anything is charged: the tier's maximum balance (checked again, locked, when crediting).
        kyc_check_balance_room(user=user, amount_minor=amount_minor, currency=currency)
    public_id = uuid.uuid4()
    if purpose == FundingPurpose.WALLET:
        # The risk gate: KYC daily limit (reserved now, released if the payment fails), then the rules.
        screen(MoneyMove(flow=Flow.FUNDING, user=user, amount_minor=amount_minor, currency=currency,
                         reference=f"funding:{reference}", subject_type="funding", subject_id=str(public_id)))
    intent = FundingIntent.objects.create(public_id=public_id, user=user, gateway=gateway.key,
                                          provider_id=gateway.provider.pk, reference=reference,
                                          amount_minor=amount_minor, currency=currency, purpose=purpose)
    try:
        with _archived(gateway, intent, "checkout", personal=[user.phone or "", user.email]):
            _start_at_gateway(gateway, intent, user=user, amount_minor=amount_minor, currency=currency,
                              reference=reference, notify_url=notify_url, callback_url=callback_url)
    except UserFixableError as exc:
        text = user_message(exc)  # the connector's words, in the request's language where it marked them
        raise ApiError(text, code=exc.code, fields={"amount": [text]} if exc.code == "invalid_amount" else None) \
            from None
    except ProviderFault as exc:
        logger.warning("funding start failed", extra={"gateway": gateway.key, "code": exc.code})
        raise GatewayError() from None
    intent.save(update_fields=["provider_reference", "phone", "authorization_url", "notify_token", "updated_at"])
    transaction.on_commit(lambda: schedule_funding_poll(intent_id=intent.pk, attempt=0))
    return intent


def _archived(gateway: Gateway, intent: FundingIntent, operation: str, *, personal: list[str]):
    """The gateway call's exchanges go to the provider archive (redacted) under the intent, after the call."""
    return archived_call(subject_type="funding", subject_id=intent.pk, attempt_ref=intent.reference,
                         operation=operation, plugin_key=gateway.key, provider=gateway.provider,
                         config=gateway.config, personal=personal)


def _start_at_gateway(gateway: Gateway, intent: FundingIntent, *, user, amount_minor: int, currency: str,
                      reference: str, notify_url: str, callback_url: str) -> None:
    """Ask the gateway to collect the payment (a mobile-money prompt or a checkout page)."""
    if _is_mobile_money(gateway):
        phone = (user.phone or "").lstrip("+")
        if not phone:
            raise ApiError(gettext("Add a phone number to pay with mobile money."), code="phone_required")
        accepted = gateway.connector.request_to_pay(MobileMoneyRequest(
            amount_minor=amount_minor, currency=currency, phone=phone, reference=reference,
            callback_url=notify_url, payer_message="Wallet top-up", payee_note=reference), config=gateway.config)
        intent.provider_reference, intent.phone = accepted.provider_reference, phone
    else:
        session = gateway.connector.initialize_checkout(CheckoutRequest(
            amount_minor=amount_minor, currency=currency, reference=reference,
            callback_url=f"{callback_url.rstrip('/')}/{intent.public_id}", email=user.email,
            phone=user.phone or "", description="Wallet funding", notify_url=notify_url,
            metadata={"intent": str(intent.public_id)}), config=gateway.config)
        intent.authorization_url = session.authorization_url
        intent.provider_reference = session.provider_reference
        intent.notify_token = str(session.raw.get("notif_token", "")) if session.raw else ""


def schedule_funding_poll(*, intent_id: int, attempt: int) -> None:
    """Requery a pending intent later (mobile money always; redirect gateways in case no webhook comes)."""
    delays = settings.WALLET_POLL_DELAYS_SECONDS
    if attempt >= len(delays):
        return
    enqueue("wallet.poll_funding", intent_id, attempt, countdown=delays[attempt])


def funding_verify(*, intent: FundingIntent) -> PaymentVerification:
    """Ask the gateway (no lock held, no transaction needed): never raises for provider trouble."""
    capability = Capability.PAYMENTS
    gateway = gateway_by_provider_id(provider_id=intent.provider_id, capability=capability)
    try:
        with _archived(gateway, intent, "verify", personal=[intent.phone]):
            return _verify_at_gateway(gateway, intent)
    except ProviderError as exc:
        return PaymentVerification(OutcomeStatus.PENDING, intent.reference, None, "", provider_status=exc.code)


def _verify_at_gateway(gateway: Gateway, intent: FundingIntent) -> PaymentVerification:
    if _is_mobile_money(gateway):
        return gateway.connector.payment_status(config=gateway.config, provider_reference=intent.provider_reference)
    if gateway.key == "orange_money":
        return gateway.connector.verify(config=gateway.config, reference=intent.reference,
                                        provider_id=intent.provider_reference)
    if gateway.key == "flutterwave" and intent.provider_transaction_id:
        return gateway.connector.verify(config=gateway.config, provider_id=intent.provider_transaction_id)
    return gateway.connector.verify(config=gateway.config, reference=intent.gateway_reference)


def funding_apply_verification(*, intent_id: int, verification: PaymentVerification) -> FundingIntent:
    """Move the intent to its final state from a verification we asked for; credit at most once.

    An intent we expired is final except for one thing: a payment the gateway verifies as made
    after all is still credited (the customer paid; the money must arrive).
    """
    with transaction.atomic():
        intent = FundingIntent.objects.select_for_update().select_related("user").get(pk=intent_id)  # lock: subject
        if intent.status in FUNDING_FINAL and not (
                funding_awaits_payment(intent) and verification.status is OutcomeStatus.SUCCESS):
            return intent
        if verification.reference and verification.reference != intent.gateway_reference:
            logger.warning("verification for another reference",
                           extra={"intent": intent.reference, "verified": verification.reference})
            return intent
        intent.provider_status = verification.provider_status[:60]
        if verification.provider_id:
            intent.provider_transaction_id = verification.provider_id[:100]
        if verification.status is OutcomeStatus.PENDING:
            intent.save(update_fields=["provider_status", "provider_transaction_id", "updated_at"])
            return intent
        intent.verified_amount_minor = verification.amount_minor
        intent.verified_currency = (verification.currency or "").upper()[:3]
        intent.completed_at = timezone.now()
        if verification.status is OutcomeStatus.FAILED:
            intent.status = FundingStatus.FAILED
            intent.failure_reason = (verification.message or verification.provider_status)[:255]
            kyc_release_spend(user=intent.user, reference=f"funding:{intent.reference}")
        elif verification.matches(amount_minor=intent.amount_minor, currency=intent.currency):
            if intent.purpose == FundingPurpose.RESELLER_FLOAT:
                from tenant_apps.agents.floats import fund_float_from_gateway

                entry = fund_float_from_gateway(intent=intent)  # both schemas, in this transaction
            else:
                wallet = wallet_for(user=intent.user, currency=intent.currency)
                try:
                    entry = fund_wallet(wallet=wallet, amount=intent.amount_minor, reference=intent.ledger_reference,
                                        metadata={"intent": str(intent.public_id), "gateway": intent.gateway,
                                                  "provider_transaction_id": intent.provider_transaction_id},
                                        capped=True)
                except BalanceLimitExceeded:
                    entry = None  # paid, but over the tier's maximum balance: held in suspense (below)
            if entry is None:
                _hold_over_limit(intent)
            else:
                intent.status, intent.credit_entry, intent.failure_reason = FundingStatus.SUCCEEDED, entry, ""
                inflow_completed(reference=f"funding:{intent.reference}")  # payout-after-funding windows
                notify_user(intent.user, "wallet_funded", {"amount": intent.amount_minor, "currency": intent.currency})
        else:
            intent.status = FundingStatus.REVIEW
            intent.failure_reason = AMOUNT_MISMATCH
            _mismatch_to_suspense(intent, verification)
            logger.warning("funding amount mismatch: not credited", extra={
                "intent": intent.reference, "gateway": intent.gateway, "expected": intent.amount_minor,
                "expected_currency": intent.currency, "verified": verification.amount_minor,
                "verified_currency": verification.currency})
        intent.save()
        return intent


def _mismatch_to_suspense(intent: FundingIntent, verification: PaymentVerification) -> None:
    """A payment the gateway verified for another amount or currency than the intent asked: it is never credited
    (finance decides: an adjustment of the wallet against suspense, or a refund at the gateway), but the money the
    gateway holds for us is not left out of the books either: what it verified is posted gateway clearing ->
    suspense, in the currency it was paid in (entry ``funding_mismatch``, once per intent). Before, nothing was
    posted: the gateway's settlement did not match the ledger, and an adjustment that gave the customer what they
    paid took it from a suspense account that never received it. An answer that cannot be posted (no amount, not
    positive, not a currency) stays in review for reconciliation only."""
    amount, currency = verification.amount_minor, (verification.currency or "").upper()
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        return
    try:
        minor_unit(currency)
    except ApiError:
        return
    schema = origin = current_schema()
    if intent.purpose == FundingPurpose.RESELLER_FLOAT:  # paid to the country operation's gateway account
        from tenant_apps.agents.floats import float_gateway_schema

        schema = float_gateway_schema()
    with schema_context(schema) if schema != origin else nullcontext():
        post_entry(entry_type=FUNDING_MISMATCH_ENTRY, reference=intent.ledger_reference,
                   lines=[Line(system_account(kind=AccountKind.GATEWAY_CLEARING, currency=currency), -amount),
                          Line(system_account(kind=AccountKind.SUSPENSE, currency=currency), amount)],
                   metadata={"intent": str(intent.public_id), "reason": AMOUNT_MISMATCH, "gateway": intent.gateway,
                             "expected": intent.amount_minor, "expected_currency": intent.currency,
                             **({"reseller": origin} if schema != origin else {})})


def _hold_over_limit(intent: FundingIntent) -> None:
    """A payment the gateway captured that would take the wallet over its KYC tier's maximum balance.

    The money must not be lost and the cap must hold: it is posted gateway clearing -> suspense (entry
    ``funding_held``, the intent's ledger reference: once), the intent goes to ``review`` with
    ``failure_reason = balance_limit_exceeded`` (reconciliation lists it, ``funding_needs_review``), and it is
    credited by :func:`funding_release_held` as soon as the wallet has room (the customer spends, or verifies
    their identity), or finance refunds the payer at the gateway.
    """
    clearing = system_account(kind=AccountKind.GATEWAY_CLEARING, currency=intent.currency)
    suspense = system_account(kind=AccountKind.SUSPENSE, currency=intent.currency)
    post_entry(entry_type=FUNDING_HELD_ENTRY, reference=intent.ledger_reference,
               lines=[Line(clearing, -intent.amount_minor), Line(suspense, intent.amount_minor)],
               metadata={"intent": str(intent.public_id), "reason": BALANCE_LIMIT})
    intent.status, intent.failure_reason = FundingStatus.REVIEW, BALANCE_LIMIT
    logger.warning("funding over the balance limit: held in suspense",
                   extra={"intent": intent.reference, "gateway": intent.gateway})


def funding_is_held(intent: FundingIntent) -> bool:
    return intent.status == FundingStatus.REVIEW and intent.failure_reason == BALANCE_LIMIT


def funding_release_held(*, intent_id: int) -> FundingIntent:
    """Credit a payment held in suspense for the balance limit once the wallet has room (suspense -> wallet,
    entry ``funding`` with the intent's ledger reference: the ordinary credit, once). Still no room: unchanged."""
    with transaction.atomic():
        intent = FundingIntent.objects.select_for_update().select_related("user").get(pk=intent_id)  # lock: subject
        if not funding_is_held(intent):
            return intent
        wallet = wallet_for(user=intent.user, currency=intent.currency)
        suspense = system_account(kind=AccountKind.SUSPENSE, currency=intent.currency)
        try:
            entry = post_entry(entry_type=EntryType.FUNDING, reference=intent.ledger_reference,
                               lines=[Line(suspense, -intent.amount_minor),
                                      Line(wallet, intent.amount_minor, ceiling=balance_ceiling(wallet))],
                               metadata={"intent": str(intent.public_id), "released_from": "suspense"})
        except BalanceLimitExceeded:
            return intent
        intent.status, intent.credit_entry, intent.failure_reason = FundingStatus.SUCCEEDED, entry, ""
        intent.save(update_fields=["status", "credit_entry", "failure_reason", "updated_at"])
        inflow_completed(reference=f"funding:{intent.reference}")
        notify_user(intent.user, "wallet_funded", {"amount": intent.amount_minor, "currency": intent.currency})
        return intent


def funding_refresh(*, intent: FundingIntent) -> FundingIntent:
    """Verify a pending (or expired) intent now and apply the answer (the customer's return, a poll);
    a payment held for the balance limit is credited if the wallet has room now."""
    if funding_is_held(intent):
        return funding_release_held(intent_id=intent.pk)
    if not funding_awaits_payment(intent):
        return intent
    return funding_apply_verification(intent_id=intent.pk, verification=funding_verify(intent=intent))


def funding_expire_stale(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Pending intents older than ``WALLET_FUNDING_EXPIRE_HOURS`` (this schema): ask the gateway once more,
    apply a definite answer, else mark them failed (``expired``) and give back their KYC allowance.

    Never expires what the gateway says is paid; a payment verified later still credits (see above).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.WALLET_FUNDING_EXPIRE_HOURS)
    counts = {"succeeded": 0, "failed": 0, "review": 0, FUNDING_EXPIRED: 0}
    stale = FundingIntent.objects.filter(status=FundingStatus.PENDING, created_at__lt=cutoff).order_by("created_at")
    for intent in list(stale[:limit]):
        intent = funding_apply_verification(intent_id=intent.pk, verification=funding_verify(intent=intent))
        if intent.status != FundingStatus.PENDING:
            counts[str(intent.status)] = counts.get(str(intent.status), 0) + 1
            continue
        with transaction.atomic():
            locked = FundingIntent.objects.select_for_update().select_related("user").get(pk=intent.pk)  # lock: subject
            if locked.status != FundingStatus.PENDING:
                continue
            locked.status, locked.failure_reason, locked.completed_at = FundingStatus.FAILED, FUNDING_EXPIRED, now
            kyc_release_spend(user=locked.user, reference=f"funding:{locked.reference}")
            locked.save(update_fields=["status", "failure_reason", "completed_at", "updated_at"])
        counts[FUNDING_EXPIRED] += 1
    if counts[FUNDING_EXPIRED]:
        logger.info("stale funding intents expired", extra={"expired": counts[FUNDING_EXPIRED]})
    return counts


def funding_poll(*, intent_id: int, attempt: int) -> str:
    """What the poll task runs: verify, apply, and schedule the next poll while still pending."""
    from shared_apps.providers.models import Provider

    intent = FundingIntent.objects.filter(pk=intent_id).first()
    if intent is None or not Provider.objects.filter(pk=intent.provider_id).exists():
        return "missing"
    FundingIntent.objects.filter(pk=intent_id).update(polls=intent.polls + 1)
    intent = funding_refresh(intent=intent)
    if intent.status == FundingStatus.PENDING:
        schedule_funding_poll(intent_id=intent_id, attempt=attempt + 1)
    return intent.status
