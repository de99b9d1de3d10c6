"""Reading KYC state: satisfied requirements, current tier, today's spend."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from tenant_apps.accounts.country import current_adapter
from tenant_apps.accounts.models import User

from .models import DOCUMENT_REQUIREMENTS, KycDocument, KycSpend, KycStatus, KycSubmission


def kyc_satisfied_requirements(*, user: User) -> set[str]:
    """What the user has proved: ``phone``, approved schemes (``bvn``...), ``selfie``, ``address``."""
    satisfied: set[str] = set()
    if user.phone_verified_at is not None:
        satisfied.add("phone")
    approved = KycSubmission.objects.filter(user=user, status=KycStatus.APPROVED)
    satisfied.update(approved.values_list("scheme", flat=True))
    kinds = KycDocument.objects.filter(submission__in=approved).values_list("kind", flat=True)
    satisfied.update(DOCUMENT_REQUIREMENTS[kind] for kind in kinds if kind in DOCUMENT_REQUIREMENTS)
    return satisfied


def kyc_current_tier(*, user: User) -> Any | None:
    """The highest tier of the country whose requirements are all met (None: not even the phone)."""
    satisfied = kyc_satisfied_requirements(user=user)
    reachable = [tier for tier in current_adapter().kyc_tiers if set(tier.requires) <= satisfied]
    return max(reachable, key=lambda tier: tier.level) if reachable else None


def _today_start() -> datetime:
    now = timezone.now()
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)


def kyc_spent_today(*, user: User, currency: str) -> int:
    """Minor units moved since midnight UTC (reversals included)."""
    total = (KycSpend.objects.filter(user=user, currency=currency, occurred_at__gte=_today_start())
             .aggregate(total=Sum("amount_minor"))["total"])
    return int(total or 0)


def kyc_submissions(*, status: str = "", user: User | None = None) -> QuerySet[KycSubmission]:
    submissions = KycSubmission.objects.select_related("user", "reviewed_by").prefetch_related("documents")
    if status:
        submissions = submissions.filter(status=status)
    if user is not None:
        submissions = submissions.filter(user=user)
    return submissions
