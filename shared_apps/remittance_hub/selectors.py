"""The hub's reads: balances and the reconciliation of the corridor clearing accounts (reports, never fixes)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum

from .models import HubAccount, HubAccountKind, HubEntry, HubPosting, HubTransfer, HubTransferStatus
from .services import STEP_IN, STEP_OUT, STEP_REFUND


@dataclass(frozen=True)
class HubDiscrepancy:
    kind: str
    subject: str
    expected: int
    actual: int
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}: expected {self.expected}, found {self.actual} {self.detail}".strip()


def account_balance(account: HubAccount) -> int:
    return account.postings.aggregate(total=Sum("amount"))["total"] or 0


def positions() -> dict[tuple[str, str], int]:
    """The hub's position with each tenant, per currency: (schema, currency) -> balance."""
    rows = (HubPosting.objects.filter(account__kind=HubAccountKind.TENANT_POSITION)
            .values("account__tenant_schema", "currency").annotate(total=Sum("amount")))
    return {(r["account__tenant_schema"], r["currency"]): r["total"] for r in rows}


def position_by_remittance(*, tenant_schema: str) -> dict[str, int]:
    """Per remittance id: what the hub's position with ``tenant_schema`` moved (the tenant's mirror)."""
    rows = (HubPosting.objects.filter(account__kind=HubAccountKind.TENANT_POSITION,
                                      account__tenant_schema=tenant_schema)
            .values("entry__remittance_id").annotate(total=Sum("amount")))
    return {str(r["entry__remittance_id"]): r["total"] for r in rows}


def corridor_figures() -> dict[str, dict[str, int]]:
    """Per corridor: sent, released (settled), refunded, in transit (principal, send currency), clearing."""
    figures: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "settled": 0, "refunded": 0,
                                                              "in_transit": 0, "clearing": 0, "count": 0})
    for row in HubTransfer.objects.values("corridor", "status").annotate(total=Sum("principal_minor")):
        bucket = figures[row["corridor"]]
        key_of: dict[str, str] = {HubTransferStatus.IN_CLEARING: "in_transit", HubTransferStatus.SETTLED: "settled",
                                  HubTransferStatus.REFUNDED: "refunded"}
        key = key_of[row["status"]]
        bucket[key] += row["total"] or 0
    for clearing in (HubPosting.objects.filter(account__kind=HubAccountKind.CORRIDOR_CLEARING)
                .values("account__corridor").annotate(total=Sum("amount"))):
        figures[clearing["account__corridor"]]["clearing"] = clearing["total"] or 0
    for sent in (HubPosting.objects.filter(account__kind=HubAccountKind.CORRIDOR_CLEARING, amount__gt=0)
                 .values("account__corridor").annotate(total=Sum("amount"))):
        figures[sent["account__corridor"]]["sent"] = sent["total"] or 0
    return dict(figures)


def hub_discrepancies() -> list[HubDiscrepancy]:
    """Every hub entry balances per currency; per corridor the clearing balance equals the principal in
    transit, and sent = released + refunded + in transit; every transfer's entries match its status."""
    found: list[HubDiscrepancy] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT e.reference, p.currency, SUM(p.amount) FROM remittance_hub_hubposting p "
                       "JOIN remittance_hub_hubentry e ON e.id = p.entry_id GROUP BY e.reference, p.currency "
                       "HAVING SUM(p.amount) <> 0")
        for reference, currency, total in cursor.fetchall():
            found.append(HubDiscrepancy("hub_entry_unbalanced", reference, 0, total, currency))
    for corridor, f in sorted(corridor_figures().items()):
        if f["clearing"] != f["in_transit"]:
            found.append(HubDiscrepancy("hub_clearing_not_in_transit", corridor, f["in_transit"], f["clearing"]))
        if f["sent"] != f["settled"] + f["refunded"] + f["in_transit"]:
            found.append(HubDiscrepancy("hub_sent_not_accounted", corridor, f["sent"],
                                        f["settled"] + f["refunded"] + f["in_transit"]))
    steps: dict[str, set[str]] = defaultdict(set)
    for remittance_id, step in HubEntry.objects.values_list("remittance_id", "step"):
        steps[str(remittance_id)].add(step)
    expected: dict[str, set[str]] = {HubTransferStatus.IN_CLEARING: {STEP_IN},
                                     HubTransferStatus.SETTLED: {STEP_IN, STEP_OUT},
                                     HubTransferStatus.REFUNDED: {STEP_IN, STEP_REFUND}}
    for public_id, status in HubTransfer.objects.values_list("public_id", "status"):
        if steps.get(str(public_id), set()) != expected[status]:
            found.append(HubDiscrepancy("hub_steps_do_not_match_status", str(public_id), 0, 0,
                                        f"{status}: {sorted(steps.get(str(public_id), set()))}"))
    return found
