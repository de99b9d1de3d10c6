"""Reads of savings: a member's circles, a circle's board (who paid, who missed), goals, reconciliation."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from .models import (
    Circle,
    CircleMember,
    CirclePayout,
    Contribution,
    ContributionStatus,
    MemberStatus,
    SavingsGoal,
)


def circles_for(*, user) -> QuerySet[Circle]:
    """Circles the user organises or belongs to (members only: an invitation is not membership)."""
    return Circle.objects.filter(Q(organiser=user) | Q(members__user=user, members__status=MemberStatus.ACTIVE)) \
        .distinct().select_related("account").order_by("-created_at", "-id")


def circle_for(*, user, public_id) -> Circle | None:
    """A circle the user may see: organiser, member, or invited by their verified phone."""
    circle = Circle.objects.select_related("account", "organiser").filter(public_id=public_id).first()
    if circle is None:
        return None
    if circle.organiser_id == user.pk or circle.members.filter(user=user, status=MemberStatus.ACTIVE).exists():
        return circle
    if user.phone and user.phone_verified_at and circle.members.filter(
            phone=user.phone, status=MemberStatus.INVITED).exists():
        return circle
    return None


@dataclass(frozen=True)
class BoardRow:
    member: CircleMember
    cells: list[Contribution | None]  # one per cycle, None: not opened yet
    payout: CirclePayout | None
    owes_minor: int


def circle_board(*, circle: Circle) -> list[BoardRow]:
    """Every member in rotation order with each cycle's contribution status: what the group sees."""
    members = list(circle.members.filter(status__in=[MemberStatus.ACTIVE, MemberStatus.INVITED])
                   .select_related("user").order_by("position", "id"))
    cycles = max(circle.cycles_total, 1)
    grid: dict[tuple[int, int], Contribution] = {
        (c.member_id, c.cycle): c for c in Contribution.objects.filter(circle=circle)}
    payouts = {p.member_id: p for p in CirclePayout.objects.filter(circle=circle)}
    rows = []
    for member in members:
        cells = [grid.get((member.pk, cycle)) for cycle in range(1, cycles + 1)]
        owes = sum(c.amount_minor for c in cells if c is not None and c.status == ContributionStatus.MISSED
                   and c.owed_to_id is not None)
        rows.append(BoardRow(member=member, cells=cells, payout=payouts.get(member.pk), owes_minor=owes))
    return rows


def missed_contributions(*, limit: int = 200) -> QuerySet[Contribution]:
    """The operator's view: flagged contributions not made good."""
    return Contribution.objects.filter(status=ContributionStatus.MISSED).select_related("circle", "member") \
        .order_by("-flagged_at")[:limit]


def goals_for(*, owner) -> QuerySet[SavingsGoal]:
    return SavingsGoal.objects.filter(owner=owner).select_related("account").order_by("-created_at", "-id")


# --- reconciliation (called by tenant_apps.wallet.selectors.ledger_discrepancies) ------------------

# A circle's account holds exactly what was collected and not yet paid out or refunded:
# collected contributions - pots paid - dissolution refunds (both read from the ledger's own entries).
_CIRCLES = """
SELECT c.public_id::text, a.currency, COALESCE(led.total, 0), COALESCE(col.total, 0) - COALESCE(paid.total, 0),
       a.balance
FROM savings_circle c JOIN ledger_account a ON a.id = c.account_id
LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_posting GROUP BY account_id) led ON led.account_id = a.id
LEFT JOIN (SELECT circle_id, SUM(amount_minor) AS total FROM savings_contribution
           WHERE status = 'collected' GROUP BY circle_id) col ON col.circle_id = c.id
LEFT JOIN (SELECT c2.id AS circle_id, -SUM(p.amount) AS total FROM savings_circle c2
           JOIN ledger_posting p ON p.account_id = c2.account_id JOIN ledger_journalentry e ON e.id = p.entry_id
           WHERE e.entry_type IN ('circle_pot', 'circle_dissolve_refund') GROUP BY c2.id) paid ON paid.circle_id = c.id
WHERE COALESCE(led.total, 0) <> COALESCE(col.total, 0) - COALESCE(paid.total, 0) OR a.balance <> COALESCE(led.total, 0)
ORDER BY c.id
"""
# Each pot row against its entry: what left the circle account is what the cycle collected (a pot held for a
# wallet's maximum balance has no entry yet: nothing left).
_POTS = """
SELECT c.public_id::text, po.cycle, po.collected_minor, COALESCE(-SUM(p.amount), 0)
FROM savings_circlepayout po JOIN savings_circle c ON c.id = po.circle_id
LEFT JOIN ledger_posting p ON p.entry_id = po.entry_id AND p.account_id = c.account_id
GROUP BY c.public_id, po.id, po.cycle, po.collected_minor, po.status
HAVING (CASE WHEN po.status = 'held' THEN 0 ELSE po.collected_minor END) <> COALESCE(-SUM(p.amount), 0)
ORDER BY po.id
"""
# A finished circle (completed or dissolved) holds nothing but its held pots.
_ENDED_NOT_EMPTY = """
SELECT c.public_id::text, c.status, a.balance, COALESCE(held.total, 0)
FROM savings_circle c JOIN ledger_account a ON a.id = c.account_id
LEFT JOIN (SELECT circle_id, SUM(collected_minor) AS total FROM savings_circlepayout WHERE status = 'held'
           GROUP BY circle_id) held ON held.circle_id = c.id
WHERE c.status IN ('completed', 'cancelled') AND a.balance <> COALESCE(held.total, 0) ORDER BY c.id
"""
# A goal's account against its deposits and withdrawals (entries of those types only touch it).
_GOALS = """
SELECT g.public_id::text, a.currency, a.balance, COALESCE(led.total, 0), COALESCE(typed.total, 0)
FROM savings_savingsgoal g JOIN ledger_account a ON a.id = g.account_id
LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_posting GROUP BY account_id) led ON led.account_id = a.id
LEFT JOIN (SELECT p.account_id, SUM(p.amount) AS total FROM ledger_posting p
           JOIN ledger_journalentry e ON e.id = p.entry_id
           WHERE e.entry_type IN ('savings_deposit', 'savings_withdrawal') GROUP BY p.account_id) typed
       ON typed.account_id = a.id
WHERE a.balance <> COALESCE(led.total, 0) OR COALESCE(led.total, 0) <> COALESCE(typed.total, 0)
ORDER BY g.id
"""


def savings_discrepancies() -> list:
    from tenant_apps.wallet.selectors import Discrepancy

    found: list[Discrepancy] = []
    with connection.cursor() as cursor:
        cursor.execute(_CIRCLES)
        for public_id, currency, ledger_total, expected, cached in cursor.fetchall():
            found.append(Discrepancy("circle_account_mismatch", f"circle {public_id} {currency}", expected,
                                     ledger_total, f"cached {cached}; contributions - pots - refunds"))
        cursor.execute(_POTS)
        for public_id, cycle, collected, moved in cursor.fetchall():
            found.append(Discrepancy("circle_pot_mismatch", f"circle {public_id} cycle {cycle}", collected, moved))
        cursor.execute(_ENDED_NOT_EMPTY)
        for public_id, status, balance, held in cursor.fetchall():
            found.append(Discrepancy("circle_ended_not_empty", f"circle {public_id} ({status})", held, balance,
                                     "an ended circle holds only its held pots"))
        cursor.execute(_GOALS)
        for public_id, currency, cached, ledger_total, typed in cursor.fetchall():
            found.append(Discrepancy("goal_account_mismatch", f"goal {public_id} {currency}", typed, ledger_total,
                                     f"cached {cached}; deposits - withdrawals"))
    return found
