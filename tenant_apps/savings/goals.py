"""Target savings: a goal holds the customer's money in its own account; top-ups from the wallet (now or on
a schedule, retried like subscriptions), withdrawals back to the wallet; before the lock date the operator's
rule (copied onto the goal when it opened) refuses, or charges a penalty posted to revenue."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from countries.registry import display_minor
from shared_apps.core.errors import ApiError, Conflict, NotFound
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string
from tenant_apps.ledger.errors import InsufficientFunds
from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.selectors import account_balance
from tenant_apps.ledger.services import (
    Line,
    holder_account,
    post_entry,
    system_account,
    wallet_for,
)

from .common import (
    GOAL_DEPOSIT_ENTRY,
    GOAL_WITHDRAW_ENTRY,
    GoalLocked,
    PenaltyApplies,
    _bad,
    _positive,
    _require_customer,
    _sms,
    next_after,
)
from .models import (
    EarlyWithdrawal,
    Frequency,
    GoalStatus,
    SavingsGoal,
    SavingsSettings,
)

logger = logging.getLogger(__name__)


def savings_settings() -> SavingsSettings:
    settings_row, _created = SavingsSettings.objects.get_or_create(pk=1)
    return settings_row


def savings_settings_update(*, actor, early_withdrawal: str, penalty_bps: int, request: Any = None) -> SavingsSettings:
    """The operator's early-withdrawal rule for goals opened from now on (goals keep the rule they opened with)."""
    if early_withdrawal not in EarlyWithdrawal.values:
        raise _bad("early_withdrawal", gettext("Choose refused or penalty."))
    if isinstance(penalty_bps, bool) or not isinstance(penalty_bps, int) or not 0 <= penalty_bps <= 5_000:
        raise _bad("penalty_bps", gettext("Between 0 and 5000 (50 %)."))
    if early_withdrawal == EarlyWithdrawal.PENALTY and penalty_bps == 0:
        raise _bad("penalty_bps", gettext("A penalty rule needs a penalty above zero."))
    with transaction.atomic():
        row = SavingsSettings.objects.select_for_update().get(pk=savings_settings().pk)  # lock: standalone
        before = {"early_withdrawal": row.early_withdrawal, "penalty_bps": row.penalty_bps}
        row.early_withdrawal, row.penalty_bps = early_withdrawal, penalty_bps
        row.save()
        audit_record(action=AuditAction.SAVINGS_RULES_CHANGED, request=request, actor=actor,
                     subject_type="savings_settings", subject_id="1",
                     details={"before": before, "after": {"early_withdrawal": early_withdrawal,
                                                          "penalty_bps": penalty_bps}})
    return row


def goal_create(*, owner, name: str, target_minor: int, lock_until: date | None = None,
                autosave_minor: int | None = None, autosave_frequency: str = "",
                now: datetime | None = None) -> SavingsGoal:
    _require_customer(owner)
    now = now or timezone.now()
    name = (name or "").strip()
    if not 2 <= len(name) <= 60:
        raise _bad("name", gettext("Between 2 and 60 characters."))
    _positive(target_minor, "target")
    if lock_until is not None and lock_until <= timezone.localdate(now):
        raise _bad("lock_until", gettext("Choose a date in the future."))
    rule = savings_settings()
    with transaction.atomic():
        goal = SavingsGoal(owner=owner, name=name, target_minor=target_minor, currency=tenant_currency().code,
                           lock_until=lock_until, early_withdrawal=rule.early_withdrawal, penalty_bps=rule.penalty_bps)
        goal.account = holder_account(kind=AccountKind.SAVINGS_GOAL, holder=goal.holder)
        goal.save()
        if autosave_minor is not None:
            goal = goal_set_autosave(goal=goal, owner=owner, amount_minor=autosave_minor,
                                     frequency=autosave_frequency, now=now)
    return goal


def goal_set_autosave(*, goal: SavingsGoal, owner, amount_minor: int | None, frequency: str = "",
                      now: datetime | None = None) -> SavingsGoal:
    """Scheduled top-ups from the wallet (``amount_minor=None`` stops them); the first one runs now."""
    if goal.owner_id != owner.pk:
        raise NotFound()
    now = now or timezone.now()
    with transaction.atomic():
        locked = SavingsGoal.objects.select_for_update().get(pk=goal.pk)  # lock: subject
        if amount_minor is None:
            locked.autosave_minor, locked.autosave_frequency, locked.autosave_next_at = None, "", None
        else:
            _positive(amount_minor)
            if frequency not in Frequency.values:
                raise _bad("frequency", gettext("Choose daily, weekly or monthly."), code="invalid_frequency")
            if locked.autosave_next_at is None:  # (re)starting: the first top-up is due now
                locked.autosave_next_at, locked.autosave_anchor_day = now, now.day
            # else the schedule keeps its next time: saving the same settings twice never adds a top-up
            locked.autosave_minor, locked.autosave_frequency = amount_minor, frequency
        locked.autosave_failures, locked.autosave_paused_reason = 0, ""
        locked.save()
    return locked


def _goal_for(goal: SavingsGoal, owner) -> SavingsGoal:
    if goal.owner_id != owner.pk:
        raise NotFound()
    if goal.status != GoalStatus.ACTIVE:
        raise Conflict(gettext("This goal is closed."), code="goal_closed")
    return goal


def goal_deposit(*, goal: SavingsGoal, owner, amount_minor: int, reference: str) -> SavingsGoal:
    """Move money from the wallet into the goal, once per ``reference``."""
    _goal_for(goal, owner)
    _positive(amount_minor)
    post_entry(entry_type=GOAL_DEPOSIT_ENTRY, reference=reference,
               lines=[Line(wallet_for(user=owner, currency=goal.currency), -amount_minor),
                      Line(goal.account, amount_minor)], metadata={"goal": str(goal.public_id)})
    return goal


def withdrawal_quote(*, goal: SavingsGoal, amount_minor: int, today: date | None = None) -> tuple[bool, int]:
    """(early?, penalty) for withdrawing ``amount_minor`` today under the goal's own rule.

    The penalty is the rule's basis points of the amount, half up, and never less than one minor unit when the
    rule charges one: rounded to zero, a goal under a 5 % rule gave 0.09 back early for free, so the whole goal
    came out penalty-free in small enough withdrawals."""
    today = today or timezone.localdate()
    early = goal.lock_until is not None and today < goal.lock_until
    if not early or goal.penalty_bps <= 0:
        return early, 0
    penalty = max((amount_minor * goal.penalty_bps + 5_000) // 10_000, 1)
    return early, min(penalty, amount_minor)


def goal_withdraw(*, goal: SavingsGoal, owner, amount_minor: int | None = None, accept_penalty: bool = False,
                  today: date | None = None, request: Any = None) -> int:
    """Back to the wallet (default: everything); returns what the wallet received.

    Before the lock date: refused (403 ``goal_locked``) or, under a penalty rule, only with
    ``accept_penalty`` (409 ``early_withdrawal_penalty`` says how much); the penalty goes to revenue in
    the same entry. The goal row is locked, so two withdrawals cannot both take the same money.
    """
    _goal_for(goal, owner)
    with transaction.atomic():
        locked = SavingsGoal.objects.select_for_update().select_related("account").get(pk=goal.pk)  # lock: subject
        balance = account_balance(account=locked.account)
        amount = balance if amount_minor is None else _positive(amount_minor)
        if amount <= 0:
            raise Conflict(gettext("There is nothing to withdraw."), code="goal_empty")
        if amount > balance:
            raise ApiError(gettext("The goal does not hold that much."), code="insufficient_funds", status_code=422,
                           fields={"amount": [gettext("At most %(amount)s.") % {
                               "amount": display_minor(balance, locked.currency)}]})
        early, penalty = withdrawal_quote(goal=locked, amount_minor=amount, today=today)
        if early and locked.early_withdrawal == EarlyWithdrawal.REFUSED:
            assert locked.lock_until is not None  # early: before the lock date
            raise GoalLocked(fields={"lock_until": [locked.lock_until.isoformat()]})
        if early and penalty and not accept_penalty:
            # The message writes the penalty for the saver's country and language; fields.penalty stays the
            # machine's decimal string (what accept_penalty agrees to).
            raise PenaltyApplies(
                gettext("Withdrawing before the lock date costs a penalty of %(penalty)s; confirm to go ahead.")
                % {"penalty": display_minor(penalty, locked.currency)},
                fields={"penalty": [to_decimal_string(penalty, locked.currency)]})
        lines = [Line(locked.account, -amount),
                 Line(wallet_for(user=owner, currency=locked.currency), amount - penalty)]
        if penalty:
            lines.append(Line(system_account(kind=AccountKind.REVENUE, currency=locked.currency), penalty))
        post_entry(entry_type=GOAL_WITHDRAW_ENTRY, reference=f"goal-withdraw:{uuid.uuid4().hex}",
                   lines=[line for line in lines if line.amount],
                   metadata={"goal": str(locked.public_id), "penalty": penalty, "early": early})
        audit_record(action=AuditAction.GOAL_WITHDRAWN, request=request, actor=owner, subject_type="savings_goal",
                     subject_id=str(locked.public_id), details={"amount": amount, "penalty": penalty, "early": early})
    return amount - penalty


def _autosave_one(goal: SavingsGoal, *, now: datetime) -> str:
    scheduled = goal.autosave_next_at
    # Selected by autosave_next_at <= now; a scheduled top-up has its amount (goal_set_autosave sets both).
    assert scheduled is not None and goal.autosave_minor is not None
    try:
        with transaction.atomic():
            goal_deposit(goal=goal, owner=goal.owner, amount_minor=goal.autosave_minor,
                         reference=f"goal-auto:{goal.public_id.hex}:{scheduled:%Y%m%d%H%M}")
    except InsufficientFunds:
        goal.autosave_failures += 1
        if goal.autosave_failures >= settings.SAVINGS_AUTOSAVE_MAX_FAILURES:
            goal.autosave_next_at, goal.autosave_paused_reason = None, "insufficient_funds"
            _sms(goal.owner, "savings_autosave_paused", {"goal": goal.name})
            outcome = "paused"
        else:
            goal.autosave_next_at = now + timedelta(seconds=settings.SAVINGS_AUTOSAVE_RETRY_SECONDS)
            outcome = "retry"
        goal.save(update_fields=["autosave_failures", "autosave_next_at", "autosave_paused_reason"])
        return outcome
    following = next_after(scheduled, frequency=goal.autosave_frequency, anchor_day=goal.autosave_anchor_day)
    while following <= now:  # missed periods (beat down) are skipped, not taken in a burst
        following = next_after(following, frequency=goal.autosave_frequency, anchor_day=goal.autosave_anchor_day)
    goal.autosave_failures, goal.autosave_next_at = 0, following
    goal.save(update_fields=["autosave_failures", "autosave_next_at"])
    return "saved"


def goals_autosave_due(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    now = now or timezone.now()
    results: dict[str, int] = {}
    due = list(SavingsGoal.objects.filter(status=GoalStatus.ACTIVE, autosave_next_at__lte=now)
               .order_by("autosave_next_at").values_list("pk", flat=True)[:limit])
    for pk in due:
        with transaction.atomic():
            # lock: subject
            goal = SavingsGoal.objects.select_for_update(skip_locked=True).select_related("owner", "account") \
                .filter(pk=pk, status=GoalStatus.ACTIVE, autosave_next_at__lte=now).first()
            if goal is None:
                continue
            outcome = _autosave_one(goal, now=now)
        results[outcome] = results.get(outcome, 0) + 1
    return results
