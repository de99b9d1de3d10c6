"""Subscriptions: create/pause/resume/cancel, and the beat run that buys what is due.

Each run goes through the same ``purchase_create`` as the API (price, KYC, hold,
outbox), once per (subscription, scheduled time) thanks to the order's dedupe key.
Insufficient funds are retried every ``SUBSCRIPTIONS_RETRY_SECONDS``; after
``SUBSCRIPTIONS_MAX_FAILURES`` failures in a row the subscription pauses and the
buyer gets an SMS. Anything else the buyer must fix (product withdrawn, KYC limit)
pauses it at once.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shared_apps.core.enqueue import enqueue
from shared_apps.core.errors import ApiError, Conflict, run_after_rollback
from tenant_apps.ledger.errors import InsufficientFunds
from tenant_apps.orders import errors as order_errors
from tenant_apps.orders.services import BILL_TYPES
from tenant_apps.orders.services import create as orders

from .models import Frequency, Subscription, SubscriptionStatus

logger = logging.getLogger(__name__)


def _add_month(moment: datetime, anchor_day: int) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_run_after(moment: datetime, *, frequency: str, anchor_day: int) -> datetime:
    if frequency == Frequency.DAILY:
        return moment + timedelta(days=1)
    if frequency == Frequency.WEEKLY:
        return moment + timedelta(weeks=1)
    return _add_month(moment, anchor_day)


def subscription_create(*, user, product_id: Any, frequency: str, recipient_phone: str,
                        amount_minor: int | None = None, customer_number: str = "",
                        end_date: date | None = None, start_at: datetime | None = None) -> Subscription:
    """Validate like a purchase (product, recipient network, price) without buying; the first run is now."""
    from tenant_apps.pricing.quotes import quote_price

    if frequency not in Frequency.values:
        raise ApiError(gettext("Choose daily, weekly or monthly."), code="invalid_frequency",
                       fields={"frequency": [gettext("Unknown frequency.")]})
    now = start_at or timezone.now()
    if end_date is not None and end_date < now.date():
        raise ApiError(gettext("The end date is in the past."), code="invalid_end_date",
                       fields={"end_date": [gettext("In the past.")]})
    product = orders.active_product(product_id=product_id)
    phone = orders.validated_recipient(product=product, recipient_phone=recipient_phone)
    if product.product_type in BILL_TYPES and not customer_number:
        raise order_errors.CustomerNumberRequired(fields={"customer_number": [gettext("Required.")]})
    quote_price(product=product, amount_minor=amount_minor if product.is_open_amount else None, buyer=user)
    return Subscription.objects.create(
        user=user, product_id=product.pk, product_name=product.name, frequency=frequency, recipient_phone=phone,
        customer_number=customer_number or "", amount_minor=amount_minor if product.is_open_amount else None,
        end_date=end_date, anchor_day=now.day, next_run_at=now)


def _locked(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update().get(pk=subscription.pk)  # lock: subject


@transaction.atomic
def subscription_pause(*, subscription: Subscription, reason: str = "by_user") -> Subscription:
    sub = _locked(subscription)
    if sub.status != SubscriptionStatus.ACTIVE:
        raise Conflict(gettext("Only an active subscription can be paused."), code="subscription_not_active")
    sub.status, sub.paused_reason = SubscriptionStatus.PAUSED, reason
    sub.save(update_fields=["status", "paused_reason", "updated_at"])
    return sub


@transaction.atomic
def subscription_resume(*, subscription: Subscription) -> Subscription:
    sub = _locked(subscription)
    if sub.status != SubscriptionStatus.PAUSED:
        raise Conflict(gettext("Only a paused subscription can be resumed."), code="subscription_not_paused")
    now = timezone.now()
    sub.status, sub.paused_reason, sub.failure_count = SubscriptionStatus.ACTIVE, "", 0
    if sub.next_run_at is None or sub.next_run_at < now:
        sub.next_run_at = now
    sub.save(update_fields=["status", "paused_reason", "failure_count", "next_run_at", "updated_at"])
    return sub


@transaction.atomic
def subscription_cancel(*, subscription: Subscription) -> Subscription:
    sub = _locked(subscription)
    if sub.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.ENDED):
        return sub
    sub.status, sub.next_run_at = SubscriptionStatus.CANCELLED, None
    sub.save(update_fields=["status", "next_run_at", "updated_at"])
    return sub


def _notify_paused(sub: Subscription, reason: str) -> None:
    enqueue("subscriptions.notify_paused", sub.pk, reason, on_commit=True)


def subscription_notify_paused(*, subscription_id: int, reason: str) -> None:
    from tenant_apps.notifications.messages import notify_sms

    sub = Subscription.objects.select_related("user").filter(pk=subscription_id).first()
    if sub is None:
        return
    phone = sub.user.phone
    if not phone:
        return
    notify_sms(to=phone, template="subscription_paused", purpose="subscription_paused", user=sub.user,
               context={"product": f"{sub.get_frequency_display().lower()} {sub.product_name}",
                        "recipient": sub.recipient_phone, "reason": reason})


def _pause(sub: Subscription, exc: ApiError, *, now: datetime) -> str:
    run_after_rollback(exc)  # e.g. the record of a purchase a risk rule blocked
    logger.info("subscription %s paused: %s", sub.public_id, exc.code)
    sub.status, sub.paused_reason, sub.last_run_at = SubscriptionStatus.PAUSED, exc.code[:60], now
    _notify_paused(sub, exc.code)
    sub.save()
    return "paused"


def _verify_before_the_run(pk: int) -> tuple[str | None, ApiError | None]:
    """The biller's name for a bill subscription's customer number, asked OUTSIDE any transaction (no outbound
    HTTP while the subscription row and the buyer are locked, issue 20): (name, None), or (None, the refusal)."""
    sub = Subscription.objects.filter(pk=pk).first()
    if sub is None:
        return None, None
    try:
        return orders.purchase_verified_name(product_id=sub.product_id, recipient_phone=sub.recipient_phone,
                                             customer_number=sub.customer_number), None
    except ApiError as exc:
        return None, exc


def _run_one(sub: Subscription, *, now: datetime, verified_name: str | None = None,
             refusal: ApiError | None = None) -> str:
    scheduled = sub.next_run_at
    assert scheduled is not None  # due: selected by next_run_at <= now
    if sub.end_date is not None and scheduled.date() > sub.end_date:
        sub.status, sub.next_run_at = SubscriptionStatus.ENDED, None
        sub.save(update_fields=["status", "next_run_at", "updated_at"])
        return "ended"
    if refusal is not None:  # the biller refused the customer number before the run (_verify_before_the_run)
        return _pause(sub, refusal, now=now)
    try:
        with transaction.atomic():
            order = orders.purchase_create(
                user=sub.user, product_id=sub.product_id, recipient_phone=sub.recipient_phone,
                amount_minor=sub.amount_minor, customer_number=sub.customer_number, confirm_duplicate=True,
                dedupe_key=f"sub-{sub.public_id.hex}-{scheduled:%Y%m%d%H%M}", subscription_id=sub.pk,
                source="subscription", verified_name=verified_name)
    except InsufficientFunds:
        sub.failure_count += 1
        if sub.failure_count >= settings.SUBSCRIPTIONS_MAX_FAILURES:
            sub.status, sub.paused_reason = SubscriptionStatus.PAUSED, "insufficient_funds"
            _notify_paused(sub, "insufficient_funds")
            outcome = "paused"
        else:
            sub.next_run_at = now + timedelta(seconds=settings.SUBSCRIPTIONS_RETRY_SECONDS)
            outcome = "retry"
        sub.last_run_at = now
        sub.save()
        return outcome
    except ApiError as exc:
        return _pause(sub, exc, now=now)
    sub.failure_count = 0
    sub.runs_count += 1
    sub.last_order_id, sub.last_run_at = order.pk, now
    following = next_run_after(scheduled, frequency=sub.frequency, anchor_day=sub.anchor_day)
    while following <= now:  # missed periods (beat was down) are skipped, not bought in a burst
        following = next_run_after(following, frequency=sub.frequency, anchor_day=sub.anchor_day)
    sub.next_run_at = following
    if sub.end_date is not None and following.date() > sub.end_date:
        sub.status, sub.next_run_at = SubscriptionStatus.ENDED, None
    sub.save()
    return "bought"


def subscriptions_run_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Buy every due subscription of the current schema once (what the beat task runs per tenant)."""
    now = now or timezone.now()
    results: dict[str, int] = {}
    due = (Subscription.objects.filter(status=SubscriptionStatus.ACTIVE, next_run_at__lte=now)
           .order_by("next_run_at").values_list("pk", flat=True)[:limit])
    for pk in list(due):
        verified_name, refusal = _verify_before_the_run(pk)
        with transaction.atomic():
            sub = (Subscription.objects.select_for_update(skip_locked=True).select_related("user")  # lock: subject
                   .filter(pk=pk, status=SubscriptionStatus.ACTIVE, next_run_at__lte=now).first())
            if sub is None:
                continue  # another beat run has it
            outcome = _run_one(sub, now=now, verified_name=verified_name, refusal=refusal)
        results[outcome] = results.get(outcome, 0) + 1
    return results


def subscriptions_run_due_all_tenants(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Every active tenant's due subscriptions. A suspended tenant's wait: its domain refuses everyone, so its
    customers could not pause or cancel what the beat would buy (after the reactivation the due run is bought
    once; missed periods are skipped)."""
    from django_tenants.utils import schema_context

    from tenants.models import TenantStatus
    from tenants.selectors import tenant_list

    results = {}
    for tenant in tenant_list().exclude(status=TenantStatus.SUSPENDED):
        with schema_context(tenant.schema_name):
            results[tenant.schema_name] = subscriptions_run_due(now=now)
    return results
