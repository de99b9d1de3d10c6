"""What circles and goals share: entry types, errors, validation, schedules and the SMS after commit."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shared_apps.core.enqueue import enqueue
from shared_apps.core.errors import ApiError, Conflict, Forbidden
from tenant_apps.accounts.models import User
from tenant_apps.ledger.errors import BalanceLimitExceeded

from .models import (
    Frequency,
)

CONTRIBUTION_ENTRY = "circle_contribution"
POT_ENTRY = "circle_pot"
ARREARS_ENTRY = "circle_arrears"
DISSOLVE_ENTRY = "circle_dissolve_refund"
GOAL_DEPOSIT_ENTRY = "savings_deposit"
GOAL_WITHDRAW_ENTRY = "savings_withdrawal"


class GoalLocked(ApiError):
    status_code = 403
    code = "goal_locked"
    message = _("This goal is locked until its date; early withdrawal is not allowed.")


class RecipientOverLimit(BalanceLimitExceeded):
    message = _("The member you owe cannot receive this now: it would pass the maximum balance of their "
                "verification level. Try again later.")


class TooManyInvitations(ApiError):
    """Every invitation texts the number the organiser typed: at most ``SAVINGS_INVITATIONS_PER_DAY`` a day."""

    status_code = 429
    code = "too_many_invitations"
    message = _("Too many invitations sent today. Try again tomorrow.")


class PenaltyApplies(Conflict):
    code = "early_withdrawal_penalty"
    message = _("Withdrawing before the lock date costs a penalty; confirm to go ahead.")


def _bad(field: str, message: str, *, code: str = "validation_error") -> ApiError:
    return ApiError(gettext("Some fields are invalid."), code=code, fields={field: [message]})


def _positive(value: Any, field: str = "amount") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _bad(field, gettext("Must be positive."), code="invalid_amount")
    return value


def _add_month(moment: datetime, anchor_day: int) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=min(anchor_day, calendar.monthrange(year, month)[1]))


def next_after(moment: datetime, *, frequency: str, anchor_day: int) -> datetime:
    if frequency == Frequency.DAILY:
        return moment + timedelta(days=1)
    if frequency == Frequency.WEEKLY:
        return moment + timedelta(weeks=1)
    return _add_month(moment, anchor_day)


def _sms(user: User | None, template: str, context: dict) -> None:
    """An SMS after commit (a task), in the user's language; never inside the money transaction."""
    if user is None or not settings.SAVINGS_SMS_NOTIFICATIONS or not user.phone:
        return
    _sms_to(user.phone, template, context, user=user)


def _sms_to(phone: str, template: str, context: dict, *, user: User | None = None) -> None:
    if not settings.SAVINGS_SMS_NOTIFICATIONS:
        return
    from tenant_apps.notifications.messages import render_message

    text = render_message(template=template, context=context, user=user).text
    enqueue("wallet.send_sms", phone, text, "savings", on_commit=True)


def _require_customer(user) -> None:
    if user.role not in ("customer", "agent"):
        raise Forbidden(gettext("Only customers can save here."), code="role_not_allowed")
    if not user.phone_verified_at or not user.phone:
        raise Forbidden(gettext("Verify your phone number before moving money."), code="phone_not_verified")
