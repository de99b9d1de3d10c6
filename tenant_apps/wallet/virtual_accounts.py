"""Funding by bank transfer: a dedicated account number per user (Paystack dedicated virtual accounts).

Most Nigerians top up by sending a transfer from their bank app. The user asks for
their account once (``virtual_account_open``: the gateway's customer, then its
dedicated account); from then on every transfer into it is notified by the gateway
(``charge.success`` with channel ``dedicated_nuban``) and handled here:

1. **Signature** (the connector's parser; 401 otherwise, nothing written).
2. **Dedupe** by (gateway, event id): a notification already acted on is answered ``duplicate``.
3. **Lookup, bound to the gateway**: the account is found only among those opened with *this*
   gateway, by *its* customer code; a notification naming anything else is ignored (and a signed
   success recorded for reconciliation, never credited).
4. **Verify** with the gateway (``GET /transaction/verify/:reference``): only a success by transfer
   into exactly this customer's account counts, for the amount the *verification* gives.
5. **Once, in one transaction**: the payment's intent row (``dva_<gateway reference>``, unique) is
   inserted or locked, the KYC tier's single and daily limits are checked (a payment above them is kept
   for review, nothing posted), the wallet is credited (ledger reference unique) **capped by the ledger**
   at the tier's maximum balance, as every gateway funding (``funding_apply_verification``): a transfer
   the wallet has no room for is posted to suspense and waits in review (``balance_limit_exceeded``),
   credited once as soon as it fits (``funding_release_held``: the customer's look at the funding, or
   :func:`virtual_account_sync`); the event is recorded. Racing duplicates wait on the intent row and
   find it final.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from provider_plugins.interfaces.common import (
    OutcomeStatus,
    ProviderError,
    ProviderFault,
    SignatureError,
    UserFixableError,
)
from provider_plugins.interfaces.payments import PaymentVerification
from provider_plugins.interfaces.plugin import Capability
from provider_plugins.interfaces.virtual_accounts import (
    VirtualAccountEvent,
    VirtualAccountPayment,
    VirtualAccountProvider,
    VirtualAccountRequest,
)
from shared_apps.core.errors import ApiError, NotFound
from shared_apps.providers.callbacks import CallbackSource, bound
from shared_apps.providers.messages import user_message
from tenant_apps.accounts.country import current_country
from tenant_apps.kyc.services import KycLimitExceeded
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.risk.gate import MoneyMove, screen
from tenant_apps.risk.models import Flow

from .failures import KYC_REVIEW
from .funding import GatewayError, funding_apply_verification, funding_is_held, funding_release_held
from .gateways import Gateway, GatewayUnavailable, gateway_by_provider_id, gateway_for
from .models import (
    FUNDING_FINAL,
    FundingIntent,
    FundingStatus,
    VirtualAccount,
    VirtualAccountStatus,
    WebhookEvent,
)
from .webhooks import (  # authenticated: where refusals are logged
    UNKNOWN_PAYMENT,
    WebhookResult,
    authenticated,
    record_event,
)

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "dva_"
KYC_REVIEW_REASON = KYC_REVIEW  # over the tier's single or daily limit: kept for a person, nothing posted


class VirtualAccountsUnavailable(ApiError):
    code = "virtual_accounts_unavailable"
    message = gettext_lazy("Bank transfer funding is not available here.")


def _gateway_keys() -> list[str]:
    return list(getattr(settings, "WALLET_VIRTUAL_ACCOUNT_GATEWAYS", {}).get(current_country(), []))


def virtual_account_gateway(key: str = "") -> Gateway:
    """The tenant's dedicated-account gateway (``key`` or the first configured one with a registry row)."""
    keys = [key] if key else _gateway_keys()
    for candidate in keys:
        if candidate not in _gateway_keys():
            break
        try:
            gateway = gateway_for(key=candidate, capability=Capability.PAYMENTS)
        except GatewayUnavailable:
            continue
        if isinstance(gateway.connector, VirtualAccountProvider):
            return gateway
    raise VirtualAccountsUnavailable(fields={"gateway": [f"Choose one of: {', '.join(_gateway_keys()) or '-'}."]}
                                     if key else None)


def virtual_account_of(*, user) -> VirtualAccount | None:
    """The user's live dedicated account (the most recent), if any."""
    return (VirtualAccount.objects.filter(user=user).exclude(status=VirtualAccountStatus.DEACTIVATED)
            .order_by("-created_at").first())


def virtual_account_open(*, user, first_name: str, last_name: str, gateway_key: str = "") -> VirtualAccount:
    """Open (or return) the user's dedicated account. Runs in the caller's transaction (the Idempotency-Key's):
    a gateway fault rolls everything back (502, nothing written)."""
    gateway = virtual_account_gateway(gateway_key)
    if not user.phone:
        raise ApiError(gettext("Add a phone number first."), code="phone_required")
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name or not last_name:
        raise ApiError(gettext("Some fields are invalid."), code="validation_error",
                       fields={"first_name" if not first_name else "last_name": [gettext("Required.")]})
    row, _created = VirtualAccount.objects.select_for_update().get_or_create(  # lock: standalone
        user=user, gateway=gateway.key,
        defaults={"provider_id": gateway.provider.pk, "currency": tenant_currency().code})
    if row.status == VirtualAccountStatus.ACTIVE and row.account_number:
        return row
    try:
        account = gateway.connector.open_virtual_account(VirtualAccountRequest(
            email=user.email, first_name=first_name, last_name=last_name, phone=user.phone,
            reference=str(user.public_id), currency=row.currency), config=gateway.config)
    except UserFixableError as exc:
        raise ApiError(user_message(exc) or gettext("The bank refused these details."), code=exc.code) from None
    except ProviderFault as exc:
        logger.warning("virtual account request failed", extra={"gateway": gateway.key, "code": exc.code})
        raise GatewayError(gettext("The bank could not be reached; nothing was created. Try again.")) from None
    _apply_account(row, account, provider_id=gateway.provider.pk)
    return row


def _apply_account(row: VirtualAccount, account: Any, *, provider_id: int | None = None) -> None:
    row.customer_code = account.customer_code[:64] or row.customer_code
    row.provider_customer_id = account.provider_customer_id[:40] or row.provider_customer_id
    row.provider_account_id = account.provider_account_id[:40] or row.provider_account_id
    row.account_number = account.account_number[:20] or row.account_number
    row.account_name, row.bank_name = account.account_name[:120], account.bank_name[:120]
    row.bank_slug, row.currency = account.bank_slug[:60], (account.currency or row.currency)[:3]
    if provider_id:
        row.provider_id = provider_id
    if not account.active:
        row.status = VirtualAccountStatus.DEACTIVATED
    elif row.account_number and account.assigned:
        row.status, row.failure_reason = VirtualAccountStatus.ACTIVE, ""
    else:
        row.status = VirtualAccountStatus.REQUESTED
    row.save()


def virtual_account_requery(*, account: VirtualAccount) -> None:
    """Ask the gateway to look for transfers it has not notified yet (it sends their webhooks again)."""
    from shared_apps.providers.models import Provider

    if not Provider.objects.filter(pk=account.provider_id).exists():
        raise VirtualAccountsUnavailable()
    gateway = gateway_by_provider_id(provider_id=account.provider_id, capability=Capability.PAYMENTS)
    if not account.account_number or not hasattr(gateway.connector, "requery_virtual_account"):
        return
    try:
        gateway.connector.requery_virtual_account(config=gateway.config, account_number=account.account_number,
                                                  bank_slug=account.bank_slug)
    except ProviderError:
        raise GatewayError(gettext("The bank could not be reached; try again in a moment.")) from None


def virtual_account_release_held(*, account: VirtualAccount) -> list[FundingIntent]:
    """Transfers into this account held over the balance limit (in suspense) that fit now: credited, once."""
    released = []
    for intent in FundingIntent.objects.filter(virtual_account=account).order_by("created_at", "id"):
        if funding_is_held(intent):
            intent = funding_release_held(intent_id=intent.pk)
            if not funding_is_held(intent):
                released.append(intent)
    return released


def virtual_account_sync(*, account: VirtualAccount) -> list[FundingIntent]:
    """Credit transfers whose notification never came: list the customer's successful transfers at the gateway,
    verify each, apply it once (the same path as a webhook, without an event); and transfers held over the
    balance limit that fit now. Never raises for gateway trouble."""
    from shared_apps.providers.models import Provider

    released = virtual_account_release_held(account=account)
    if not account.provider_customer_id or not Provider.objects.filter(pk=account.provider_id).exists():
        return released
    gateway = gateway_by_provider_id(provider_id=account.provider_id, capability=Capability.PAYMENTS)
    if not hasattr(gateway.connector, "virtual_account_payment_references"):
        return []
    try:
        references = gateway.connector.virtual_account_payment_references(
            config=gateway.config, customer_id=account.provider_customer_id)
    except ProviderError as exc:
        logger.warning("dedicated account sync failed", extra={"provider": account.gateway, "code": exc.code})
        return released
    known = set(FundingIntent.objects.filter(virtual_account=account, status__in=FUNDING_FINAL)
                .values_list("provider_reference", flat=True))
    applied = released
    for reference in references:
        if reference in known:
            continue
        payment = gateway.connector.verify_virtual_account_payment(config=gateway.config, reference=reference)
        if payment.status is OutcomeStatus.PENDING:
            continue
        intent = virtual_account_apply_payment(account=account, payment=payment)
        if intent is not None:
            applied.append(intent)
    return applied


# --- notifications ---------------------------------------------------------------------------------------

def _account_for(source: CallbackSource, customer_code: str) -> VirtualAccount | None:
    """Only an account opened with this same gateway (a registry row that authenticated the callback),
    found by that gateway's own customer code."""
    if not customer_code:
        return None
    return bound(VirtualAccount.objects.select_related("user"), source=source, customer_code=customer_code)


def handle_virtual_account_webhook(*, key: str, headers, raw_body: bytes) -> WebhookResult:
    """The callback binding (shared_apps.providers.callbacks): authenticated with each of the gateway's
    registry rows, then an assignment or a payment acted on for an account opened through those rows only."""
    def parse(gateway: Gateway):
        try:
            return gateway.connector.parse_virtual_account_event(headers, raw_body, config=gateway.config)
        except UserFixableError:
            raise ValueError("unreadable") from None
        except ProviderError as exc:
            if exc.code == "bad_signature":
                raise SignatureError(str(exc)) from None
            raise ValueError("unreadable") from None

    event, source, gateway = authenticated(key, Capability.PAYMENTS, parse)
    if event is None:
        return WebhookResult(200, {"status": "ignored"})
    if event.kind == "payment":
        return handle_virtual_account_payment(key=key, event=event, gateway=gateway, source=source)
    return _handle_assignment(key=key, event=event, source=source)


def _handle_assignment(*, key: str, event: VirtualAccountEvent, source: CallbackSource) -> WebhookResult:
    with transaction.atomic():
        # lock: subject
        row = bound(VirtualAccount.objects.select_for_update(), source=source, customer_code=event.customer_code) \
            if event.customer_code else None
        if row is None:
            logger.info("dedicated account event for an unknown customer", extra={"provider": key})
            return WebhookResult(200, {"status": "ignored"})
        if not record_event(provider=key, event_id=event.event_id, event_type=event.raw.get("event", ""),
                            subject=str(row.public_id), outcome=event.kind):
            return WebhookResult(200, {"status": "duplicate"})
        if event.kind == "assigned" and event.account is not None:
            _apply_account(row, event.account)
        elif row.status != VirtualAccountStatus.ACTIVE:
            row.status, row.failure_reason = VirtualAccountStatus.FAILED, "assignment failed at the bank"
            row.save(update_fields=["status", "failure_reason", "updated_at"])
    return WebhookResult(200, {"status": row.status})


def _seen(key: str, event_id: str) -> bool:
    return WebhookEvent.objects.filter(provider=key, event_id=event_id[:200]).exists()


def handle_virtual_account_payment(*, key: str, event: VirtualAccountEvent, gateway: Gateway,
                                   source: CallbackSource) -> WebhookResult:
    """A transfer into a dedicated account: dedupe, lookup bound to the gateway, verify, credit once."""
    if _seen(key, event.event_id):
        return WebhookResult(200, {"status": "duplicate"})
    account = _account_for(source, event.customer_code)
    if account is None or not event.reference:
        # Signed by the gateway, yet for no account of this tenant: keep it for reconciliation, credit nobody.
        record_event(provider=key, event_id=event.event_id, event_type="charge.success",
                     subject=(event.reference or event.customer_code)[:80], outcome=UNKNOWN_PAYMENT)
        logger.warning("dedicated account payment for an unknown account", extra={"provider": key})
        return WebhookResult(200, {"status": "ignored"})
    payment = gateway.connector.verify_virtual_account_payment(config=gateway.config, reference=event.reference)
    if payment.status is OutcomeStatus.PENDING:
        # Not recorded: the gateway will deliver it again (and a requery finds it).
        return WebhookResult(200, {"status": "pending"})
    intent = virtual_account_apply_payment(account=account, payment=payment, event=event)
    if intent is None:
        return WebhookResult(200, {"status": "ignored"})
    return WebhookResult(200, {"status": intent.status, "reference": intent.reference})


def virtual_account_apply_payment(*, account: VirtualAccount, payment: VirtualAccountPayment,
                                  event: VirtualAccountEvent | None = None) -> FundingIntent | None:
    """Turn a *verified* transfer into a credit, once, in one transaction (see the module docstring)."""
    key = account.gateway
    if payment.status is not OutcomeStatus.SUCCESS or not payment.matches_account(
            customer_code=account.customer_code, account_number=account.account_number):
        logger.warning("dedicated account payment not credited: verification does not match the account",
                       extra={"provider": key, "status": payment.status.value, "account": str(account.public_id)})
        if event is not None:
            record_event(provider=key, event_id=event.event_id, event_type="charge.success",
                         subject=payment.reference[:80], outcome="not_verified")
        return None
    if payment.amount_minor is None or payment.amount_minor <= 0:
        return None
    reference = f"{REFERENCE_PREFIX}{payment.reference}"[:80]
    currency = (payment.currency or account.currency).upper()
    with transaction.atomic():
        FundingIntent.objects.bulk_create([FundingIntent(
            user_id=account.user_id, gateway=key, provider_id=account.provider_id, reference=reference,
            amount_minor=payment.amount_minor, currency=currency, provider_reference=payment.reference[:200],
            virtual_account=account)], ignore_conflicts=True)  # a racing twin's insert waits, then is skipped
        # lock: subject
        intent = FundingIntent.objects.select_for_update().select_related("user").get(reference=reference)
        if intent.virtual_account_id != account.pk:  # our prefix makes this impossible; refuse rather than guess
            logger.error("dedicated account payment reference clash", extra={"reference": reference})
            return None
        if intent.status not in FUNDING_FINAL:
            if not _within_kyc_limits(intent):
                intent.status, intent.failure_reason = FundingStatus.REVIEW, KYC_REVIEW_REASON
                intent.verified_amount_minor, intent.verified_currency = payment.amount_minor, currency
                intent.provider_transaction_id = payment.provider_id[:100]
                intent.completed_at = timezone.now()
                intent.save()
                logger.warning("dedicated account payment above the KYC tier: kept for review",
                               extra={"provider": key, "intent": intent.reference, "reason": KYC_REVIEW_REASON})
            else:
                # Capped in the ledger (fund_wallet(capped=True)): past the tier's maximum balance the money goes
                # to suspense and the intent waits in review until it fits (funding_release_held), never lost.
                intent = funding_apply_verification(intent_id=intent.pk, verification=PaymentVerification(
                    status=OutcomeStatus.SUCCESS, reference=payment.reference, amount_minor=payment.amount_minor,
                    currency=currency, provider_id=payment.provider_id, paid_at=payment.paid_at,
                    channel=payment.channel, provider_status=payment.provider_status))
        if event is not None:
            record_event(provider=key, event_id=event.event_id, event_type="charge.success",
                         subject=intent.reference, outcome=intent.status)
    return intent


def _within_kyc_limits(intent: FundingIntent) -> bool:
    """Count the transfer against the tier's single and daily limits (False: over them, a person decides).

    The tier's maximum balance is not checked here: the ledger enforces it on the credit itself, under the
    wallet's row lock (``fund_wallet(capped=True)`` in ``funding_apply_verification``)."""
    try:
        # The risk gate records the transfer (money already arrived: never refused) with its KYC reservation.
        screen(MoneyMove(flow=Flow.FUNDING, user=intent.user, amount_minor=intent.amount_minor,
                         currency=intent.currency, reference=f"funding:{intent.reference}", subject_type="funding",
                         subject_id=str(intent.public_id), evaluate=False))
    except KycLimitExceeded:
        return False
    return True


def virtual_account_for_api(*, user, public_id=None) -> VirtualAccount:
    account = virtual_account_of(user=user)
    if account is None or (public_id is not None and account.public_id != public_id):
        raise NotFound(gettext("You have no bank account for transfers yet."), code="no_virtual_account")
    return account
