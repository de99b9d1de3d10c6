"""Reads of the ledger: balances, holds, statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.db.models import Case, CharField, F, OuterRef, QuerySet, Subquery, Sum, Value, When

from .models import WALLET_KINDS, Account, Hold, HoldStatus, Posting

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class StatementFields(TypedDict):
    """What :func:`wallet_statement` adds to each posting."""

    entry_type: str
    reference: str
    created_at: datetime
    hold_status: str | None
    status: str


StatementLine: TypeAlias = "WithAnnotations[Posting, StatementFields]"


def postings_total(*, account: Account) -> int:
    """The account's balance as the ledger sees it: the sum of its postings."""
    return Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0


def account_balance(*, account: Account) -> int:
    """Wallets: the cached balance (re-read); system accounts: summed from postings."""
    if account.kind in WALLET_KINDS:
        balance = Account.objects.values_list("balance", flat=True).get(pk=account.pk)
        assert balance is not None  # every wallet has a cached balance (ledger_account_wallet_shape)
        return balance
    return postings_total(account=account)


def system_balance(*, kind: str, currency: str) -> int:
    return Posting.objects.filter(account__kind=kind, account__owner__isnull=True,
                                  currency=currency).aggregate(total=Sum("amount"))["total"] or 0


def on_hold_total(*, wallet: Account) -> int:
    return Hold.objects.filter(wallet=wallet, status=HoldStatus.PLACED).aggregate(total=Sum("amount"))["total"] or 0


@dataclass(frozen=True)
class WalletBalance:
    wallet: Account
    available: int
    on_hold: int

    @property
    def currency(self) -> str:
        return self.wallet.currency


def wallet_balances(*, user) -> list[WalletBalance]:
    """Every wallet of the user: available (the cached balance) and on hold (placed holds)."""
    wallets = list(Account.objects.filter(owner=user, kind__in=sorted(WALLET_KINDS)).order_by("currency", "kind"))
    held = dict(Hold.objects.filter(wallet__in=wallets, status=HoldStatus.PLACED).values("wallet_id")
                .annotate(total=Sum("amount")).values_list("wallet_id", "total"))
    return [WalletBalance(wallet=w, available=w.balance or 0, on_hold=held.get(w.pk, 0)) for w in wallets]


class StatementStatus:
    """A statement line is ``completed``, or for a hold: ``pending`` (placed), ``completed`` or ``released``."""

    COMPLETED = "completed"
    PENDING = "pending"
    RELEASED = "released"
    ALL = (COMPLETED, PENDING, RELEASED)


def wallet_statement(*, user, currency: str | None = None, entry_type: str | None = None,
                     status: str | None = None, date_from: date | None = None,
                     date_to: date | None = None) -> QuerySet[StatementLine]:
    """The user's wallet postings, newest first, annotated with entry fields and a display status."""
    postings = (
        Posting.objects.filter(account__owner=user, account__kind__in=sorted(WALLET_KINDS))
        .select_related("entry", "account")
        .annotate(
            entry_type=F("entry__entry_type"),
            reference=F("entry__reference"),
            created_at=F("entry__created_at"),
            hold_status=Subquery(Hold.objects.filter(place_entry=OuterRef("entry")).values("status")[:1]),
        )
        .annotate(
            status=Case(
                When(hold_status=HoldStatus.PLACED, then=Value(StatementStatus.PENDING)),
                When(hold_status=HoldStatus.RELEASED, then=Value(StatementStatus.RELEASED)),
                default=Value(StatementStatus.COMPLETED),
                output_field=CharField(),
            ),
        )
    )
    if currency:
        postings = postings.filter(currency=currency)
    if entry_type:
        postings = postings.filter(entry__entry_type=entry_type)
    if date_from:
        postings = postings.filter(entry__created_at__date__gte=date_from)
    if date_to:
        postings = postings.filter(entry__created_at__date__lte=date_to)
    if status:
        postings = postings.filter(status=status)
    return postings.order_by("-entry__created_at", "-id")
