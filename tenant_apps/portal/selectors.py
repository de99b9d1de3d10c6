"""Figures for the operator dashboard (what exists today: users, KYC queue, wallet totals)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Sum

from tenant_apps.accounts.models import Role, User
from tenant_apps.kyc.models import KycStatus, KycSubmission
from tenant_apps.ledger.models import WALLET_KINDS, Account, AccountKind, Hold, HoldStatus


@dataclass(frozen=True)
class WalletTotal:
    currency: str
    kind: str
    wallets: int
    balance: int
    on_hold: int

    @property
    def kind_label(self) -> str:
        """The kind's name in the page's language (read while the template renders); a code it does not know stays."""
        return str(AccountKind(self.kind).label) if self.kind in AccountKind.values else self.kind


@dataclass(frozen=True)
class DashboardFigures:
    users_by_role: dict[str, int]
    users_total: int
    phone_verified: int
    kyc_pending: int
    kyc_approved: int
    wallet_totals: list[WalletTotal]


def dashboard_figures() -> DashboardFigures:
    by_role = dict(User.objects.values_list("role").annotate(n=Count("id")).values_list("role", "n"))
    held = {(row["wallet__currency"], row["wallet__kind"]): row["total"] for row in
            Hold.objects.filter(status=HoldStatus.PLACED).values("wallet__currency", "wallet__kind")
            .annotate(total=Sum("amount"))}
    totals = [
        WalletTotal(currency=row["currency"], kind=row["kind"], wallets=row["wallets"], balance=row["balance"] or 0,
                    on_hold=held.get((row["currency"], row["kind"]), 0) or 0)
        for row in Account.objects.filter(kind__in=sorted(WALLET_KINDS)).values("currency", "kind")
        .annotate(wallets=Count("id"), balance=Sum("balance")).order_by("currency", "kind")
    ]
    kyc = dict(KycSubmission.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return DashboardFigures(
        users_by_role={role: by_role.get(role, 0) for role in Role.values if role in by_role},
        users_total=sum(by_role.values()),
        phone_verified=User.objects.filter(phone_verified_at__isnull=False).count(),
        kyc_pending=kyc.get(KycStatus.PENDING, 0),
        kyc_approved=kyc.get(KycStatus.APPROVED, 0),
        wallet_totals=totals,
    )
