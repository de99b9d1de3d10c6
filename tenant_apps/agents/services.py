"""Agents: invitations, the agent tree, wallet funding by the parent, commissions, velocity limits."""

from __future__ import annotations

import hashlib
import logging
import secrets
from contextlib import nullcontext
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from countries.registry import display_minor
from shared_apps.core.errors import ApiError, Conflict, Forbidden, NotFound
from shared_apps.core.locks import lock_user
from tenant_apps.accounts.country import normalize_phone
from tenant_apps.ledger.currency import tenant_currency, to_minor
from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.selectors import account_balance
from tenant_apps.ledger.services import Line, fund_wallet, post_entry, system_account, transfer, wallet_for

from .models import Agent, AgentSale, CommissionPosting, CommissionStatus, Invitation

logger = logging.getLogger(__name__)


class CommissionEntry:
    POST = "agent_commission"
    CLAWBACK = "agent_commission_clawback"
    FUNDING = "agent_funding"


def _conf(name: str):
    return settings.RESELLERS[name]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- invitations and the tree ---------------------------------------------------------------------

def _notify(*, email: str, phone: str, template: str, context: dict, purpose: str, secrets: list[str] | None = None,
            mask: str | None = None, language: str | None = None) -> None:
    """Email and/or SMS from the branded templates (tenant_apps.notifications.messages); never raises for delivery
    trouble (the SMS log records it)."""
    from tenant_apps.notifications.messages import notify_email, notify_sms

    if email:
        notify_email(to=email, template=template, context=context, language=language)
    if phone:
        notify_sms(to=phone, template=template, context=context, purpose=purpose, secrets=secrets, mask=mask,
                   language=language)


class TooManyInvitations(ApiError):
    """Every invitation texts or mails the contact the inviter typed: at most ``AGENT_INVITATIONS_PER_DAY`` a day."""

    status_code = 429
    code = "too_many_invitations"
    message = gettext_lazy("Too many invitations sent today. Try again tomorrow.")


def _within_invitation_quota(inviter) -> None:
    """At most ``AGENT_INVITATIONS_PER_DAY`` invitations per inviter in any 24 hours (each one an SMS or an email at
    the tenant's cost, to a contact the inviter typed). Counted under the inviter's row lock, so invitations sent
    at once cannot all pass; the caller's transaction holds it until the invitation is written."""
    lock_user(inviter.pk)
    sent = Invitation.objects.filter(invited_by=inviter, created_at__gt=timezone.now() - timedelta(days=1)).count()
    if sent >= settings.AGENT_INVITATIONS_PER_DAY:
        raise TooManyInvitations()


def invite(*, inviter, email: str = "", phone: str = "", role: str = "agent",
           accept_url: str = "", notify: bool = True) -> tuple[Invitation, str]:
    """An operator admin invites a top-level agent; an agent invites a sub-agent (down to AGENT_MAX_DEPTH).

    Returns the invitation and the token (sent to the invitee, never stored in clear). The phone is the tenant
    country's (E.164; another country's number is a 400: no SMS abroad at the tenant's cost).

    The inviter learns nothing about the contact: when it already has an account here, the answer is the same
    (an invitation, counted in the day's quota), but the contact gets a notice instead of a link (an account
    cannot be made twice; they sign in, and ask the tenant's support to sell as an agent).
    """
    email, phone = (email or "").strip().lower(), (phone or "").strip()
    if not email and not phone:
        raise ApiError(gettext("Give an email or a phone number."), code="missing_contact",
                       fields={"email": [gettext("Email or phone required.")]})
    if phone:
        phone = normalize_phone(phone, field="phone")
    parent_agent = None
    if role == "agent" and inviter.role == "agent":
        parent_agent = Agent.objects.filter(user=inviter, is_active=True).first()
        if parent_agent is None:
            raise Forbidden(gettext("Only active agents can invite sub-agents."), code="not_an_agent")
        if parent_agent.depth + 1 > _conf("AGENT_MAX_DEPTH"):
            depth = _conf("AGENT_MAX_DEPTH")
            raise Forbidden(ngettext("Agents can be nested at most %(count)s level deep.",
                                     "Agents can be nested at most %(count)s levels deep.", depth) % {"count": depth},
                            code="agent_depth_exceeded")
    elif inviter.role != "operator_admin":
        raise Forbidden(gettext("Your role cannot invite."), code="permission_denied")
    User = get_user_model()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        if role == "agent":
            _within_invitation_quota(inviter)
        invitation = Invitation.objects.create(
            token_hash=hash_token(token), role=role, email=email, phone=phone, invited_by=inviter,
            parent_agent=parent_agent, expires_at=timezone.now() + timedelta(days=_conf("INVITATION_DAYS")))
        registered_email = bool(email) and User.objects.filter(email=email).exists()
        registered_phone = bool(phone) and User.objects.filter(phone=phone).exists()
        if role == "agent" and (registered_email or registered_phone):
            # The link could only fail (409 at accept): the registered contact hears why, the inviter nothing.
            logger.info("agent invitation to a registered contact: notice sent instead of a link",
                        extra={"invitation": str(invitation.public_id)})
            if notify:
                transaction.on_commit(lambda: _notify(
                    email=email if registered_email else "", phone=phone if registered_phone else "",
                    template="agent_invitation_registered", context={}, purpose="agent_invitation"))
        elif notify:
            link = f"{accept_url}?token={token}" if accept_url else token
            transaction.on_commit(lambda: _notify(email=email, phone=phone, template="agent_invitation",
                                                  context={"link": link}, purpose="agent_invitation",
                                                  secrets=[link], mask="(link redacted)"))
    return invitation, token


def invitation_preview(token: str) -> Invitation:
    """The open invitation of ``token`` (inviter and parent agent loaded), without using it: the accept page
    shows it before the account is made. Raises as :func:`accept_invitation` would (404 ``invalid_invitation``,
    409 ``invitation_used``, 410 ``invitation_expired``)."""
    invitation = Invitation.objects.select_related("invited_by", "parent_agent__user") \
        .filter(token_hash=hash_token(token or "")).first()
    return _still_open(invitation)


def _open_invitation(token: str) -> Invitation:
    # lock: subject
    invitation = Invitation.objects.select_for_update().filter(token_hash=hash_token(token or "")).first()
    return _still_open(invitation)


def _still_open(invitation: Invitation | None) -> Invitation:
    if invitation is None:
        raise NotFound(gettext("Unknown invitation."), code="invalid_invitation")
    if invitation.accepted_at is not None:
        raise Conflict(gettext("This invitation was already used."), code="invitation_used")
    if invitation.expires_at <= timezone.now():
        raise ApiError(gettext("This invitation has expired."), code="invitation_expired", status_code=410)
    return invitation


def add_agent(*, user, parent: Agent | None) -> Agent:
    depth = 1 if parent is None else parent.depth + 1
    if depth > _conf("AGENT_MAX_DEPTH"):
        raise Forbidden(gettext("Too deep."), code="agent_depth_exceeded")
    agent = Agent.objects.create(user=user, parent=parent, depth=depth)
    agent.path = f"{parent.path if parent else ''}{agent.pk}/"
    agent.save(update_fields=["path"])
    return agent



def move_agent(*, agent: Agent, new_parent: Agent | None, actor=None, request=None) -> Agent:
    """Put ``agent`` (and everyone below it) under ``new_parent`` (None: a top-level agent of the reseller).

    The subtree's ``path`` and ``depth`` are rewritten in one transaction, the rows locked in id order (the
    moved agent's subtree and the new parent). From then on its sales pay commissions up the new chain, the
    new parent funds it and sees it in its team; commissions already paid stay with the agents that earned
    them (a reversal claws back from them). Refused: under itself or one of its own sub-agents
    (``400 agent_move_cycle``), deeper than ``AGENT_MAX_DEPTH`` for any agent of the subtree
    (``403 agent_depth_exceeded``), under a suspended agent (``403 agent_inactive``)."""
    with transaction.atomic():
        ids = set(Agent.objects.filter(path__startswith=agent.path).values_list("pk", flat=True))
        if new_parent is not None:
            ids.add(new_parent.pk)
        rows = {row.pk: row for row in Agent.objects.select_for_update()  # lock: subject
                .filter(pk__in=sorted(ids)).order_by("pk")}
        moved = rows[agent.pk]
        target = rows.get(new_parent.pk) if new_parent is not None else None
        if new_parent is not None and (target is None or target.path.startswith(moved.path)):
            raise ApiError(gettext("An agent cannot be moved under itself or one of its own sub-agents."),
                           code="agent_move_cycle", fields={"parent": [gettext("Choose an agent outside its team.")]})
        if target is not None and not target.is_active:
            raise Forbidden(gettext("This agent is suspended."), code="agent_inactive")
        subtree = [row for row in rows.values() if row.path.startswith(moved.path)]
        shift = (1 if target is None else target.depth + 1) - moved.depth
        depth = _conf("AGENT_MAX_DEPTH")
        if max(row.depth for row in subtree) + shift > depth:
            raise Forbidden(ngettext("Agents can be nested at most %(count)s level deep.",
                                     "Agents can be nested at most %(count)s levels deep.", depth) % {"count": depth},
                            code="agent_depth_exceeded")
        old_prefix, new_prefix = moved.path, f"{target.path if target else ''}{moved.pk}/"
        for row in subtree:
            row.path, row.depth = new_prefix + row.path[len(old_prefix):], row.depth + shift
        old_parent_id = moved.parent_id
        moved.parent = target
        Agent.objects.bulk_update(subtree, ["path", "depth"])
        moved.save(update_fields=["parent"])
        from tenant_apps.audit.models import AuditAction
        from tenant_apps.audit.services import audit_record

        audit_record(action=AuditAction.AGENT_MOVED, request=request, actor=actor, subject_type="agent",
                     subject_id=str(moved.pk), details={
                         "from_parent": old_parent_id, "to_parent": target.pk if target else None,
                         "team_size": len(subtree)})
    return moved

def accept_invitation(*, token: str, password: str, email: str = "", phone: str = ""):
    """Create the invited agent (role ``agent``, in the tree under the inviter), or set the first admin's password."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        invitation = _open_invitation(token)
        User = get_user_model()
        if invitation.role == "operator_admin":
            user = User.objects.select_for_update().get(email=invitation.email)  # lock: user
        else:
            email = invitation.email or (email or "").strip().lower()
            if not email:
                raise ApiError(gettext("An email is required to create the account."), code="validation_error",
                               fields={"email": [gettext("Required.")]})
            # The token went to the invitation's contact: an SMS proves the phone, an email the address (an email
            # typed on the form proves nothing: accounts.email_proof).
            user = User(email=email, role="agent", phone=invitation.phone or (phone or None),
                        phone_verified_at=timezone.now() if invitation.phone else None,
                        email_verified_at=timezone.now() if invitation.email and not invitation.phone else None)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ApiError(gettext("The password is too weak."), code="validation_error",
                           fields={"password": list(error.messages)}) from None
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Conflict(gettext("This email or phone already has an account."), code="already_registered") from None
        if invitation.role == "agent":
            add_agent(user=user, parent=invitation.parent_agent)
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
    return user


# --- funding --------------------------------------------------------------------------------------

def fund_agent(*, funder, agent: Agent, amount_minor: int, reference: str):
    """An agent's wallet is funded by its parent: the parent agent's wallet (a transfer), or for a top-level
    agent the reseller itself (an operator admin recording money received from the agent). A suspended parent
    agent funds nobody (403 ``agent_inactive``)."""
    parent = agent.parent
    if parent is None:
        if funder.role != "operator_admin":
            raise Forbidden(gettext("Only the reseller's admin funds a top-level agent."), code="not_parent")
        return fund_wallet(wallet=wallet_for(user=agent.user), amount=amount_minor,
                           reference=f"{CommissionEntry.FUNDING}:{reference}",
                           metadata={"agent": str(agent.public_id), "by": str(funder.public_id)})
    if parent.user_id != funder.pk:
        raise Forbidden(gettext("Only the agent's parent funds its wallet."), code="not_parent")
    if not parent.is_active:  # suspended: its float stays where it is (its sub-agents would sell with it)
        raise Forbidden(gettext("This agent is suspended."), code="agent_inactive")
    return transfer(source=wallet_for(user=funder), destination=wallet_for(user=agent.user), amount=amount_minor,
                    reference=f"{CommissionEntry.FUNDING}:{reference}", entry_type=CommissionEntry.FUNDING,
                    metadata={"agent": str(agent.public_id), "by": str(parent.public_id)})


# --- commissions ----------------------------------------------------------------------------------

def commission_lines(breakdown: dict) -> list[tuple[str, int, int]]:
    """``[(agent public id, level, amount)]`` from a PriceQuote breakdown."""
    lines = []
    for line in breakdown.get("lines", ()):
        party = line.get("party", "")
        if line.get("account_kind") == AccountKind.COMMISSIONS_PAYABLE and party.startswith("agent:"):
            lines.append((party.split(":", 1)[1], int(line.get("level") or 0), int(line["amount_minor"])))
    return lines


def post_commissions(*, order_ref: str, breakdown: dict) -> int:
    """Pay each agent's commission from commissions payable to its agent wallet, once per order."""
    shares = commission_lines(breakdown)
    if not shares:
        return 0
    currency = breakdown["currency"]
    agents = {str(a.public_id): a for a in Agent.objects.select_related("user")
              .filter(public_id__in=[pid for pid, _, _ in shares])}
    payable = system_account(kind=AccountKind.COMMISSIONS_PAYABLE, currency=currency)
    lines, rows = [], []
    for pid, level, amount in shares:
        agent = agents.get(pid)
        if agent is None:  # the agent vanished (never deleted in practice): the money stays payable
            logger.error("commission for unknown agent", extra={"agent": pid, "order": order_ref})
            continue
        lines.append(Line(wallet_for(user=agent.user, currency=currency), amount))
        rows.append(CommissionPosting(order_ref=order_ref, agent=agent, level=level, amount_minor=amount,
                                      currency=currency))
    total = sum(line.amount for line in lines)
    if not total:
        return 0
    with transaction.atomic():
        post_entry(entry_type=CommissionEntry.POST, reference=order_ref, lines=[Line(payable, -total), *lines],
                   metadata={"order": order_ref})
        CommissionPosting.objects.bulk_create(rows, ignore_conflicts=True)
    return total


def claw_back_commissions(*, order_ref: str) -> int:
    """Take back the order's commissions, once. What an agent already spent becomes a receivable (suspense)."""
    with transaction.atomic():
        rows = list(CommissionPosting.objects.select_for_update().select_related("agent__user")  # lock: subject
                    .filter(order_ref=order_ref, status=CommissionStatus.POSTED))
        if not rows:
            return 0
        currency = rows[0].currency
        lines: list[Line] = []
        total = shortfall = 0
        for row in rows:
            wallet = wallet_for(user=row.agent.user, currency=currency)
            balance = account_balance(account=wallet)
            taken = min(row.amount_minor, balance)
            if taken:
                lines.append(Line(wallet, -taken))
            row.clawback_shortfall_minor = row.amount_minor - taken
            total += row.amount_minor
            shortfall += row.clawback_shortfall_minor
        lines.append(Line(system_account(kind=AccountKind.COMMISSIONS_PAYABLE, currency=currency), total))
        if shortfall:
            lines.append(Line(system_account(kind=AccountKind.SUSPENSE, currency=currency), -shortfall))
        post_entry(entry_type=CommissionEntry.CLAWBACK, reference=order_ref, lines=lines,
                   metadata={"order": order_ref, "shortfall": shortfall})
        now = timezone.now()
        for row in rows:
            row.status, row.clawed_back_at = CommissionStatus.CLAWED_BACK, now
        CommissionPosting.objects.bulk_update(rows, ["status", "clawed_back_at", "clawback_shortfall_minor"])
    return total


# --- velocity -------------------------------------------------------------------------------------

class VelocityExceeded(ApiError):
    status_code = 429
    code = "agent_velocity_exceeded"
    message = gettext_lazy("This agent has reached its selling limit for now.")


# The agent's row locked (by its id or its user's), then the sale's usage read in a statement of its own: under
# READ COMMITTED a statement's snapshot is taken when it starts, so the count must come after the lock is held
# (a concurrent sale of the same agent that committed while we waited is then counted).
_LOCK_AGENT = ("SELECT id, is_active, max_transactions_per_hour, max_amount_per_day_minor "  # noqa: S608
               f"FROM {Agent._meta.db_table} WHERE {{column}} = %s FOR UPDATE")  # lock: subject
_SALE_USAGE = (f"SELECT (SELECT id FROM {AgentSale._meta.db_table} WHERE order_ref = %s), "  # noqa: S608
               "count(*) FILTER (WHERE created_at >= %s), COALESCE(sum(amount_minor), 0) "
               f"FROM {AgentSale._meta.db_table} WHERE agent_id = %s AND created_at >= %s")
_COUNT_SALE = (f"INSERT INTO {AgentSale._meta.db_table} (agent_id, order_ref, amount_minor, created_at) "  # noqa: S608
               "VALUES (%s, %s, %s, %s) RETURNING id")


def agent_default_amount_per_day() -> int:
    """An agent's default daily sales limit in minor units of the tenant's currency (``AGENT_MAX_AMOUNT_PER_DAY``:
    major units per currency, ``*`` for the others)."""
    currency = tenant_currency().code
    table = _conf("AGENT_MAX_AMOUNT_PER_DAY")
    return to_minor(str(table.get(currency, table["*"])), currency)


def agent_record_sale(*, agent, amount_minor: int, reference: str) -> AgentSale | None:
    """Count one sale against the agent's limits (transactions per UTC clock hour, amount per UTC day) or refuse.

    Call it inside the sale's transaction: the count is a row (:class:`AgentSale`) that commits or rolls back
    with the sale, taken under the agent's row lock so concurrent sales of one agent are counted one after
    the other. Raises 429 ``agent_velocity_exceeded`` (``fields`` names the limit) or 403 ``agent_inactive``.
    The same reference counts once. ``agent``: an :class:`Agent` or its user (None: not an agent).

    Three statements written out (the lock, the usage with the reference's row, the insert) instead of seven
    ORM round trips with a savepoint: it is on every agent's purchase. A refusal is raised before anything is
    written, so the caller's transaction stays usable.
    """
    column, key = ("id", agent.pk) if isinstance(agent, Agent) else ("user_id", agent.pk)
    with (nullcontext() if connection.in_atomic_block else transaction.atomic()), connection.cursor() as cursor:
        cursor.execute(_LOCK_AGENT.format(column=column), [key])
        row = cursor.fetchone()
        if row is None:
            if isinstance(agent, Agent):
                raise Agent.DoesNotExist(f"agent {agent.pk}")
            return None
        agent_id, is_active, max_tx, max_amount = row
        if not is_active:
            raise Forbidden(gettext("This agent is suspended."), code="agent_inactive")
        max_tx = max_tx or _conf("AGENT_MAX_TRANSACTIONS_PER_HOUR")
        max_amount = max_amount or agent_default_amount_per_day()
        now = timezone.now()
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        day = hour.replace(hour=0)
        cursor.execute(_SALE_USAGE, [reference, hour, agent_id, day])
        existing_id, hour_count, day_total = cursor.fetchone()
        if existing_id is not None:
            return AgentSale.objects.get(pk=existing_id)
        if hour_count + 1 > max_tx:
            raise VelocityExceeded(
                ngettext("At most %(count)s sale per hour.", "At most %(count)s sales per hour.", max_tx)
                % {"count": max_tx},
                fields={"transactions_per_hour": [gettext("Limit %(count)s reached.") % {"count": max_tx}]})
        if day_total + amount_minor > max_amount:
            raise VelocityExceeded(gettext("This sale would pass the agent's daily amount limit."),
                                   fields={"amount_per_day": [
                                       gettext("Limit %(amount)s.") % {
                                           "amount": display_minor(max_amount, tenant_currency().code)}]})
        cursor.execute(_COUNT_SALE, [agent_id, reference, amount_minor, now])
        (sale_id,) = cursor.fetchone()
    sale = AgentSale(pk=sale_id, agent_id=agent_id, order_ref=reference, amount_minor=amount_minor, created_at=now)
    sale._state.adding = False
    return sale


def agent_release_sale(*, reference: str) -> bool:
    """A counted sale failed (money back to the buyer): it no longer counts. In the failure's transaction."""
    deleted, _ = AgentSale.objects.filter(order_ref=reference).delete()
    return bool(deleted)


# --- hooks for the purchase path ------------------------------------------------------------------

def sale_preflight(*, user, quote) -> None:
    """Before a sale is held, a cheap read: a reseller brand's float must cover its cost (422
    ``insufficient_float``). Authoritative checks (the float hold, velocity) run inside the purchase transaction
    (``tenant_apps.agents.sales.sale_accepted``)."""
    cost = quote.tenant_cost_minor
    if quote.tenant_kind == "reseller_brand" and cost:
        from .floats import NotAReseller, check_float, current_tenant

        reseller = current_tenant()
        if reseller is None:
            raise NotAReseller()
        check_float(reseller=reseller, amount_minor=cost)
