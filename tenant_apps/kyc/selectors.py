"""Reading KYC state: satisfied requirements, current tier, today's spend."""

from __future__ import annotations

from dataclasses import dataclass
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
    return tier_for_requirements(kyc_satisfied_requirements(user=user))


def tier_for_requirements(satisfied: set[str]) -> Any | None:
    reachable = [tier for tier in current_adapter().kyc_tiers if set(tier.requires) <= satisfied]
    return max(reachable, key=lambda tier: tier.level) if reachable else None


def today_start() -> datetime:
    now = timezone.now()
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)


def kyc_spent_today(*, user: User, currency: str) -> int:
    """Minor units moved since midnight UTC (reversals included)."""
    total = (KycSpend.objects.filter(user=user, currency=currency, occurred_at__gte=today_start())
             .aggregate(total=Sum("amount_minor"))["total"])
    return int(total or 0)


def kyc_submissions(*, status: str = "", user: User | None = None) -> QuerySet[KycSubmission]:
    submissions = KycSubmission.objects.select_related("user", "reviewed_by").prefetch_related("documents")
    if status:
        submissions = submissions.filter(status=status)
    if user is not None:
        submissions = submissions.filter(user=user)
    return submissions


# --- the maximum wallet balance of a tier (issue 14) -------------------------------------------

def kyc_balance_tier(*, user: User) -> Any | None:
    """The tier whose ``max_balance_minor`` caps the user's wallet: the current one, or the country's
    lowest while the user has none yet (a wallet never holds more than the lowest tier allows)."""
    tier = kyc_current_tier(user=user)
    if tier is not None:
        return tier
    tiers = list(current_adapter().kyc_tiers)
    return min(tiers, key=lambda item: item.level) if tiers else None


@dataclass(frozen=True)
class BalanceRoom:
    """What the wallet may still receive: ``cap`` (None: no cap), what it holds (balance + money on hold)."""

    cap: int | None
    holdings: int
    tier: Any | None

    @property
    def headroom(self) -> int | None:
        return None if self.cap is None else max(self.cap - self.holdings, 0)


def kyc_balance_room(*, user: User, currency: str) -> BalanceRoom:
    """The customer wallet's cap and holdings (agents' wallets are business money: no cap)."""
    from tenant_apps.ledger.models import AccountKind, Hold, HoldStatus
    from tenant_apps.ledger.services import wallet_for

    wallet = wallet_for(user=user, currency=currency, create=False)
    if (wallet is not None and wallet.kind != AccountKind.USER_WALLET) or getattr(user, "role", "") == "agent":
        return BalanceRoom(cap=None, holdings=wallet.wallet_balance if wallet else 0, tier=None)
    held = 0
    if wallet is not None:
        held = Hold.objects.filter(wallet=wallet, status=HoldStatus.PLACED).aggregate(total=Sum("amount"))["total"]
    holdings = (wallet.wallet_balance if wallet is not None else 0) + int(held or 0)
    tier = kyc_balance_tier(user=user)
    return BalanceRoom(cap=tier.max_balance_minor if tier is not None else None, holdings=holdings, tier=tier)
