"""Remittance reads: history, the review queue, and the reconciliation of this tenant's side.

``remittance_discrepancies`` runs in every tenant from ``reconcile_ledger`` (``LEDGER_RECONCILE_CHECKS``):

* the ``remittance_clearing`` account, per currency, equals what this tenant's steps put there
  (+ principal sent, - principal refunded, - amount credited or paid out, + amount returned);
* a final remittance's steps match its status, and its hold is closed;
* each final remittance mirrors the hub: what it moved on this tenant's clearing account is the opposite of
  what the hub's position with this tenant moved for it;
* a received remittance's holder account (payouts) is empty once it is paid out or returned.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, QuerySet, Sum

from tenant_apps.ledger.models import Account, AccountKind, Hold, HoldStatus, Posting
from tenants.connection import current_schema

from .models import (
    REMITTANCE_FINAL,
    InboundRemittance,
    InboundStatus,
    Remittance,
    RemittanceStatus,
    RemittanceStep,
)


def remittances_of(*, user) -> QuerySet[Remittance]:
    return Remittance.objects.filter(sender=user).order_by("-created_at")


def remittance_of(*, user, public_id) -> Remittance | None:
    return remittances_of(user=user).filter(public_id=public_id).first()


def received_by(*, user) -> QuerySet[InboundRemittance]:
    return InboundRemittance.objects.filter(recipient=user).order_by("-created_at")


def review_queue() -> QuerySet[Remittance]:
    return Remittance.objects.filter(status=RemittanceStatus.HELD_FOR_REVIEW).select_related("sender", "quote") \
        .order_by("created_at")


def staff_list(*, status: str = "") -> QuerySet[Remittance]:
    rows = Remittance.objects.select_related("sender").order_by("-created_at")
    return rows.filter(status=status) if status else rows


def remittance_discrepancies() -> list:
    from shared_apps.remittance_hub.selectors import position_by_remittance
    from tenant_apps.wallet.selectors import Discrepancy

    found: list[Discrepancy] = []
    schema = current_schema()
    steps: dict[str, set[str]] = defaultdict(set)
    for remittance_id, step in RemittanceStep.objects.values_list("remittance_id", "step"):
        steps[str(remittance_id)].add(step)
    expected: dict[str, int] = defaultdict(int)
    per_remittance: dict[str, int] = defaultdict(int)
    sent = {str(r["public_id"]): r for r in Remittance.objects.values(
        "public_id", "principal_minor", "send_currency", "status", "hold__status")}
    for public_id, row in sent.items():
        done = steps.get(public_id, set())
        delta = (row["principal_minor"] if "debit" in done else 0) - (row["principal_minor"] if "refund" in done else 0)
        expected[row["send_currency"]] += delta
        per_remittance[public_id] += delta
        status = row["status"]
        if status in REMITTANCE_FINAL and row["hold__status"] == HoldStatus.PLACED:
            found.append(Discrepancy("remittance_final_hold_open", f"remittance {public_id}", 0, 1, status))
        if status in (RemittanceStatus.CREDITED, RemittanceStatus.PAID_OUT) and done != {"debit"}:
            found.append(Discrepancy("remittance_steps_do_not_match", f"remittance {public_id}", 0, 0,
                                     f"{status}: {sorted(done)}"))
        if status == RemittanceStatus.REFUNDED and "debit" in done and "refund" not in done:
            found.append(Discrepancy("remittance_refund_missing", f"remittance {public_id}", 0, 0, status))
    received = {str(r["public_id"]): r for r in InboundRemittance.objects.values(
        "public_id", "amount_minor", "currency", "status")}
    for public_id, inbound in received.items():
        done = steps.get(public_id, set())
        delta = (-inbound["amount_minor"] if done & {"credit", "payout"} else 0) + \
            (inbound["amount_minor"] if "return" in done else 0)
        expected[inbound["currency"]] += delta
        per_remittance[public_id] += delta
    clearing = dict(Posting.objects.filter(account__kind=AccountKind.REMITTANCE_CLEARING)
                    .values_list("currency").annotate(total=Sum("amount")).values_list("currency", "total"))
    for currency in sorted(set(clearing) | set(expected)):
        if clearing.get(currency, 0) != expected.get(currency, 0):
            found.append(Discrepancy("remittance_clearing_mismatch", f"remittance_clearing {currency}",
                                     expected.get(currency, 0), clearing.get(currency, 0), "vs the steps done here"))
    hub = position_by_remittance(tenant_schema=schema)
    final = {pid for pid, r in sent.items() if r["status"] in REMITTANCE_FINAL} | \
        {pid for pid, r in received.items() if r["status"] in (InboundStatus.CREDITED, InboundStatus.PAID_OUT,
                                                                InboundStatus.RETURNED)}
    for public_id in sorted(final):
        if per_remittance.get(public_id, 0) + hub.get(public_id, 0) != 0 and _hub_closed(public_id):
            found.append(Discrepancy("remittance_hub_mirror_mismatch", f"remittance {public_id}",
                                     -hub.get(public_id, 0), per_remittance.get(public_id, 0)))
    holders = (Account.objects.filter(kind=AccountKind.REMITTANCE).filter(~Q(balance=0))
               .values_list("holder", "balance"))
    closed = {str(p) for p in InboundRemittance.objects.filter(
        status__in=(InboundStatus.PAID_OUT, InboundStatus.RETURNED)).values_list("public_id", flat=True)}
    for holder, balance in holders:
        if holder.split(":", 1)[-1] in closed:
            assert balance is not None  # holder accounts carry a cached balance
            found.append(Discrepancy("remittance_holder_not_empty", holder, 0, balance))
    placed = Hold.objects.filter(reference__startswith="remit:", status=HoldStatus.PLACED).count()
    waiting = Remittance.objects.filter(status__in=(RemittanceStatus.ACCEPTED, RemittanceStatus.HELD_FOR_REVIEW)) \
        .count()
    if placed != waiting:
        found.append(Discrepancy("remittance_holds_mismatch", "placed remittance holds", waiting, placed))
    return found


def _hub_closed(public_id: str) -> bool:
    """A received remittance is final here before the hub's ``out``/``refund`` step runs: only compare
    once the hub closed it too (the sweeper finishes the rest)."""
    from shared_apps.remittance_hub.models import HubTransfer, HubTransferStatus

    return HubTransfer.objects.filter(public_id=public_id).exclude(status=HubTransferStatus.IN_CLEARING).exists()
