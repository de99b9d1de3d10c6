"""Agent cash-in and cash-out, on the double-entry ledger.

**Cash-in** (the customer hands cash to the agent): the agent's wallet (its float) credits the customer's.
``cash_in_start`` counts the amount against the agent's velocity limits and the customer's KYC tier (single
and daily limits; the tier's maximum balance is enforced by the ledger itself on the credit: ``Split(...,
ceiling=balance_ceiling(wallet))``, 422 ``balance_limit_exceeded``), then *holds* it on the agent's wallet
(the ledger's conditional UPDATE: no overdraft under any concurrency). At or above
``AGENT_CASH['CONFIRM_ABOVE']`` the customer confirms first (a code sent to their phone, cash.confirmation: a
transaction PIN plugs in there later); below it, or once confirmed, the hold settles into the customer's wallet
and the agent chain's commissions are paid (operator revenue -> agent wallets,
``AGENT_CASH['CASH_IN_COMMISSION_BPS']`` of the amount at most, split by the tenant's commission tiers), for the
first ``COMMISSIONED_CASH_INS_PER_CUSTOMER_PER_DAY`` cash-ins of one agent to one customer in 24 hours only
(``_commission_withheld``: no commission churning through a second account of the agent's own).

**Cash-out** (the agent hands cash to the customer): the customer first generates a withdrawal code for an exact
amount (``withdrawal_code_create``: short-lived, single use, stored as a keyed hash bound to the amount; the
amount plus the fee is held on their wallet at once, the hold expiring with the code). The customer gives the
code to the agent, who enters phone, code and amount (``cash_out_check`` then ``cash_out_complete``): the hold
settles into the agent's wallet (the amount, plus its commission), the rest of the fee to the fees account.

Every step is idempotent (row states under row locks; ledger references derived from the transaction's
``reference``), wrong codes are counted in their own committed transaction, and every outcome is audited.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import ApiError, Conflict, Forbidden, NotFound
from tenant_apps.accounts.country import current_adapter, normalize_phone
from tenant_apps.accounts.selectors import users_paid_by_phone
from tenant_apps.accounts.services import sms_send_claim
from tenant_apps.agents.models import Agent, CommissionPosting
from tenant_apps.agents.services import agent_record_sale, agent_release_sale
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.kyc.selectors import kyc_balance_room
from tenant_apps.kyc.services import kyc_release_spend
from tenant_apps.ledger.currency import tenant_currency, to_minor
from tenant_apps.ledger.errors import BalanceLimitExceeded
from tenant_apps.ledger.models import AccountKind, Hold
from tenant_apps.ledger.services import (
    Line,
    Split,
    balance_ceiling,
    place_hold,
    post_entry,
    release_hold,
    settle_hold,
    system_account,
    wallet_for,
)
from tenant_apps.risk.gate import MoneyMove, inflow_completed, screen
from tenant_apps.risk.models import Flow
from tenant_apps.tax.entries import tax_entry_metadata

from .confirmation import confirmation_check, confirmation_for
from .models import (
    CashKind,
    CashStatus,
    CashTransaction,
    ConfirmationChallenge,
    WithdrawalCode,
    WithdrawalCodeStatus,
)
from .sealing import open_code, seal_code

logger = logging.getLogger(__name__)

COMMISSION_ENTRY = "cash_commission"


def _not_awaiting(row) -> str:
    """A cash-in that no longer waits for the customer's code, in the request's language."""
    return gettext("This cash-in is no longer waiting for confirmation (%(status)s).") % {
        "status": row.get_status_display()}


def _conf() -> dict[str, Any]:
    return settings.AGENT_CASH


def _new_reference(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


class UnknownCustomer(NotFound):
    code = "unknown_customer"
    message: Any = _("No customer of this site has that phone number.")


class InvalidWithdrawalCode(ApiError):
    code = "invalid_withdrawal_code"
    message: Any = _("This code, phone number and amount do not match an active withdrawal code.")


# --- who -------------------------------------------------------------------------------------------------

def _require_agent(user) -> Agent | None:
    """The agent's tree row (None for an agent outside a tree); 403 unless an active agent."""
    if getattr(user, "role", "") != "agent":
        raise Forbidden(gettext("Only agents serve cash."), code="not_an_agent")
    row = Agent.objects.filter(user=user).first()
    if row is not None and not row.is_active:
        raise Forbidden(gettext("This agent is suspended."), code="agent_inactive")
    return row


def find_customer(phone: str):
    """A customer of this tenant by phone (any local form)."""
    normalized = normalize_phone(phone, field="customer")
    found = users_paid_by_phone(phone=normalized).filter(role="customer").first()
    if found is None:
        raise UnknownCustomer(fields={"customer": [gettext("Unknown customer.")]})
    return found


# --- amounts -----------------------------------------------------------------------------------------------

def confirmation_threshold(currency: str) -> int:
    """From this amount (minor units) up, a cash-in waits for the customer's confirmation."""
    table = _conf()["CONFIRM_ABOVE"]
    major = table.get(currency, table.get("*"))
    return 0 if major is None else to_minor(str(major), currency)


def cash_out_fee(amount_minor: int) -> int:
    return amount_minor * int(_conf()["CASH_OUT_FEE_BPS"]) // 10_000


def _commission_shares(*, agent_user, amount_minor: int, budget_minor: int) -> list[tuple[Agent, int, int]]:
    """``[(agent, level, amount)]`` for the serving agent's chain, at the tenant's commission tier rates, never
    more than ``budget_minor`` in total (pricing.engine.commission_split trims from the top of the tree)."""
    from tenant_apps.agents.selectors import agent_chain
    from tenant_apps.pricing.engine import commission_split
    from tenant_apps.pricing.models import CommissionTier

    chain = agent_chain(user=agent_user)
    if not chain or budget_minor <= 0:
        return []
    tiers = list(CommissionTier.objects.values_list("level", "rate_bp"))
    return [tuple(share) for share in commission_split(price_minor=amount_minor, margin_minor=budget_minor,
                                                       chain=chain, tiers=tiers, allow_below_cost=False)]


def _record_commissions(reference: str, shares: list[tuple[Agent, int, int]], currency: str) -> None:
    CommissionPosting.objects.bulk_create(
        [CommissionPosting(order_ref=reference, agent=agent, level=level, amount_minor=amount, currency=currency)
         for agent, level, amount in shares], ignore_conflicts=True)


class CustomerBalanceLimit(BalanceLimitExceeded):
    """422 ``balance_limit_exceeded`` for the agent: about the customer's level, never the customer's balance."""

    message = _("The customer's wallet cannot receive this amount: it would pass the maximum balance of the "
                "customer's verification level.")


def _refuse_over_balance_limit(customer, amount_minor: int, currency: str) -> None:
    """Before anything is held or a code is sent: refuse a cash-in that cannot fit under the customer's cap.

    Only a courtesy (no OTP for a cash-in that could never complete): the ledger enforces the cap itself, under
    the wallet's row lock, when the money is credited (``_complete_cash_in``), whatever happened in between."""
    room = kyc_balance_room(user=customer, currency=currency)
    if room.cap is not None and room.holdings + amount_minor > room.cap:
        raise CustomerBalanceLimit(fields={"amount": [CustomerBalanceLimit.message]})


def _notify(user, template: str, context: dict) -> None:
    """SMS after commit (never inside the money transaction; never raises for delivery trouble)."""
    if not _conf().get("SMS_NOTIFICATIONS", True) or not user.phone:
        return
    from tenant_apps.notifications.messages import notify_sms

    phone = user.phone
    transaction.on_commit(lambda: notify_sms(to=phone, template=template, purpose=template, user=user,
                                             context=context))


# --- cash-in ------------------------------------------------------------------------------------------------

def cash_in_start(*, agent, customer_phone: str, amount_minor: int, request: Any = None) -> CashTransaction:
    """Hold the amount on the agent's float; complete now, or wait for the customer's confirmation.

    Runs in the caller's transaction (the Idempotency-Key's): any refusal (velocity 429, KYC 403, float 422)
    leaves nothing written.
    """
    _require_agent(agent)
    currency = tenant_currency().code
    customer = find_customer(customer_phone)
    if customer.pk == agent.pk:
        raise ApiError(gettext("You cannot serve yourself."), code="self_cash")
    reference = _new_reference("ci")
    _refuse_over_balance_limit(customer, amount_minor, currency)
    agent_record_sale(agent=agent, amount_minor=amount_minor, reference=f"cash:{reference}")
    public_id = uuid.uuid4()
    screen(MoneyMove(flow=Flow.CASH_IN, user=customer, amount_minor=amount_minor, currency=currency,
                     reference=f"cashin:{reference}", recipient=f"agent:{agent.public_id}",
                     recipient_label=agent.phone or "", subject_type="cash", subject_id=str(public_id),
                     for_customer=True))
    now = timezone.now()
    needs_confirmation = amount_minor >= confirmation_threshold(currency)
    expires_at = now + timedelta(seconds=_conf()["OTP_TTL_SECONDS"]) if needs_confirmation else None
    hold = place_hold(wallet=wallet_for(user=agent, currency=currency), amount=amount_minor,
                      reference=f"cashin:{reference}",
                      # a safety net: the cash expiry task releases it first (cash_expire_stale)
                      expires_at=expires_at + timedelta(minutes=10) if expires_at else None,
                      metadata={"cash": reference, "customer": str(customer.public_id)})
    row = CashTransaction.objects.create(
        public_id=public_id, kind=CashKind.CASH_IN, reference=reference, agent=agent, customer=customer,
        amount_minor=amount_minor,
        currency=currency, status=CashStatus.AWAITING_CONFIRMATION, hold=hold, expires_at=expires_at)
    if needs_confirmation:
        row.challenge = confirmation_for(user=customer).challenge(
            user=customer, purpose="cash_in", reference=reference,
            context={"amount": amount_minor, "currency": currency, "agent": agent.phone or ""})
        row.expires_at = row.challenge.expires_at
        row.save(update_fields=["challenge", "expires_at"])
        audit_record(action=AuditAction.CASH_IN, request=request, actor=agent, subject_type="cash",
                     subject_id=str(row.public_id),
                     details={"status": row.status, "amount": amount_minor, "currency": currency,
                              "confirmation": row.challenge.method})
        return row
    return _complete_cash_in(row, request=request)


def _float_hold(row: CashTransaction) -> Hold:
    """The hold on the agent's float that a cash-in places when it starts."""
    if row.hold is None:
        raise ValueError(f"cash-in {row.reference} has no float hold")
    return row.hold


def _commission_withheld(row: CashTransaction) -> bool:
    """True when this agent's cash-ins to this customer have already earned the day's commissioned ones.

    Cash-in is free for the customer and P2P is free: an agent cashing in to a second account of its own and
    sending the money back would be paid by the operator every round. Counted after the customer's wallet is
    credited: that UPDATE's row lock orders concurrent cash-ins to one customer, so this count (a new statement,
    READ COMMITTED) sees every one committed before it."""
    limit = int(_conf().get("COMMISSIONED_CASH_INS_PER_CUSTOMER_PER_DAY", 0))
    if limit <= 0:
        return False
    earned = CashTransaction.objects.filter(
        kind=CashKind.CASH_IN, agent_id=row.agent_id, customer_id=row.customer_id, status=CashStatus.COMPLETED,
        commission_minor__gt=0, completed_at__gte=timezone.now() - timedelta(days=1)).exclude(pk=row.pk)
    return earned.count() >= limit


def _complete_cash_in(row: CashTransaction, *, request: Any = None) -> CashTransaction:
    """Settle the agent's hold into the customer's wallet and pay the chain's commissions, once (row locked).

    New money for the customer: capped by the ledger at the KYC tier's maximum balance (balance + holds, checked in
    the same locked UPDATE that credits, so concurrent credits cannot both fit): past it, 422 and nothing moves
    (the caller's transaction rolls back; a cash-in awaiting confirmation stays so, the agent may cancel it)."""
    customer_wallet = wallet_for(user=row.customer, currency=row.currency)
    try:
        settle_hold(hold=_float_hold(row), metadata={"cash": row.reference, "kind": row.kind}, splits=[
            Split(customer_wallet, row.amount_minor, ceiling=balance_ceiling(customer_wallet))])
    except BalanceLimitExceeded:
        raise CustomerBalanceLimit(fields={"amount": [CustomerBalanceLimit.message]}) from None
    withheld = _commission_withheld(row)
    budget = 0 if withheld else row.amount_minor * int(_conf()["CASH_IN_COMMISSION_BPS"]) // 10_000
    shares = _commission_shares(agent_user=row.agent, amount_minor=row.amount_minor, budget_minor=budget)
    total = sum(amount for _agent, _level, amount in shares)
    if total:
        revenue = system_account(kind=AccountKind.REVENUE, currency=row.currency)
        post_entry(entry_type=COMMISSION_ENTRY, reference=row.reference,
                   lines=[Line(revenue, -total)] + [Line(wallet_for(user=agent.user, currency=row.currency), amount)
                                                    for agent, _level, amount in shares],
                   metadata={"cash": row.reference})
        _record_commissions(row.reference, shares, row.currency)
    row.status, row.commission_minor, row.completed_at = CashStatus.COMPLETED, total, timezone.now()
    row.save(update_fields=["status", "commission_minor", "completed_at"])
    inflow_completed(reference=f"cashin:{row.reference}", at=row.completed_at)  # payout-after-funding windows
    audit_record(action=AuditAction.CASH_IN, request=request, actor=row.agent, subject_type="cash",
                 subject_id=str(row.public_id), details={"status": row.status, "amount": row.amount_minor,
                                                         "currency": row.currency, "commission": total,
                                                         **({"commission_withheld": "repeat_customer"}
                                                            if withheld else {})})
    _notify(row.customer, "cash_in_received", {"amount": row.amount_minor, "currency": row.currency,
                                               "reference": row.reference})
    return row


def _agent_row(agent, public_id, *, lock: bool = False) -> CashTransaction:
    rows = CashTransaction.objects.select_related("customer", "agent", "hold", "challenge")
    if lock:
        rows = rows.select_for_update(of=("self",))  # lock: subject
    row = rows.filter(agent=agent, public_id=public_id).first()
    if row is None:
        raise NotFound(gettext("No such cash transaction."), code="unknown_cash_transaction")
    return row


def _end(row: CashTransaction, status: str, reason: str, *, request: Any = None) -> CashTransaction:
    """Release the agent's hold and give back the velocity and KYC counts (cash-in not completed). Row locked."""
    release_hold(hold=_float_hold(row), metadata={"cash": row.reference, "reason": reason})
    agent_release_sale(reference=f"cash:{row.reference}")
    kyc_release_spend(user=row.customer, reference=f"cashin:{row.reference}")
    row.status, row.failure_reason = status, reason[:120]
    row.save(update_fields=["status", "failure_reason"])
    audit_record(action=AuditAction.CASH_CANCELLED, request=request, actor=row.agent, subject_type="cash",
                 subject_id=str(row.public_id), details={"status": status, "reason": reason})
    return row


def cash_in_check_confirmation(*, agent, public_id, secret: str, request: Any = None) -> None:
    """Step 1 of a confirmation: check the customer's code, counting the attempt. Call it OUTSIDE the request's
    money transaction: a wrong code, an expiry or the last failed attempt (the cash-in is then cancelled and the
    float released) is committed before the error is raised."""
    row = _agent_row(agent, public_id)
    if row.status == CashStatus.COMPLETED:
        return  # a replay of a confirmed cash-in: the completion step answers it
    if row.status != CashStatus.AWAITING_CONFIRMATION or row.challenge is None:
        raise Conflict(_not_awaiting(row), code="cash_not_awaiting_confirmation")
    result = confirmation_check(challenge_id=row.challenge.pk, secret=secret)
    if result.ok:
        return
    if result.reason in ("expired", "exhausted"):
        with transaction.atomic():
            locked = _agent_row(agent, public_id, lock=True)
            if locked.status == CashStatus.AWAITING_CONFIRMATION:
                _end(locked, CashStatus.EXPIRED if result.reason == "expired" else CashStatus.CANCELLED,
                     "confirmation_expired" if result.reason == "expired" else "confirmation_locked",
                     request=request)
        if result.reason == "expired":
            raise ApiError(gettext("The customer's code has expired; start again."), code="confirmation_expired",
                           status_code=410)
        raise Forbidden(gettext("Too many wrong codes: the cash-in was cancelled and the float released."),
                        code="confirmation_locked")
    audit_record(action=AuditAction.CASH_CONFIRMATION_FAILED, request=request, actor=agent, subject_type="cash",
                 subject_id=str(row.public_id), details={"attempts_left": result.attempts_left})
    raise ApiError(gettext("The code is not valid."), code="invalid_confirmation",
                   fields={"code": [ngettext("%(count)s attempt left.", "%(count)s attempts left.",
                                             result.attempts_left) % {"count": result.attempts_left}]})


def cash_in_complete(*, agent, public_id, request: Any = None) -> CashTransaction:
    """Step 2 (in the Idempotency-Key transaction, after a successful step 1): consume the challenge, settle."""
    row = _agent_row(agent, public_id, lock=True)
    if row.status == CashStatus.COMPLETED:
        return row
    if row.status != CashStatus.AWAITING_CONFIRMATION or row.challenge is None:
        raise Conflict(_not_awaiting(row), code="cash_not_awaiting_confirmation")
    consumed = ConfirmationChallenge.objects.filter(pk=row.challenge.pk, confirmed_at__isnull=True) \
        .update(confirmed_at=timezone.now())
    if not consumed:
        raise Conflict(gettext("This confirmation was already used."), code="cash_not_awaiting_confirmation")
    return _complete_cash_in(row, request=request)


def cash_in_cancel(*, agent, public_id, request: Any = None) -> CashTransaction:
    row = _agent_row(agent, public_id, lock=True)
    if row.status == CashStatus.CANCELLED:
        return row
    if row.status != CashStatus.AWAITING_CONFIRMATION:
        raise Conflict(_not_awaiting(row), code="cash_not_awaiting_confirmation")
    return _end(row, CashStatus.CANCELLED, "cancelled_by_agent", request=request)


def cash_expire_stale(*, now=None, limit: int = 500) -> int:
    """Cash-ins nobody confirmed in time (this schema): release the agent's float. What the beat task runs."""
    now = now or timezone.now()
    expired = 0
    stale = CashTransaction.objects.filter(status=CashStatus.AWAITING_CONFIRMATION, expires_at__lte=now) \
        .order_by("expires_at").values_list("pk", flat=True)[:limit]
    for pk in list(stale):
        with transaction.atomic():
            # lock: subject
            row = CashTransaction.objects.select_for_update(of=("self",)).select_related("hold", "customer", "agent") \
                .get(pk=pk)
            if row.status == CashStatus.AWAITING_CONFIRMATION:
                _end(row, CashStatus.EXPIRED, "confirmation_expired")
                expired += 1
    codes = WithdrawalCode.objects.filter(status=WithdrawalCodeStatus.ACTIVE, expires_at__lte=now) \
        .values_list("pk", flat=True)[:limit]
    for pk in list(codes):
        with transaction.atomic():
            # lock: subject
            code = WithdrawalCode.objects.select_for_update().select_related("hold", "customer").get(pk=pk)
            if code.status == WithdrawalCodeStatus.ACTIVE:
                _close_code(code, WithdrawalCodeStatus.EXPIRED)
                expired += 1
    return expired


# --- withdrawal codes ----------------------------------------------------------------------------------------

def _code_hash(*, salt: str, code_id: str, amount_minor: int, currency: str, code: str) -> str:
    message = f"wcode|{salt}|{code_id}|{amount_minor}|{currency}|{code}".encode()
    return f"{salt}${hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()}"


def _code_matches(row: WithdrawalCode, code: str, amount_minor: int) -> bool:
    salt = row.code_hash.split("$", 1)[0]
    expected = _code_hash(salt=salt, code_id=str(row.public_id), amount_minor=amount_minor, currency=row.currency,
                          code=code)
    return hmac.compare_digest(row.code_hash, expected)


def withdrawal_code_create(*, customer, amount_minor: int, request: Any = None) -> tuple[WithdrawalCode, str]:
    """Hold amount + fee on the customer's wallet and issue a code for exactly that amount (shown once)."""
    if getattr(customer, "role", "") != "customer":
        raise Forbidden(gettext("Only customers withdraw cash at agents."), code="not_a_customer")
    currency = tenant_currency().code
    conf = _conf()
    live = WithdrawalCode.objects.filter(customer=customer, status=WithdrawalCodeStatus.ACTIVE,
                                         expires_at__gt=timezone.now()).count()
    if live >= conf["MAX_ACTIVE_CODES"]:
        raise Conflict(gettext("You already have %(count)s active withdrawal codes: use or cancel one first.")
                       % {"count": live},
                       code="too_many_withdrawal_codes")
    fee = cash_out_fee(amount_minor)
    now = timezone.now()
    expires_at = now + timedelta(seconds=conf["CODE_TTL_SECONDS"])
    row = WithdrawalCode(customer=customer, amount_minor=amount_minor, fee_minor=fee, currency=currency,
                         expires_at=expires_at)
    screen(MoneyMove(flow=Flow.CASH_OUT, user=customer, amount_minor=amount_minor, currency=currency,
                     reference=f"cashout:{row.public_id}", subject_type="withdrawal_code",
                     subject_id=str(row.public_id)))
    row.hold = place_hold(wallet=wallet_for(user=customer, currency=currency), amount=amount_minor + fee,
                          reference=f"cashout:{row.public_id}", expires_at=expires_at + timedelta(minutes=10),
                          metadata={"withdrawal_code": str(row.public_id)})
    digits = conf["CODE_DIGITS"]
    code = f"{secrets.randbelow(10 ** digits):0{digits}d}"
    row.code_hash = _code_hash(salt=secrets.token_hex(8), code_id=str(row.public_id), amount_minor=amount_minor,
                               currency=currency, code=code)
    row.code_sealed = seal_code(code)  # only while active: "send it again" texts this same code
    row.save()
    audit_record(action=AuditAction.WITHDRAWAL_CODE_CREATED, request=request, actor=customer,
                 subject_type="withdrawal_code", subject_id=str(row.public_id),
                 details={"amount": amount_minor, "fee": fee, "currency": currency})
    return row, code


def _close_code(row: WithdrawalCode, status: str) -> None:
    """Give the held money and the KYC count back (code not used). Row locked."""
    release_hold(hold=row.hold, metadata={"withdrawal_code": str(row.public_id), "reason": status})
    kyc_release_spend(user=row.customer, reference=f"cashout:{row.public_id}")
    row.status, row.code_sealed = status, ""
    row.save(update_fields=["status", "code_sealed"])


def withdrawal_code_cancel(*, customer, public_id, request: Any = None) -> WithdrawalCode:
    """Cancel an active code: its hold is released (the amount and fee back in the wallet), once. The code row is
    locked first, as the agent's redemption (``_matching_code``, ``cash_out_complete``) locks it: whichever takes
    it second sees the other's outcome (a used code is not cancelled; a cancelled one is not paid out)."""
    rows = WithdrawalCode.objects.select_related("hold", "customer").filter(customer=customer, public_id=public_id)
    row = rows.select_for_update().first()  # lock: subject
    if row is None:
        raise NotFound(gettext("No such withdrawal code."), code="unknown_withdrawal_code")
    if row.status == WithdrawalCodeStatus.ACTIVE:
        _close_code(row, WithdrawalCodeStatus.CANCELLED)
        audit_record(action=AuditAction.CASH_CANCELLED, request=request, actor=customer,
                     subject_type="withdrawal_code", subject_id=str(row.public_id), details={"status": row.status})
    elif row.status != WithdrawalCodeStatus.CANCELLED:
        raise Conflict(gettext("This code is no longer active (%(status)s).") % {"status": row.get_status_display()},
                       code="withdrawal_code_not_active")
    return row


class ResendRefused(ApiError):
    status_code = 429
    code = "too_many_resends"


def withdrawal_code_resend(*, customer, public_id, request: Any = None) -> WithdrawalCode:
    """Text an active code to the customer again: the same code (amount, fee, hold and expiry unchanged), once
    per ``AGENT_CASH['CODE_RESEND_SECONDS']`` and ``CODE_MAX_RESENDS`` times (429 ``too_many_resends``); 409
    ``withdrawal_code_not_active`` once it is used, cancelled, expired or locked. The SMS goes after commit."""
    conf = _conf()
    with transaction.atomic():
        rows = WithdrawalCode.objects.select_related("customer").filter(customer=customer, public_id=public_id)
        row = rows.select_for_update(of=("self",)).first()  # lock: subject
        if row is None:
            raise NotFound(gettext("No such withdrawal code."), code="unknown_withdrawal_code")
        code = open_code(row.code_sealed)
        if row.status != WithdrawalCodeStatus.ACTIVE or row.expires_at <= timezone.now() or code is None \
                or not _code_matches(row, code, row.amount_minor):
            raise Conflict(gettext("This withdrawal code is no longer active."), code="withdrawal_code_not_active")
        if row.resends >= conf["CODE_MAX_RESENDS"] or not sms_send_claim(
                key=f"cash:code-resend:{row.public_id}", seconds=int(conf["CODE_RESEND_SECONDS"])):
            raise ResendRefused(gettext("This code was sent again a moment ago or too often. Wait for the SMS."))
        row.resends += 1
        row.save(update_fields=["resends"])
        audit_record(action=AuditAction.WITHDRAWAL_CODE_RESENT, request=request, actor=customer,
                     subject_type="withdrawal_code", subject_id=str(row.public_id), details={"resends": row.resends})
        text_withdrawal_code(row=row, code=code,
                             minutes=max(int((row.expires_at - timezone.now()).total_seconds()) // 60, 1))
    return row


def text_withdrawal_code(*, row: WithdrawalCode, code: str, minutes: int) -> None:
    """Text ``code`` to the code's customer after commit (a rollback sends nothing; an SMS failure is logged,
    never raised): the USSD channel's code and a resend, one message. The code is a secret for the SMS log."""
    customer = row.customer
    phone = customer.phone or ""  # a code is only made for a verified phone
    context = {"amount": row.amount_minor, "fee": row.fee_minor, "currency": row.currency, "minutes": minutes,
               "code": code}

    def text_the_code() -> None:
        from tenant_apps.notifications.messages import notify_sms

        notify_sms(to=phone, template="ussd_withdrawal_code", purpose="withdrawal_code", user=customer,
                   context=context, secrets=[code])

    transaction.on_commit(text_the_code, robust=True)


# --- cash-out --------------------------------------------------------------------------------------------------

def _failures_key(agent) -> str:
    return f"cash:code-failures:{agent.pk}:{timezone.now().astimezone(UTC):%Y%m%d%H}"


def _reserve_attempt(key: str) -> int:
    """Count one attempt on the agent's hourly key (atomic ``add`` + ``INCR``); the count including it.

    Reserved before the code is checked, so codes sent at once each see the others (a ``get`` before and a
    ``set(1)`` after lost one of two first failures, and let any number through the check)."""
    for _try in range(2):
        cache.add(key, 0, timeout=3600)
        try:
            return cache.incr(key)
        except ValueError:  # the key was evicted between add and incr: add it again
            continue
    return 1


def _refund_attempt(key: str) -> None:
    """Give back a reserved attempt that was no wrong code (the right one, a refusal, an error)."""
    with contextlib.suppress(ValueError):  # gone (evicted): nothing to give back
        cache.decr(key)


def cash_out_check(*, agent, customer_phone: str, code: str, amount_minor: int, request: Any = None) -> int:
    """Step 1 of a cash-out: find the customer's active code for this amount that ``code`` opens; returns its id.

    Runs OUTSIDE the money transaction so a wrong code counts (committed): every active code of the customer
    takes an attempt and is locked after ``MAX_ATTEMPTS`` (its hold released); the agent's wrong codes are
    capped per hour (429). The answer never says which of phone, code or amount was wrong, except to the agent
    who already paid that very code out (409 ``withdrawal_code_not_active``, nothing counted): the twin of a
    completed cash-out, which the idempotency layer answers with the first copy's stored answer.

    The agent's attempt is reserved on the hourly counter before the code is checked and given back unless the
    code was wrong: codes sent at once cannot get past the cap together, and a right code is refused only when
    the agent's wrong codes plus those still being checked already fill the hour's budget.
    """
    _require_agent(agent)
    failures_key = _failures_key(agent)
    if _reserve_attempt(failures_key) > _conf()["AGENT_CODE_FAILURES_PER_HOUR"]:
        _refund_attempt(failures_key)
        raise ApiError(gettext("Too many wrong withdrawal codes this hour."), code="too_many_attempts", status_code=429)
    try:
        code_id = _matching_code(agent=agent, customer_phone=customer_phone, code=code, amount_minor=amount_minor,
                                 request=request)
    except BaseException:
        _refund_attempt(failures_key)
        raise
    if code_id is None:
        raise InvalidWithdrawalCode(fields={"code": [gettext("Check the code, the phone number and the amount.")]})
    _refund_attempt(failures_key)
    return code_id


def _matching_code(*, agent, customer_phone: str, code: str, amount_minor: int, request: Any) -> int | None:
    """The id of the customer's active code that ``code`` opens, else None once the miss is counted (committed)."""
    conf = _conf()
    code = (code or "").strip()
    try:
        customer = find_customer(customer_phone)
    except UnknownCustomer:
        customer = None
    now = timezone.now()
    with transaction.atomic():
        rows = list(WithdrawalCode.objects.select_for_update().select_related("hold", "customer")  # lock: subject
                    .filter(customer=customer, status=WithdrawalCodeStatus.ACTIVE)) if customer else []
        live = []
        for row in rows:
            if row.expires_at <= now:
                _close_code(row, WithdrawalCodeStatus.EXPIRED)
            else:
                live.append(row)
        match = next((row for row in live if row.amount_minor == amount_minor and code.isdigit()
                      and _code_matches(row, code, amount_minor)), None)
        if match is not None and customer is not None and customer.pk != agent.pk:
            return match.pk
        paid_out = customer is not None and _paid_out_by(agent=agent, customer=customer, code=code,
                                                         amount_minor=amount_minor)
        if not paid_out:
            for row in live:
                WithdrawalCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
                if row.attempts + 1 >= conf["MAX_ATTEMPTS"]:
                    _close_code(row, WithdrawalCodeStatus.LOCKED)
            audit_record(action=AuditAction.CASH_CONFIRMATION_FAILED, request=request, actor=agent,
                         subject_type="withdrawal_code", subject_id="", details={"codes_tried": len(live)})
    if paid_out:  # nothing counted (the caller gives the reserved attempt back); expired codes closed above stay
        raise Conflict(gettext("This withdrawal code was already used."), code="withdrawal_code_not_active")
    return None


def _paid_out_by(*, agent, customer, code: str, amount_minor: int) -> bool:
    """Whether ``code`` opens a code of ``customer`` for this amount that ``agent`` already paid out.

    That is the twin of a completed cash-out (a retry, a double tap that waited on the first's row lock), not a
    wrong guess: it must not cost the customer's other codes an attempt nor the agent its hourly allowance, and
    its Idempotency-Key's stored answer is what it gets (the callers look it up again on this refusal).
    """
    if not code.isdigit():
        return False
    used = WithdrawalCode.objects.filter(customer=customer, status=WithdrawalCodeStatus.USED, amount_minor=amount_minor,
                                         cash_out__agent=agent)
    return any(_code_matches(row, code, amount_minor) for row in used)


def cash_out_complete(*, agent, code_id: int, request: Any = None) -> CashTransaction:
    """Step 2 (in the Idempotency-Key transaction): consume the code and settle its hold, once."""
    row = WithdrawalCode.objects.select_for_update().select_related("hold", "customer").get(pk=code_id)  # lock: subject
    existing = CashTransaction.objects.filter(withdrawal_code=row).first()
    if existing is not None:
        if existing.agent_id != agent.pk:
            raise Conflict(gettext("This withdrawal code was already used."), code="withdrawal_code_not_active")
        return existing
    if row.status != WithdrawalCodeStatus.ACTIVE or row.expires_at <= timezone.now():
        raise Conflict(gettext("This withdrawal code is no longer active."), code="withdrawal_code_not_active")
    reference = _new_reference("co")
    agent_record_sale(agent=agent, amount_minor=row.amount_minor, reference=f"cash:{reference}")
    shares = _commission_shares(agent_user=agent, amount_minor=row.amount_minor, budget_minor=row.fee_minor)
    total = sum(amount for _agent, _level, amount in shares)
    agent_wallet = wallet_for(user=agent, currency=row.currency)
    splits = [Split(agent_wallet, row.amount_minor)]
    splits += [Split(wallet_for(user=chain_agent.user, currency=row.currency), amount)
               for chain_agent, _level, amount in shares]
    # What the platform keeps of the fee is fee income: the country's VAT (and levies) are carved out of it. A
    # cash-out fee is quoted tax-inclusive (the customer's hold is amount + fee), so every tax is carved out.
    income = row.fee_minor - total
    taxes = [tax for tax in current_adapter().sale_taxes(income_minor=income, on=timezone.localdate()).taxes
             if tax.amount_minor] if income > 0 else []
    splits += [Split(system_account(kind=tax.account_kind, currency=row.currency), tax.amount_minor) for tax in taxes]
    kept = income - sum(tax.amount_minor for tax in taxes)
    if kept:
        splits.append(Split(system_account(kind=AccountKind.FEES, currency=row.currency), kept))
    settle_hold(hold=row.hold, splits=splits,
                metadata={"cash": reference, "kind": CashKind.CASH_OUT, **tax_entry_metadata(taxes)})
    _record_commissions(reference, shares, row.currency)
    now = timezone.now()
    row.status, row.used_at, row.code_sealed = WithdrawalCodeStatus.USED, now, ""
    row.save(update_fields=["status", "used_at", "code_sealed"])
    cash = CashTransaction.objects.create(
        kind=CashKind.CASH_OUT, reference=reference, agent=agent, customer=row.customer,
        amount_minor=row.amount_minor, fee_minor=row.fee_minor, commission_minor=total, currency=row.currency,
        status=CashStatus.COMPLETED, hold=row.hold, withdrawal_code=row, completed_at=now)
    audit_record(action=AuditAction.CASH_OUT, request=request, actor=agent, subject_type="cash",
                 subject_id=str(cash.public_id), details={"amount": row.amount_minor, "fee": row.fee_minor,
                                                          "currency": row.currency, "commission": total})
    _notify(row.customer, "cash_out_paid", {"amount": row.amount_minor, "fee": row.fee_minor,
                                            "currency": row.currency, "reference": reference})
    return cash
