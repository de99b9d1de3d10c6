"""Savings circles (with ``goals.py``, target savings, the only writes of this app; money through
``ledger.services``).

Circles. The organiser names the circle, the amount and the frequency, and invites members by phone in
rotation order; each invitee accepts or declines (consent: nobody's wallet is collected without it).
Once started, the rules are fixed: every cycle each member's contribution is collected from their
wallet into the circle's own account (retried on insufficient funds, then flagged ``missed``, visible
to the group), and when every contribution of the cycle is collected or missed the pot goes to the
member whose position is the cycle, less what that member still owes the group (paid to those their
missed contributions shortened). The organiser has no way to move the circle's money: there is no
withdrawal, no reordering or amount change after the start; only the operator can dissolve a running
circle, which returns the open cycle's contributions to those who paid them.

Target savings are in ``goals.py``; what both share (entries, errors, validation, the SMS) in ``common.py``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from shared_apps.core.errors import Conflict, Forbidden, NotFound
from shared_apps.core.locks import lock_user
from tenant_apps.accounts.country import normalize_phone
from tenant_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.kyc.services import kyc_check_limits
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.ledger.errors import BalanceLimitExceeded, InsufficientFunds
from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.services import (
    Line,
    balance_ceiling,
    holder_account,
    post_entry,
    wallet_for,
)

from .common import (
    ARREARS_ENTRY,
    CONTRIBUTION_ENTRY,
    DISSOLVE_ENTRY,
    POT_ENTRY,
    RecipientOverLimit,
    TooManyInvitations,
    _bad,
    _positive,
    _require_customer,
    _sms,
    _sms_to,
    next_after,
)
from .goals import goals_autosave_due
from .models import (
    Circle,
    CircleMember,
    CirclePayout,
    CircleStatus,
    Contribution,
    ContributionStatus,
    Frequency,
    MemberStatus,
    PayoutStatus,
)

logger = logging.getLogger(__name__)


# --- circles: forming -------------------------------------------------------------------------
def _check_member_limits(user, amount_minor: int) -> None:
    """A contribution must fit the member's KYC tier (single limit) when they join."""
    kyc_check_limits(user=user, amount_minor=amount_minor, currency=tenant_currency().code)


def circle_create(*, organiser, name: str, contribution_minor: int, frequency: str,
                  member_phones: list[str] | None = None) -> Circle:
    """The organiser opens a circle (and is its first member, position 1) and may invite others at once."""
    _require_customer(organiser)
    name = (name or "").strip()
    if not 2 <= len(name) <= 60:
        raise _bad("name", gettext("Between 2 and 60 characters."))
    _positive(contribution_minor, "contribution")
    if frequency not in Frequency.values:
        raise _bad("frequency", gettext("Choose daily, weekly or monthly."), code="invalid_frequency")
    _check_member_limits(organiser, contribution_minor)
    phones = [normalize_phone(raw, field="members") for raw in (member_phones or [])]
    if len(phones) + 1 > settings.SAVINGS_CIRCLE_MAX_MEMBERS:
        raise _bad("members", _at_most_members())
    with transaction.atomic():
        circle = Circle(name=name, organiser=organiser, contribution_minor=contribution_minor,
                        currency=tenant_currency().code, frequency=frequency)
        circle.account = holder_account(kind=AccountKind.SAVINGS_CIRCLE, holder=circle.holder)
        circle.save()
        CircleMember.objects.create(circle=circle, user=organiser, phone=organiser.phone, position=1,
                                    status=MemberStatus.ACTIVE, joined_at=timezone.now())
        for phone in phones:
            circle_invite(circle=circle, actor=organiser, phone=phone)
    return circle


def _lock_circle(circle: Circle) -> Circle:
    return Circle.objects.select_for_update().get(pk=circle.pk)  # lock: subject


def _at_most_members() -> str:
    most = settings.SAVINGS_CIRCLE_MAX_MEMBERS
    return ngettext("At most %(count)s member.", "At most %(count)s members.", most) % {"count": most}


def _organiser_only(circle: Circle, actor) -> None:
    if circle.organiser_id != actor.pk:
        raise Forbidden(gettext("Only the organiser can do this."), code="not_organiser")


def _forming_only(circle: Circle) -> None:
    if circle.status != CircleStatus.FORMING:
        raise Conflict(gettext("The circle has started: its members, order and amount are fixed."),
                       code="circle_rules_fixed")


def _within_invitation_quota(organiser) -> None:
    """Each invitation texts a number the organiser typed: at most ``SAVINGS_INVITATIONS_PER_DAY`` in any 24 hours,
    every circle of theirs together (removed and declined invitations count: invite, remove, invite again was an
    SMS each time). Counted under the organiser's row lock, so invitations sent at once cannot all pass."""
    lock_user(organiser.pk)
    sent = CircleMember.objects.filter(circle__organiser=organiser, invited_at__gt=timezone.now() - timedelta(days=1)) \
        .exclude(user=organiser).count()
    if sent >= settings.SAVINGS_INVITATIONS_PER_DAY:
        raise TooManyInvitations()


def circle_invite(*, circle: Circle, actor, phone: str) -> CircleMember:
    """Invite a phone number (next position in the rotation); an SMS tells them how to join."""
    _organiser_only(circle, actor)
    phone = normalize_phone(phone, field="phone")
    with transaction.atomic():
        locked = _lock_circle(circle)
        _forming_only(locked)
        _within_invitation_quota(actor)
        live = CircleMember.objects.filter(circle=locked, status__in=[MemberStatus.INVITED, MemberStatus.ACTIVE])
        if live.filter(phone=phone).exists():
            raise _bad("phone", gettext("Already invited."), code="already_invited")
        if live.count() >= settings.SAVINGS_CIRCLE_MAX_MEMBERS:
            raise _bad("phone", _at_most_members(), code="circle_full")
        position = (live.aggregate(top=Max("position"))["top"] or 0) + 1
        invitee = User.objects.filter(phone=phone, is_active=True).first()
        member = CircleMember.objects.create(circle=locked, phone=phone, position=position,
                                             user=invitee if invitee and invitee.phone_verified_at else None)
    _sms_to(phone, "circle_invitation", {"organiser": actor.phone or actor.email, "circle": locked.name,
                                         "amount": locked.contribution_minor, "currency": locked.currency,
                                         "frequency": locked.get_frequency_display()}, user=invitee)
    return member


def invitations_for(*, user) -> list[CircleMember]:
    """Open invitations addressed to this user's verified phone (also those sent before they signed up)."""
    if not user.phone or not user.phone_verified_at:
        return []
    return list(CircleMember.objects.filter(phone=user.phone, status=MemberStatus.INVITED,
                                            circle__status=CircleStatus.FORMING).select_related("circle"))


def circle_respond(*, member: CircleMember, user, accept: bool) -> CircleMember:
    """The invited phone's owner accepts (consents to be collected on schedule) or declines."""
    if not user.phone_verified_at or member.phone != user.phone:
        raise NotFound()
    _require_customer(user)
    with transaction.atomic():
        locked_circle = _lock_circle(member.circle)
        _forming_only(locked_circle)
        locked = CircleMember.objects.select_for_update().get(pk=member.pk)  # lock: subject
        if locked.status != MemberStatus.INVITED:
            raise Conflict(gettext("This invitation was already answered."), code="invitation_answered")
        if accept:
            _check_member_limits(user, locked_circle.contribution_minor)
            if CircleMember.objects.filter(circle=locked_circle, user=user, status=MemberStatus.ACTIVE).exists():
                raise Conflict(gettext("You are already a member."), code="already_member")
            locked.user, locked.status, locked.joined_at = user, MemberStatus.ACTIVE, timezone.now()
        else:
            locked.user, locked.status, locked.position = user, MemberStatus.DECLINED, None
        locked.save()
    return locked


def circle_remove_member(*, circle: Circle, actor, member: CircleMember) -> CircleMember:
    """Before the start only: the organiser withdraws an invitation or removes a member (not themselves)."""
    _organiser_only(circle, actor)
    if member.circle_id != circle.pk or member.user_id == circle.organiser_id:
        raise NotFound()
    with transaction.atomic():
        locked_circle = _lock_circle(circle)
        _forming_only(locked_circle)
        locked = CircleMember.objects.select_for_update().get(pk=member.pk)  # lock: subject
        locked.status, locked.position = MemberStatus.REMOVED, None
        locked.save(update_fields=["status", "position"])
    return locked


def circle_set_order(*, circle: Circle, actor, member_ids: list[int]) -> Circle:
    """Before the start only: the rotation order (every live member exactly once)."""
    _organiser_only(circle, actor)
    with transaction.atomic():
        locked = _lock_circle(circle)
        _forming_only(locked)
        live = list(CircleMember.objects.select_for_update().filter(  # lock: subject
            circle=locked, status__in=[MemberStatus.INVITED, MemberStatus.ACTIVE]))
        if sorted(member_ids) != sorted(m.pk for m in live):
            raise _bad("order", gettext("List every member once."))
        by_id = {m.pk: m for m in live}
        CircleMember.objects.filter(pk__in=list(by_id)).update(position=None)
        for position, member_id in enumerate(member_ids, start=1):
            CircleMember.objects.filter(pk=member_id).update(position=position)
    return locked


# How far in the past a first collection time may be (the organiser's clock and ours disagree a little).
START_CLOCK_SKEW = timedelta(minutes=5)


def circle_start(*, circle: Circle, actor, first_collection_at: datetime | None = None,
                 now: datetime | None = None) -> Circle:
    """Fix the rules and start collecting: every invitation answered, at least two members; positions are
    renumbered 1..n in the agreed order, and the first cycle opens at ``first_collection_at`` (default now).

    A first collection in the past is refused (400 ``start_in_the_past``): the beat catches a circle up round
    after round, so a circle started a year back took every member's contributions for every round at once,
    at the next tick, although each consented to one contribution per period."""
    _organiser_only(circle, actor)
    now = now or timezone.now()
    if first_collection_at is not None and first_collection_at < now - START_CLOCK_SKEW:
        raise _bad("first_collection_at", gettext("Choose a time from now on."), code="start_in_the_past")
    first = first_collection_at or now
    with transaction.atomic():
        locked = _lock_circle(circle)
        _forming_only(locked)
        members = list(CircleMember.objects.select_for_update().filter(  # lock: subject
            circle=locked, status__in=[MemberStatus.INVITED, MemberStatus.ACTIVE]).order_by("position", "id"))
        if any(m.status == MemberStatus.INVITED for m in members):
            raise Conflict(gettext("Every invited person must accept or decline first."), code="invitations_pending")
        if len(members) < 2:
            raise Conflict(gettext("A circle needs at least two members."), code="circle_too_small")
        CircleMember.objects.filter(pk__in=[m.pk for m in members]).update(position=None)
        for position, member in enumerate(members, start=1):
            CircleMember.objects.filter(pk=member.pk).update(position=position)
        locked.status, locked.cycle, locked.cycles_total = CircleStatus.ACTIVE, 1, len(members)
        locked.next_collection_at, locked.anchor_day, locked.started_at = first, first.day, now
        locked.save()
    return locked


def circle_cancel(*, circle: Circle, actor) -> Circle:
    """The organiser cancels a circle that has not started (no money was collected)."""
    _organiser_only(circle, actor)
    with transaction.atomic():
        locked = _lock_circle(circle)
        _forming_only(locked)
        locked.status, locked.ended_at = CircleStatus.CANCELLED, timezone.now()
        locked.save(update_fields=["status", "ended_at"])
    return locked


# --- circles: running (the beat) ------------------------------------------------------------------

def _collect(contribution: Contribution, circle: Circle, *, now: datetime) -> str:
    """Try one contribution: member wallet -> circle account, once per (circle, member, cycle)."""
    member = contribution.member
    try:
        with transaction.atomic():
            entry = post_entry(
                entry_type=CONTRIBUTION_ENTRY, reference=f"circle:{circle.public_id.hex}:{contribution.cycle}:"
                                                         f"{member.pk}",
                lines=[Line(wallet_for(user=member.user, currency=circle.currency), -contribution.amount_minor),
                       Line(circle.account, contribution.amount_minor)],
                metadata={"circle": str(circle.public_id), "cycle": contribution.cycle})
    except InsufficientFunds:
        contribution.attempts += 1
        if contribution.attempts >= settings.SAVINGS_CIRCLE_MAX_ATTEMPTS:
            contribution.status, contribution.flagged_at = ContributionStatus.MISSED, now
            _announce_missed(circle, contribution)
            outcome = "missed"
        else:
            contribution.next_attempt_at = now + timedelta(seconds=settings.SAVINGS_CIRCLE_RETRY_SECONDS)
            outcome = "retry"
        contribution.save(update_fields=["attempts", "status", "flagged_at", "next_attempt_at"])
        return outcome
    contribution.attempts += 1
    contribution.status, contribution.collected_at, contribution.entry = ContributionStatus.COLLECTED, now, entry
    contribution.save(update_fields=["attempts", "status", "collected_at", "entry"])
    return "collected"


def _announce_missed(circle: Circle, contribution: Contribution) -> None:
    """Every member learns who missed (the group's own pressure is what makes a circle work)."""
    who = contribution.member.phone
    for member in circle.members.filter(status=MemberStatus.ACTIVE).select_related("user"):
        _sms(member.user, "circle_contribution_missed", {"circle": circle.name, "member": who,
                                                         "cycle": contribution.cycle,
                                                         "amount": contribution.amount_minor,
                                                         "currency": circle.currency})


def _pay_pot(circle: Circle, *, now: datetime) -> CirclePayout:
    """The cycle's collected money to the member in that position, less their unpaid arrears (which go to the
    members they shortened). One entry; the pot row is unique per cycle.

    Other people's money arriving in a customer's wallet respects the wallet's KYC maximum balance: when a
    wallet of the pot cannot take its share, nothing moves, the pot stays in the circle's account (``held``),
    the recipient is told, and every later run of the circle tries again (:func:`_release_held_pots`).
    """
    cycle = circle.cycle
    recipient = CircleMember.objects.select_related("user").get(circle=circle, position=cycle,
                                                               status=MemberStatus.ACTIVE)
    contributions = Contribution.objects.filter(circle=circle, cycle=cycle)
    collected = contributions.filter(status=ContributionStatus.COLLECTED) \
        .aggregate(total=Sum("amount_minor"))["total"] or 0
    # Missed contributions of this cycle are owed to its recipient (not when they missed their own pot).
    contributions.filter(status=ContributionStatus.MISSED).exclude(member=recipient).update(owed_to=recipient)
    payout = CirclePayout(circle=circle, cycle=cycle, member=recipient, collected_minor=collected,
                          amount_minor=collected, paid_at=now)
    try:
        _post_pot(circle, payout, now=now)
    except BalanceLimitExceeded:
        payout.status, payout.paid_at, payout.held_since = PayoutStatus.HELD, None, now
        payout.amount_minor, payout.arrears_deducted_minor = collected, 0  # the split is made when it is paid
        payout.save()
        logger.warning("circle pot over a wallet's balance limit: held in the circle account",
                       extra={"circle": str(circle.public_id), "cycle": cycle})
        _sms(recipient.user, "circle_pot_held", {"circle": circle.name, "amount": collected,
                                                 "currency": circle.currency, "cycle": cycle})
        return payout
    _sms(recipient.user, "circle_pot_paid", {"circle": circle.name, "amount": payout.amount_minor,
                                             "currency": circle.currency, "cycle": cycle})
    return payout


def _post_pot(circle: Circle, payout: CirclePayout, *, now: datetime) -> None:
    """Split ``payout.collected_minor`` (the recipient's arrears first, then the recipient) and post it as one
    entry, every wallet credit capped; saves ``payout`` as paid. Raises BalanceLimitExceeded with nothing
    written (its own savepoint: the debts it marked covered are unmarked too)."""
    collected, recipient = payout.collected_minor, payout.member
    with transaction.atomic():
        lines: list[Line] = []
        deducted = 0
        arrears = list(Contribution.objects.select_for_update(of=("self",)).filter(  # lock: subject
            circle=circle, member=recipient, status=ContributionStatus.MISSED, owed_to__isnull=False)
            .select_related("owed_to__user").order_by("cycle"))
        for debt in arrears:
            if deducted + debt.amount_minor > collected:
                break
            deducted += debt.amount_minor
            assert debt.owed_to is not None  # filtered: owed_to__isnull=False
            lines.append(_capped_credit(debt.owed_to.user, circle.currency, debt.amount_minor))
            debt.status, debt.covered_at, debt.covered_from_pot = ContributionStatus.COVERED, now, True
            debt.save(update_fields=["status", "covered_at", "covered_from_pot"])
        amount = collected - deducted
        if amount:
            lines.append(_capped_credit(recipient.user, circle.currency, amount))
        entry = None
        if collected:
            lines.append(Line(circle.account, -collected))
            entry = post_entry(entry_type=POT_ENTRY, reference=f"circle:{circle.public_id.hex}:pot:{payout.cycle}",
                               lines=_merge(lines), metadata={"circle": str(circle.public_id), "cycle": payout.cycle})
        payout.amount_minor, payout.arrears_deducted_minor, payout.entry = amount, deducted, entry
        payout.status, payout.paid_at = PayoutStatus.PAID, now
        payout.save()


def _capped_credit(user, currency: str, amount: int) -> Line:
    wallet = wallet_for(user=user, currency=currency)
    return Line(wallet, amount, ceiling=balance_ceiling(wallet))


def _release_held_pots(circle: Circle, *, now: datetime) -> list[str]:
    """Pay the held pots of ``circle`` (locked by the caller) whose wallets have room now; the rest stay held."""
    outcomes = []
    # lock: subject
    for payout in CirclePayout.objects.select_for_update(of=("self",)).select_related("member__user") \
            .filter(circle=circle, status=PayoutStatus.HELD).order_by("cycle"):
        try:
            _post_pot(circle, payout, now=now)
        except BalanceLimitExceeded:
            outcomes.append(f"still_held:{payout.cycle}")
            continue
        outcomes.append(f"released:{payout.cycle}")
        _sms(payout.member.user, "circle_pot_paid", {"circle": circle.name, "amount": payout.amount_minor,
                                                     "currency": circle.currency, "cycle": payout.cycle})
    return outcomes


def circle_release_held(*, circle: Circle, now: datetime | None = None) -> list[str]:
    """Try the held pots of any circle (a running one, or one that completed or was dissolved meanwhile)."""
    now = now or timezone.now()
    with transaction.atomic():
        # lock: subject
        locked = Circle.objects.select_for_update(skip_locked=True).select_related("account") \
            .filter(pk=circle.pk).first()
        if locked is None:
            return []
        return _release_held_pots(locked, now=now)


def _merge(lines: list[Line]) -> list[Line]:
    """One line per account (a member may be owed twice); a wallet's ceiling is kept."""
    totals: dict[int, int] = {}
    accounts = {}
    ceilings: dict[int, int | None] = {}
    for line in lines:
        totals[line.account.pk] = totals.get(line.account.pk, 0) + line.amount
        accounts[line.account.pk] = line.account
        ceilings.setdefault(line.account.pk, line.ceiling)
    return [Line(accounts[pk], amount, ceiling=ceilings[pk]) for pk, amount in totals.items() if amount]


def circle_run(*, circle: Circle, now: datetime | None = None) -> list[str]:
    """Move one running circle forward as far as ``now`` allows (what the beat calls, under the row lock):
    open the cycle when due, try its due contributions, pay the pot when none is left due, advance."""
    now = now or timezone.now()
    outcomes: list[str] = []
    with transaction.atomic():
        # lock: subject
        locked = Circle.objects.select_for_update(skip_locked=True).select_related("account") \
            .filter(pk=circle.pk, status=CircleStatus.ACTIVE).first()
        if locked is None:
            return outcomes
        outcomes += _release_held_pots(locked, now=now)
        while locked.status == CircleStatus.ACTIVE:
            contributions = Contribution.objects.filter(circle=locked, cycle=locked.cycle)
            if not contributions.exists():
                if locked.next_collection_at is None or locked.next_collection_at > now:
                    break
                members = CircleMember.objects.filter(circle=locked, status=MemberStatus.ACTIVE)
                Contribution.objects.bulk_create([
                    Contribution(circle=locked, member=m, cycle=locked.cycle, amount_minor=locked.contribution_minor,
                                 next_attempt_at=locked.next_collection_at) for m in members])
                outcomes.append(f"opened:{locked.cycle}")
            for contribution in contributions.filter(status=ContributionStatus.DUE, next_attempt_at__lte=now) \
                    .select_related("member__user").order_by("member__position"):
                outcomes.append(_collect(contribution, locked, now=now))
            if contributions.filter(status=ContributionStatus.DUE).exists():
                break
            _pay_pot(locked, now=now)
            outcomes.append(f"paid:{locked.cycle}")
            if locked.cycle >= locked.cycles_total:
                locked.status, locked.ended_at, locked.next_collection_at = CircleStatus.COMPLETED, now, None
            else:
                locked.cycle += 1
                assert locked.next_collection_at is not None  # an active circle has its next collection date
                locked.next_collection_at = next_after(locked.next_collection_at, frequency=locked.frequency,
                                                       anchor_day=locked.anchor_day)
            locked.save(update_fields=["status", "ended_at", "cycle", "next_collection_at"])
    return outcomes


def circles_run_due(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Every running circle of this schema with work due now (a cycle to open or a contribution to try)."""
    now = now or timezone.now()
    due_ids = set(Circle.objects.filter(status=CircleStatus.ACTIVE, next_collection_at__lte=now)
                  .values_list("pk", flat=True)[:limit])
    due_ids |= set(Contribution.objects.filter(status=ContributionStatus.DUE, next_attempt_at__lte=now,
                                               circle__status=CircleStatus.ACTIVE)
                   .values_list("circle_id", flat=True).distinct()[:limit])
    results: dict[str, int] = {}
    for circle in Circle.objects.filter(pk__in=due_ids).order_by("pk"):
        for outcome in circle_run(circle=circle, now=now):
            key = outcome.split(":")[0]
            results[key] = results.get(key, 0) + 1
    # Pots held for a wallet's maximum balance, in circles that had nothing else due (any status).
    held_ids = set(CirclePayout.objects.filter(status=PayoutStatus.HELD).exclude(circle_id__in=due_ids)
                   .values_list("circle_id", flat=True).distinct()[:limit])
    for circle in Circle.objects.filter(pk__in=held_ids).order_by("pk"):
        for outcome in circle_release_held(circle=circle, now=now):
            key = outcome.split(":")[0]
            results[key] = results.get(key, 0) + 1
    return results


def circle_pay_arrears(*, contribution: Contribution, user) -> Contribution:
    """A member makes good a missed contribution: straight to the member whose pot it shortened."""
    with transaction.atomic():
        # lock: subject
        locked = Contribution.objects.select_for_update(of=("self",)) \
            .select_related("member", "owed_to__user", "circle") \
            .get(pk=contribution.pk)
        if locked.member.user_id != user.pk:
            raise NotFound()
        if locked.status != ContributionStatus.MISSED or locked.owed_to is None:
            raise Conflict(gettext("Nothing is owed for this contribution."), code="nothing_owed")
        # The member owed receives other people's money: capped at their wallet's maximum balance. Refused
        # (422, nothing moved, the debt stays owed) rather than parked: the payer keeps the money and can pay
        # later, or the debt is covered from the payer's next pot.
        try:
            entry = post_entry(entry_type=ARREARS_ENTRY, reference=f"circle-arrears:{locked.public_id.hex}",
                               lines=[Line(wallet_for(user=user, currency=locked.circle.currency),
                                           -locked.amount_minor),
                                      _capped_credit(locked.owed_to.user, locked.circle.currency,
                                                     locked.amount_minor)],
                               metadata={"circle": str(locked.circle.public_id), "cycle": locked.cycle})
        except BalanceLimitExceeded:
            raise RecipientOverLimit(fields={"contribution": [str(RecipientOverLimit.message)]}) from None
        locked.status, locked.covered_at, locked.entry = ContributionStatus.COVERED, timezone.now(), entry
        locked.save(update_fields=["status", "covered_at", "entry"])
    return locked


def circle_dissolve(*, circle: Circle, actor, reason: str, request: Any = None) -> Circle:
    """Operator only: stop a running circle. The open cycle's collected contributions go back to those who
    paid them (the circle account ends at zero); pots already paid and arrears stay on record."""
    from tenant_apps.accounts.models import OPERATOR_ROLES

    if actor.role not in OPERATOR_ROLES:
        raise Forbidden(gettext("Only the operator can dissolve a running circle."), code="not_operator")
    with transaction.atomic():
        locked = _lock_circle(circle)
        if locked.status != CircleStatus.ACTIVE:
            raise Conflict(gettext("Only a running circle can be dissolved."), code="circle_not_running")
        paid = list(Contribution.objects.select_for_update(of=("self",)).filter(  # lock: subject
            circle=locked, cycle=locked.cycle, status=ContributionStatus.COLLECTED).select_related("member__user"))
        total = sum(c.amount_minor for c in paid)
        if total:
            lines = [Line(locked.account, -total)] + [
                Line(wallet_for(user=c.member.user, currency=locked.currency), c.amount_minor) for c in paid]
            post_entry(entry_type=DISSOLVE_ENTRY, reference=f"circle:{locked.public_id.hex}:dissolve",
                       lines=_merge(lines), metadata={"circle": str(locked.public_id), "reason": reason[:200]})
        Contribution.objects.filter(circle=locked, cycle=locked.cycle, status=ContributionStatus.DUE) \
            .update(status=ContributionStatus.MISSED, flagged_at=timezone.now())
        locked.status, locked.ended_at, locked.next_collection_at = CircleStatus.CANCELLED, timezone.now(), None
        locked.save(update_fields=["status", "ended_at", "next_collection_at"])
        audit_record(action=AuditAction.CIRCLE_DISSOLVED, request=request, actor=actor, subject_type="circle",
                     subject_id=str(locked.public_id), details={"refunded": total, "reason": reason[:200]})
    return locked


def savings_run_due(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """This schema's scheduled savings work: circle collections and pots, goal top-ups."""
    return {"circles": circles_run_due(now=now), "goals": goals_autosave_due(now=now)}


def savings_run_due_all_tenants(*, now: datetime | None = None) -> dict[str, Any]:
    from tenants.runner import for_each_tenant

    return for_each_tenant(lambda: savings_run_due(now=now))

