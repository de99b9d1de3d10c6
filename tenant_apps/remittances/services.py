"""Cross-border remittances: quotes, acceptance, and the steps that move the money across schemas.

The only writes of this app; money moves through ``tenant_apps.ledger.services`` in the tenants and through
``shared_apps.remittance_hub.services`` in the public schema. The flow (docs/remittances.md):

1. ``quote_create`` (sender tenant, no transaction): the rate from the rate-source plugin, the corridor's
   margin and fee, and the sanctions screening of both names (network calls, never inside a money
   transaction). The figures are locked until the quote expires.
2. ``remittance_accept`` (sender tenant, the request's idempotent transaction): the risk gate (KYC tier
   limits and rules) and the whole amount on hold in the sender's wallet (the PIN gate vets that debit).
   A screening match, or a risk hold, leaves it ``held_for_review``: nothing leaves the tenant until staff
   release it. Otherwise the advance task is enqueued on commit.
3. ``remittance_advance`` (a task, no transaction around it): each step one local transaction, once per
   (remittance, step) by a unique key, so a worker dying anywhere (between the schemas too) and the sweeper
   running the remittance again never move money twice:

   * ``debit`` (sender): the hold settled, fee -> fees, principal -> remittance_clearing;
   * hub ``in``: sender position -> corridor clearing;
   * receiver ``credit`` (remittance_clearing -> the recipient's wallet, capped by the KYC tier's maximum
     balance) or ``payout`` (remittance_clearing -> a holder account, then the wallet app's payout state
     machine: hold, rail, settle / release); ``return`` when a payout definitely failed;
   * hub ``out`` (clearing -> FX -> receiver position) or hub ``refund`` (clearing -> sender position);
   * sender ``refund``: remittance_clearing and fees -> the sender's wallet (the whole amount sent).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from countries.errors import CountryError
from countries.phone import parse_phone, to_e164
from provider_plugins.interfaces.sanctions import ScreeningSubject
from shared_apps.core.enqueue import enqueue
from shared_apps.core.errors import ApiError, Forbidden
from shared_apps.remittance_hub import services as hub
from tenant_apps.accounts.country import current_country
from tenant_apps.accounts.selectors import users_paid_by_phone
from tenant_apps.audit.services import audit_record
from tenant_apps.kyc.services import kyc_release_spend
from tenant_apps.ledger.currency import currency_for_country, minor_unit
from tenant_apps.ledger.errors import BalanceLimitExceeded
from tenant_apps.ledger.models import AccountKind, Hold
from tenant_apps.ledger.services import (
    Line,
    Split,
    holder_account,
    place_hold,
    post_entry,
    release_hold,
    settle_hold,
    system_account,
    wallet_for,
)
from tenant_apps.risk.gate import MoneyMove, screen
from tenant_apps.risk.models import Flow
from tenant_apps.wallet.failures import REVIEW_REFUSED
from tenant_apps.wallet.operation_rails import operation_rails_here
from tenants.connection import current_schema

from . import fx
from .errors import (
    AmountOutOfRange,
    CorridorUnavailable,
    QuoteExpired,
    QuoteNotFound,
    QuoteUsed,
    ReviewClosed,
    StepRefused,
    amount_too_small,
)
from .models import (
    REMITTANCE_FINAL,
    REMITTANCE_MOVING,
    Corridor,
    InboundRemittance,
    InboundStatus,
    Method,
    Quote,
    Remittance,
    RemittanceStatus,
    RemittanceStep,
    ScreeningStatus,
)
from .outside_checks import mid_rate, screen_names
from .rails import payout_reaches, payout_step, payouts_offered

logger = logging.getLogger(__name__)
T = TypeVar("T")

ENTRY_TYPE = "remittance"
# Audit actions (strings: tenant_apps.audit's choices list them once merged, see docs/remittances.md).
AUDIT_CORRIDOR_CHANGED = "remittance_corridor_changed"
AUDIT_RELEASED = "remittance_released"
AUDIT_REJECTED = "remittance_rejected"
AUDIT_HELD = "remittance_held"

FLOW_FOR_METHOD: dict[str, Flow] = {Method.WALLET: Flow.P2P, Method.MOBILE_MONEY: Flow.WALLET_PAYOUT,
                                     Method.BANK: Flow.BANK_PAYOUT}


# --- where things run --------------------------------------------------------------------------------------

def _in_schema(schema: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` with the connection on ``schema`` (its own cluster); never inside an open transaction."""
    if connection.in_atomic_block and not getattr(settings, "REMITTANCE_ALLOW_NESTED_SCHEMAS", False):
        raise RuntimeError("a remittance step crosses schemas only outside a transaction")
    with schema_context(schema):
        return fn()


def _checkpoint(step: str) -> None:
    """After a step's commit. Tests start a worker that sleeps here (``REMITTANCE_PAUSE_AFTER``) to kill it
    between two schemas; unset in production."""
    pause = getattr(settings, "REMITTANCE_PAUSE_AFTER", "")
    if pause and pause == step:
        logger.warning("remittance paused after a step (test hook)", extra={"step": step})
        time.sleep(60)


def destination_schema(country: str) -> str:
    """The country operation serving ``country`` (public schema read)."""
    from tenants.models import Tenant, TenantKind, TenantStatus

    def find() -> str | None:
        return (Tenant.objects.filter(kind=TenantKind.COUNTRY_OPERATION, country=country.upper(),
                                      status=TenantStatus.ACTIVE).order_by("created_at")
                .values_list("schema_name", flat=True).first())

    schema = find()
    if schema is None:
        raise CorridorUnavailable(fields={"destination_country": [str(CorridorUnavailable.message)]})
    return schema


# --- corridors (the operator) ------------------------------------------------------------------------------

def corridor_update(*, actor, destination_country: str, margin_bps: int, fee_bps: int, fee_fixed_minor: int,
                    active: bool = True, min_send_minor: int = 100, max_send_minor: int | None = None,
                    request: Any = None) -> Corridor:
    """Open or change a corridor (audited). Quotes already given keep their figures until they expire."""
    country = destination_country.upper()
    if country == current_country():
        raise ApiError(gettext("A remittance goes to another country."), code="same_country",
                       fields={"destination_country": [gettext("That is this country.")]})
    destination_schema(country)
    for name, value, top in (("margin_bps", margin_bps, 5000), ("fee_bps", fee_bps, 5000)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < top:
            raise ApiError(code="invalid_corridor",
                           fields={name: [gettext("Between 0 and %(top)s basis points.") % {"top": top - 1}]})
    if fee_fixed_minor < 0 or min_send_minor <= 0 or (max_send_minor is not None and max_send_minor < min_send_minor):
        raise ApiError(code="invalid_corridor", fields={"fee_fixed": [gettext("Check the fixed fee and the limits.")]})
    with transaction.atomic():
        # lock: standalone
        corridor, _created = Corridor.objects.select_for_update().get_or_create(destination_country=country)
        before = {"margin_bps": corridor.margin_bps, "fee_bps": corridor.fee_bps,
                  "fee_fixed_minor": corridor.fee_fixed_minor, "active": corridor.active}
        corridor.margin_bps, corridor.fee_bps, corridor.fee_fixed_minor = margin_bps, fee_bps, fee_fixed_minor
        corridor.active, corridor.min_send_minor, corridor.max_send_minor = active, min_send_minor, max_send_minor
        corridor.save()
        audit_record(action=AUDIT_CORRIDOR_CHANGED, request=request, actor=actor, subject_type="corridor",
                     subject_id=country, details={"before": before, "after": {
                         "margin_bps": margin_bps, "fee_bps": fee_bps, "fee_fixed_minor": fee_fixed_minor,
                         "active": active}})
    return corridor


# --- quotes -----------------------------------------------------------------------------------------------

def _recipient_phone(raw: str, country: str) -> str:
    try:
        return to_e164(parse_phone(raw, country=country))
    except CountryError as exc:
        raise ApiError(str(exc.message) if hasattr(exc, "message") else None, code=exc.code,
                       fields={"recipient_phone": [str(getattr(exc, "message", exc.code))]}) from None


def quote_create(*, user, destination_country: str, send_minor: int, method: str, sender_name: str,
                 recipient_name: str, recipient_phone: str = "", rail: str = "", bank_code: str = "",
                 account_number: str = "", now: datetime | None = None) -> Quote:
    """Price a remittance and screen both names; nothing is held. Network calls: never in a transaction.
    Not from a reseller brand (403 ``not_on_reseller_brand``: the destination pays out of the operation's
    partners what the brand's own books hold, wallet.operation_rails)."""
    operation_rails_here()
    country = current_country()
    destination = destination_country.upper()
    if destination == country:
        raise ApiError(gettext("A remittance goes to another country; use a transfer."), code="same_country",
                       fields={"destination_country": [gettext("That is this country.")]})
    corridor = Corridor.objects.filter(destination_country=destination, active=True).first()
    if corridor is None:
        raise CorridorUnavailable(fields={"destination_country": [str(CorridorUnavailable.message)]})
    schema = destination_schema(destination)
    if corridor.max_send_minor and send_minor > corridor.max_send_minor:
        raise AmountOutOfRange(fields={"amount": [str(AmountOutOfRange.message)]})
    send_currency = currency_for_country(country).code
    if send_minor < corridor.smallest_send_minor:
        raise amount_too_small(destination=destination, smallest_minor=corridor.smallest_send_minor,
                               currency=send_currency)
    if method not in Method.values:
        raise ApiError(code="invalid_method",
                       fields={"method": [gettext("One of %(choices)s.") % {"choices": ", ".join(Method.values)}]})
    payouts_offered(destination=destination, method=method)
    phone = ""
    if method in (Method.WALLET, Method.MOBILE_MONEY):
        phone = _recipient_phone(recipient_phone, destination)
    elif not (bank_code.isalnum() and 2 <= len(bank_code) <= 20 and account_number.isdigit()
              and 6 <= len(account_number) <= 20):
        raise ApiError(code="invalid_account",
                       fields={"account_number": [gettext("Give the bank code and account number.")]})
    receive_currency = currency_for_country(destination).code
    mid, source = mid_rate(base=send_currency, quote=receive_currency)
    step = payout_step(destination=destination, rail=rail, currency=receive_currency) \
        if method == Method.MOBILE_MONEY else 1
    try:
        # The smallest amount that arrives at this rate: one minor unit (the rail's step for mobile money).
        smallest = max(corridor.smallest_send_minor, fx.smallest_send(
            fee_bps=corridor.fee_bps, fee_fixed_minor=corridor.fee_fixed_minor,
            principal_minor=fx.smallest_principal(
                rate_e9=fx.customer_rate(mid_rate_e9=mid, margin_bps=corridor.margin_bps), receive_minor=step,
                send_exponent=minor_unit(send_currency), receive_exponent=minor_unit(receive_currency))))
        if send_minor < smallest:
            raise amount_too_small(destination=destination, smallest_minor=smallest, currency=send_currency)
        figures = fx.figures(send_minor=send_minor, mid_rate_e9=mid, margin_bps=corridor.margin_bps,
                             fee_bps=corridor.fee_bps, fee_fixed_minor=corridor.fee_fixed_minor,
                             send_exponent=minor_unit(send_currency), receive_exponent=minor_unit(receive_currency))
    except fx.FxArithmeticError:
        raise AmountOutOfRange(gettext("This amount does not cover the fee."),
                               fields={"amount": [gettext("Too small.")]}) from None
    if method == Method.MOBILE_MONEY:  # what the destination's rail can pay: rounded down to its step
        payout_reaches(destination=destination, rail=rail, phone=phone)
        receive = figures.receive_minor - figures.receive_minor % step
        if receive <= 0:
            raise AmountOutOfRange(gettext("This amount converts to less than the rail pays."),
                                   fields={"amount": [gettext("Too small.")]})
        figures = replace(figures, receive_minor=receive)
    matches = screen_names(subjects=[ScreeningSubject(key="sender", name=sender_name, country=country),
                                     ScreeningSubject(key="recipient", name=recipient_name, country=destination)])
    now = now or timezone.now()
    return Quote.objects.create(
        user=user, destination_country=destination, destination_schema=schema, method=method,
        send_currency=send_currency, receive_currency=receive_currency, send_minor=figures.send_minor,
        fee_minor=figures.fee_minor, principal_minor=figures.principal_minor, mid_rate_e9=figures.mid_rate_e9,
        rate_e9=figures.rate_e9, margin_bps=corridor.margin_bps, receive_minor=figures.receive_minor,
        recipient_name=recipient_name[:120], recipient_phone=phone, recipient_rail=rail[:40],
        recipient_bank_code=bank_code if method == Method.BANK else "",
        recipient_account=account_number if method == Method.BANK else "", rate_source=source,
        screening=ScreeningStatus.HIT if matches else ScreeningStatus.CLEAR, screening_matches=matches,
        created_at=now, expires_at=now + timedelta(seconds=settings.REMITTANCE_QUOTE_TTL_SECONDS))


# --- accepting ---------------------------------------------------------------------------------------------

def _mask(value: str) -> str:
    return value[:4] + "*" * max(len(value) - 7, 0) + value[-3:] if len(value) > 7 else "***"


def remittance_accept(*, user, quote_id: uuid.UUID | str, now: datetime | None = None) -> Remittance:
    """Accept a quote: risk gate, the whole amount on hold; sent after commit unless held for review.

    Runs in the caller's transaction (``@idempotent``: the request's key, the PIN gate over the hold).
    """
    operation_rails_here()  # a quote given before the rule (wallet.operation_rails)
    now = now or timezone.now()
    with transaction.atomic():
        quote = Quote.objects.select_for_update().filter(public_id=quote_id, user=user).first()  # lock: subject
        if quote is None:
            raise QuoteNotFound(fields={"quote": [str(QuoteNotFound.message)]})
        if Remittance.objects.filter(quote=quote).exists():
            raise QuoteUsed()
        if quote.expires_at <= now:
            raise QuoteExpired(fields={"quote": [str(QuoteExpired.message)]})
        if not Corridor.objects.filter(destination_country=quote.destination_country, active=True).exists():
            raise CorridorUnavailable()
        if destination_schema(quote.destination_country) != quote.destination_schema:  # suspended since the quote
            raise CorridorUnavailable(fields={"quote": [str(CorridorUnavailable.message)]})
        public_id = uuid.uuid4()
        recipient = quote.recipient_phone or f"bank:{quote.recipient_bank_code}:{quote.recipient_account}"
        screening = screen(MoneyMove(
            flow=FLOW_FOR_METHOD[quote.method], user=user, amount_minor=quote.send_minor,
            currency=quote.send_currency, reference=f"remittance:{public_id}",
            recipient=f"remit:{quote.destination_country}:{recipient}", recipient_label=_mask(recipient),
            subject_type="remittance", subject_id=str(public_id)))
        hold = place_hold(wallet=wallet_for(user=user, currency=quote.send_currency), amount=quote.send_minor,
                          reference=f"remit:{public_id}", metadata={"remittance": str(public_id)})
        review = "sanctions" if quote.screening == ScreeningStatus.HIT else "risk" if screening.held else ""
        remittance = Remittance.objects.create(
            public_id=public_id, quote=quote, sender=user, destination_country=quote.destination_country,
            destination_schema=quote.destination_schema, method=quote.method, send_currency=quote.send_currency,
            receive_currency=quote.receive_currency, send_minor=quote.send_minor, fee_minor=quote.fee_minor,
            principal_minor=quote.principal_minor, rate_e9=quote.rate_e9, receive_minor=quote.receive_minor,
            recipient_name=quote.recipient_name, recipient_phone=quote.recipient_phone,
            recipient_rail=quote.recipient_rail, recipient_bank_code=quote.recipient_bank_code,
            recipient_account=quote.recipient_account, hold=hold, review_reason=review,
            status=RemittanceStatus.HELD_FOR_REVIEW if review else RemittanceStatus.ACCEPTED)
        if review:
            audit_record(action=AUDIT_HELD, actor=user, subject_type="remittance", subject_id=str(public_id),
                         details={"reason": review, "matches": quote.screening_matches})
        else:
            transaction.on_commit(lambda: enqueue_advance(public_id=public_id))
    return remittance


def enqueue_advance(*, public_id: uuid.UUID | str, countdown: int = 0) -> None:
    enqueue("remittances.advance", str(public_id), countdown=countdown)


# --- review (staff) ----------------------------------------------------------------------------------------

def _close_risk_decision(row: Remittance, *, actor, release: bool, note: str) -> None:
    """A risk-rule hold is reviewed here (the risk queue cannot send a remittance): its decision leaves the
    risk queue with the same verdict."""
    from tenant_apps.risk.models import ReviewStatus, RiskDecision

    RiskDecision.objects.filter(subject_type="remittance", subject_id=str(row.public_id),
                                review_status=ReviewStatus.PENDING).update(
        review_status=ReviewStatus.RELEASED if release else ReviewStatus.REJECTED, reviewed_by=actor,
        reviewed_at=timezone.now(), review_note=note[:200])


def _not_own(remittance: Remittance, *, actor) -> None:
    """Nobody reviews their own remittance (as KYC and business reviews): a staff member whose own remittance
    was held for a sanctions match or a risk rule released it to themselves."""
    if remittance.sender_id == actor.pk:
        raise Forbidden(gettext("You cannot review your own remittance."), code="own_submission")


def remittance_release(*, actor, remittance: Remittance, note: str = "", request: Any = None) -> Remittance:
    """Staff found no true match: send it (the advance task after commit). Audited. Never one's own."""
    _not_own(remittance, actor=actor)
    with transaction.atomic():
        row = Remittance.objects.select_for_update().get(pk=remittance.pk)  # lock: subject
        if row.status != RemittanceStatus.HELD_FOR_REVIEW:
            raise ReviewClosed()
        row.status = RemittanceStatus.ACCEPTED
        row.save(update_fields=["status", "updated_at"])
        _close_risk_decision(row, actor=actor, release=True, note=note)
        audit_record(action=AUDIT_RELEASED, request=request, actor=actor, subject_type="remittance",
                     subject_id=str(row.public_id), details={"reason": row.review_reason, "note": note[:200]})
        transaction.on_commit(lambda: enqueue_advance(public_id=row.public_id))
    return row


def remittance_reject(*, actor, remittance: Remittance, note: str = "", request: Any = None) -> Remittance:
    """Staff confirmed the match (or refuse it): the hold goes back to the sender, never sent. Audited. Never
    one's own."""
    _not_own(remittance, actor=actor)
    with transaction.atomic():
        # lock: subject
        row = Remittance.objects.select_for_update().select_related("hold", "sender").get(pk=remittance.pk)
        if row.status != RemittanceStatus.HELD_FOR_REVIEW:
            raise ReviewClosed()
        release_hold(hold=row.hold, metadata={"remittance": str(row.public_id), "reason": "rejected"})
        kyc_release_spend(user=row.sender, reference=f"remittance:{row.public_id}")
        row.status, row.completed_at = RemittanceStatus.REFUNDED, timezone.now()
        row.failure_reason = f"{REVIEW_REFUSED}: {note}"[:255] if note else REVIEW_REFUSED
        row.save(update_fields=["status", "completed_at", "failure_reason", "updated_at"])
        _close_risk_decision(row, actor=actor, release=False, note=note)
        audit_record(action=AUDIT_REJECTED, request=request, actor=actor, subject_type="remittance",
                     subject_id=str(row.public_id), details={"reason": row.review_reason, "note": note[:200]})
    _notify_sender(row)
    return row


# --- the steps ---------------------------------------------------------------------------------------------

def _step_done(public_id: uuid.UUID, step: str) -> bool:
    return RemittanceStep.objects.filter(remittance_id=public_id, step=step).exists()


def _mark(public_id: uuid.UUID, step: str, entry=None) -> None:
    RemittanceStep.objects.create(remittance_id=public_id, step=step, entry=entry)


def _sender_debit(remittance: Remittance) -> None:
    """Sender step ``debit``: the hold settled (fee -> fees, principal -> remittance_clearing), once."""
    with transaction.atomic():
        row = Remittance.objects.select_for_update().select_related("hold").get(pk=remittance.pk)  # lock: subject
        if _step_done(row.public_id, "debit"):
            return
        if row.status != RemittanceStatus.ACCEPTED:
            return
        currency = row.send_currency
        splits = [Split(system_account(kind=AccountKind.REMITTANCE_CLEARING, currency=currency), row.principal_minor)]
        if row.fee_minor:
            splits.append(Split(system_account(kind=AccountKind.FEES, currency=currency), row.fee_minor))
        hold = settle_hold(hold=row.hold, splits=splits, metadata={"remittance": str(row.public_id), "step": "debit"})
        _mark(row.public_id, "debit", entry=hold.close_entry)
        row.status = RemittanceStatus.IN_TRANSIT
        row.save(update_fields=["status", "updated_at"])


def _sender_refund(remittance: Remittance, reason: str) -> None:
    """Sender step ``refund``: the whole amount back (principal from remittance_clearing, the fee from fees)."""
    with transaction.atomic():
        row = Remittance.objects.select_for_update().select_related("sender").get(pk=remittance.pk)  # lock: subject
        if _step_done(row.public_id, "refund"):
            return
        currency = row.send_currency
        lines = [Line(system_account(kind=AccountKind.REMITTANCE_CLEARING, currency=currency), -row.principal_minor),
                 Line(wallet_for(user=row.sender, currency=currency), row.send_minor)]
        if row.fee_minor:
            lines.append(Line(system_account(kind=AccountKind.FEES, currency=currency), -row.fee_minor))
        entry = post_entry(entry_type=ENTRY_TYPE, reference=f"remit:{row.public_id}:refund", lines=lines,
                           metadata={"remittance": str(row.public_id), "reason": reason[:120]})
        _mark(row.public_id, "refund", entry=entry)
        kyc_release_spend(user=row.sender, reference=f"remittance:{row.public_id}")
        row.status, row.completed_at, row.failure_reason = RemittanceStatus.REFUNDED, timezone.now(), reason[:255]
        row.save(update_fields=["status", "completed_at", "failure_reason", "updated_at"])
    _notify_sender(row)


def _sender_finish(remittance: Remittance, status: str) -> None:
    with transaction.atomic():
        row = Remittance.objects.select_for_update().get(pk=remittance.pk)  # lock: subject
        if row.status in REMITTANCE_FINAL:
            return
        row.status, row.completed_at = status, timezone.now()
        row.save(update_fields=["status", "completed_at", "updated_at"])
    _notify_sender(row)


def _hub_accept(row: Remittance, sender_schema: str, sender_country: str) -> None:
    recipient = {"name": row.recipient_name, "phone": row.recipient_phone, "rail": row.recipient_rail,
                 "bank_code": row.recipient_bank_code, "account_number": row.recipient_account}
    hub.hub_accept(public_id=row.public_id, sender_schema=sender_schema, receiver_schema=row.destination_schema,
                   send_country=sender_country, receive_country=row.destination_country,
                   send_currency=row.send_currency, receive_currency=row.receive_currency,
                   principal_minor=row.principal_minor, receive_minor=row.receive_minor, rate_e9=row.rate_e9,
                   method=row.method, recipient=recipient)


def remittance_advance(*, public_id: uuid.UUID | str) -> str:
    """Run every step not done yet, in order; return the sender-side status. Safe to run any number of
    times, concurrently too (each step locks its row and checks its unique key). Outside any transaction."""
    sender_schema = current_schema()
    sender_country = current_country()
    row = Remittance.objects.filter(public_id=public_id).first()
    if row is None or row.status in REMITTANCE_FINAL or row.status == RemittanceStatus.HELD_FOR_REVIEW:
        return row.status if row else "missing"
    Remittance.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, updated_at=timezone.now())
    _sender_debit(row)
    row.refresh_from_db()
    if row.status in REMITTANCE_FINAL:
        return row.status
    _checkpoint("debit")
    _in_schema("public", lambda: _hub_accept(row, sender_schema, sender_country))
    _checkpoint("hub_in")
    outcome = _in_schema(row.destination_schema, lambda: receive(public_id=row.public_id))
    _checkpoint("receiver")
    if outcome.status == InboundStatus.PAYING_OUT:
        return RemittanceStatus.IN_TRANSIT  # the rail's answer is pending (the wallet app polls it)
    if outcome.status in (InboundStatus.CREDITED, InboundStatus.PAID_OUT):
        _in_schema("public", lambda: hub.hub_settle(public_id=row.public_id))
        _sender_finish(row, RemittanceStatus.CREDITED if outcome.status == InboundStatus.CREDITED
                       else RemittanceStatus.PAID_OUT)
    else:
        _in_schema("public", lambda: hub.hub_refund(public_id=row.public_id))
        _checkpoint("hub_refund")
        _sender_refund(row, outcome.failure_reason or "The recipient could not be paid.")
    row.refresh_from_db()
    return row.status


# --- the receiving tenant ----------------------------------------------------------------------------------

def _remittance_system_user():
    """The payout's ``sender`` in the receiving tenant (the wallet app's payouts name a user): an inactive
    system account that cannot sign in."""
    from tenant_apps.accounts.models import User

    user = User.objects.filter(email="remittances@system.invalid").first()
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email="remittances@system.invalid", is_active=False)
        except IntegrityError:
            user = User.objects.get(email="remittances@system.invalid")
    return user


def receive(*, public_id: uuid.UUID | str) -> InboundRemittance:
    """The receiving tenant's step(s), run in ITS schema. Figures come from the hub's row for this tenant only
    (a forged or misrouted id: 404 ``remittance_not_at_hub``). Returns the inbound row (created once)."""
    schema = current_schema()
    public_id = uuid.UUID(str(public_id))
    existing = InboundRemittance.objects.filter(public_id=public_id).first()
    if existing is not None and existing.status != InboundStatus.PAYING_OUT:
        return existing
    try:
        transfer_row = hub.hub_transfer_for_receiver(public_id=public_id, receiver_schema=schema)
    except hub.UnknownHubTransfer:
        raise StepRefused() from None
    if existing is not None:
        return _payout_progress(existing)
    if _suspended(schema):  # an operator suspended since the quote: nobody could use the money here
        with transaction.atomic():
            _lock_remittance(transfer_row.public_id)
            if InboundRemittance.objects.filter(public_id=transfer_row.public_id).exists():
                return InboundRemittance.objects.get(public_id=transfer_row.public_id)
            return _inbound(transfer_row, status=InboundStatus.RETURNED,
                            failure_reason="The destination operator is suspended.")
    if transfer_row.method == Method.WALLET:
        return _credit_wallet(transfer_row)
    return _start_payout(transfer_row)


def _suspended(schema: str) -> bool:
    from tenants.selectors import tenant_is_suspended

    return tenant_is_suspended(schema_name=schema)


def _lock_remittance(public_id: uuid.UUID) -> None:
    """Serialise this schema's receiver steps of one remittance (a sweeper and a late task racing): the second
    waits, then finds the first one's row. Transaction-scoped advisory lock, keyed by schema and id."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",  # lock: subject
                       [f"{current_schema()}:remittance:{public_id}"])


def _inbound(transfer_row, **fields) -> InboundRemittance:
    return InboundRemittance.objects.create(
        public_id=transfer_row.public_id, sender_schema=transfer_row.sender_schema,
        sender_country=transfer_row.corridor[:2], method=transfer_row.method,
        recipient_name=transfer_row.recipient.get("name", "")[:120],
        recipient_phone=transfer_row.recipient.get("phone", "")[:20], amount_minor=transfer_row.receive_minor,
        currency=transfer_row.receive_currency, **fields)


def _credit_wallet(transfer_row) -> InboundRemittance:
    """Receiver step ``credit``: remittance_clearing -> the recipient's wallet, under the KYC tier's maximum
    balance; a recipient who has no wallet here, or cannot receive it, gets nothing (the sender is refunded)."""

    recipient = users_paid_by_phone(phone=transfer_row.recipient.get("phone") or "").filter(role="customer").first()
    currency = transfer_row.receive_currency
    with transaction.atomic():
        _lock_remittance(transfer_row.public_id)
        if InboundRemittance.objects.filter(public_id=transfer_row.public_id).exists():
            return InboundRemittance.objects.get(public_id=transfer_row.public_id)
        if recipient is None:
            return _inbound(transfer_row, status=InboundStatus.RETURNED,
                            failure_reason="No NexusTop wallet has this phone number in the destination country.")
        try:
            with transaction.atomic():
                entry = post_entry(
                    entry_type=ENTRY_TYPE, reference=f"remit:{transfer_row.public_id}:credit",
                    lines=[Line(system_account(kind=AccountKind.REMITTANCE_CLEARING, currency=currency),
                                -transfer_row.receive_minor),
                           Line(wallet := wallet_for(user=recipient, currency=currency), transfer_row.receive_minor,
                                ceiling=_ceiling(wallet))],
                    metadata={"remittance": str(transfer_row.public_id), "from": transfer_row.sender_schema})
        except BalanceLimitExceeded:
            return _inbound(transfer_row, recipient=recipient, status=InboundStatus.RETURNED,
                            failure_reason="The recipient's wallet cannot receive this amount (verification level).")
        _mark(transfer_row.public_id, "credit", entry=entry)
        inbound = _inbound(transfer_row, recipient=recipient, status=InboundStatus.CREDITED)
    _notify_recipient(inbound)
    return inbound


def _ceiling(wallet) -> int | None:
    from tenant_apps.ledger.services import balance_ceiling

    return balance_ceiling(wallet)


def _start_payout(transfer_row) -> InboundRemittance:
    """Receiver step ``payout``: the recipient checked at the rail (network call, before the transaction),
    then remittance_clearing -> the remittance's holder account and the wallet app's payout from it."""
    from tenant_apps.wallet.gateways import GatewayError, default_payout_gateway
    from tenant_apps.wallet.transfers import name_enquiry, payout_from_account, wallet_name_check

    info = transfer_row.recipient
    try:
        if transfer_row.method == Method.MOBILE_MONEY:
            gateway, holder = wallet_name_check(phone=info.get("phone", ""), rail=info.get("rail", ""))
            msisdn, account_name = holder.msisdn, holder.name or info.get("name", "")
        else:
            gateway = default_payout_gateway()
            account_name = name_enquiry(bank_code=info.get("bank_code", ""),
                                        account_number=info.get("account_number", "")).account_name
            msisdn = ""
    except GatewayError:
        raise  # the rail could not be reached: nothing written, the sweeper tries again
    except ApiError as exc:  # no such wallet / account, no rail for it: definite
        with transaction.atomic():
            _lock_remittance(transfer_row.public_id)
            if InboundRemittance.objects.filter(public_id=transfer_row.public_id).exists():
                return InboundRemittance.objects.get(public_id=transfer_row.public_id)
            return _inbound(transfer_row, status=InboundStatus.RETURNED,
                            failure_reason=f"The payout account was refused ({exc.code}).")
    currency = transfer_row.receive_currency
    with transaction.atomic():
        _lock_remittance(transfer_row.public_id)
        if InboundRemittance.objects.filter(public_id=transfer_row.public_id).exists():
            return InboundRemittance.objects.get(public_id=transfer_row.public_id)
        account = holder_account(kind=AccountKind.REMITTANCE, holder=f"remittance:{transfer_row.public_id}",
                                 currency=currency)
        entry = post_entry(entry_type=ENTRY_TYPE, reference=f"remit:{transfer_row.public_id}:payout",
                           lines=[Line(system_account(kind=AccountKind.REMITTANCE_CLEARING, currency=currency),
                                       -transfer_row.receive_minor),
                                  Line(account, transfer_row.receive_minor)],
                           metadata={"remittance": str(transfer_row.public_id), "from": transfer_row.sender_schema})
        _mark(transfer_row.public_id, "payout", entry=entry)
        transfer = payout_from_account(
            account=account, sender=_remittance_system_user(), amount_minor=transfer_row.receive_minor,
            reference=f"rm_{transfer_row.public_id.hex}", gateway=gateway, bank_code=info.get("bank_code", ""),
            account_number=info.get("account_number", ""), account_name=account_name, msisdn=msisdn,
            metadata={"remittance": str(transfer_row.public_id)})
        return _inbound(transfer_row, status=InboundStatus.PAYING_OUT, transfer=transfer)


def _payout_progress(inbound: InboundRemittance) -> InboundRemittance:
    """A payout under way: succeeded -> paid out; failed or reversed (money back on the holder account) ->
    receiver step ``return`` (holder -> remittance_clearing); pending -> unchanged (the wallet app polls)."""
    from tenant_apps.wallet.models import Transfer, TransferStatus

    assert inbound.transfer_id is not None  # a payout under way has its transfer
    transfer = Transfer.objects.get(pk=inbound.transfer_id)
    if transfer.status in (TransferStatus.PENDING, TransferStatus.HELD):
        return inbound
    with transaction.atomic():
        row = InboundRemittance.objects.select_for_update().get(pk=inbound.pk)  # lock: subject
        if row.status != InboundStatus.PAYING_OUT:
            return row
        if transfer.status == TransferStatus.SUCCEEDED:
            row.status = InboundStatus.PAID_OUT
        else:
            assert transfer.hold_id is not None  # a payout holds the holder account's money
            hold = Hold.objects.select_related("wallet").get(pk=transfer.hold_id)
            entry = post_entry(entry_type=ENTRY_TYPE, reference=f"remit:{row.public_id}:return",
                               lines=[Line(hold.wallet, -row.amount_minor),
                                      Line(system_account(kind=AccountKind.REMITTANCE_CLEARING,
                                                          currency=row.currency), row.amount_minor)],
                               metadata={"remittance": str(row.public_id), "payout": transfer.reference})
            _mark(row.public_id, "return", entry=entry)
            row.status = InboundStatus.RETURNED
            row.failure_reason = f"The payout failed at the rail ({transfer.provider_status or transfer.status})."[:255]
        row.save(update_fields=["status", "failure_reason", "updated_at"])
    return row


# --- the sweeper -------------------------------------------------------------------------------------------

def remittances_sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """This tenant's remittances not final and untouched for a while: enqueue their advance again."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.REMITTANCE_STALE_SECONDS)
    ids = list(Remittance.objects.filter(status__in=REMITTANCE_MOVING, updated_at__lte=stale)
               .order_by("updated_at").values_list("public_id", flat=True)[:limit])
    for public_id in ids:
        enqueue_advance(public_id=public_id)
    return {"resumed": len(ids)}


def remittances_sweep_all_tenants(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    from tenants.runner import for_each_tenant

    return for_each_tenant(lambda: remittances_sweep(now=now))


# --- notifications (after commit, never in the money transaction) -------------------------------------------

def _notify_sender(row: Remittance) -> None:
    """The sender's SMS: the tenant's branded template in the sender's language, rendered now (sender's schema)."""
    if not settings.REMITTANCE_SMS_NOTIFICATIONS or not row.sender.phone:
        return
    from tenant_apps.notifications.messages import render_message

    text = render_message(template="remittance_sent", user=row.sender, context={
        "amount": row.send_minor, "currency": row.send_currency, "status": row.status,
        "status_label": row.get_status_display()}).text
    enqueue("wallet.send_sms", row.sender.phone, text, "remittance", on_commit=True)


def _notify_recipient(inbound: InboundRemittance) -> None:
    """The recipient's SMS, rendered in the receiving tenant's schema (its brand) and the recipient's language."""
    if not settings.REMITTANCE_SMS_NOTIFICATIONS or inbound.recipient is None or not inbound.recipient.phone:
        return
    from tenant_apps.notifications.messages import render_message

    text = render_message(template="remittance_received", user=inbound.recipient, context={
        "amount": inbound.amount_minor, "currency": inbound.currency}).text
    enqueue("wallet.send_sms", inbound.recipient.phone, text, "remittance", on_commit=True)

