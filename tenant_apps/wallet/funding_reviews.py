"""Finance's decision on a top-up in review: the money the gateway captured sits in suspense until someone acts.

Two kinds of top-up wait in ``review`` (tenant_apps.wallet.funding): a payment of another amount or currency than
the intent asked (``amount_mismatch``: what the gateway verified was posted gateway clearing -> suspense, entry
``funding_mismatch``) and a payment over the wallet's maximum balance (``balance_limit_exceeded``: the intent's
amount posted to suspense, entry ``funding_held``). Before, finance had no tool but a free-form wallet adjustment:
the intent stayed in review (reconciliation listed it for ever) and nothing tied the adjustment to the payment.

:func:`funding_review_resolve` takes one decision per intent, under the intent's row lock, in one transaction:

* ``credit``: what is in suspense goes to the payer's wallet (suspense -> wallet, entry ``funding_review_credit``;
  for a payment held over the limit, the ordinary ``funding`` credit), under the KYC tier's maximum balance
  (422 ``balance_limit_exceeded``), only in the wallet's currency (400 ``currency_mismatch``: refund it);
* ``refunded``: finance refunded the payer at the gateway (its refund reference is required): suspense -> gateway
  clearing (entry ``funding_review_refund``), so the gateway's settlement, which carries the refund, matches the
  books again; the KYC allowance the intent reserved is given back.

Never on a top-up of one's own (403 ``own_submission``), once (409 ``not_in_review`` afterwards: a replay of the
same request is answered by its Idempotency-Key), audited, the payer told by SMS. A reseller's float payment in
review is not resolved here: its money is in the country operation's books, not the reseller's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import ApiError, Conflict, Forbidden, NotFound
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.kyc.services import kyc_release_spend
from tenant_apps.ledger.errors import BalanceLimitExceeded, CurrencyMismatch
from tenant_apps.ledger.models import AccountKind, JournalEntry
from tenant_apps.ledger.services import Line, balance_ceiling, post_entry, system_account, wallet_for

from .funding import AMOUNT_MISMATCH, BALANCE_LIMIT, FUNDING_MISMATCH_ENTRY, funding_release_held
from .models import FundingIntent, FundingPurpose, FundingResolution, FundingStatus
from .notify import notify_user

logger = logging.getLogger(__name__)

FUNDING_REVIEW_CREDIT_ENTRY = "funding_review_credit"  # suspense -> wallet: finance credited a mismatched payment
FUNDING_REVIEW_REFUND_ENTRY = "funding_review_refund"  # suspense -> gateway clearing: refunded at the gateway
ACTIONS = ("credit", "refunded")


class OwnFundingReview(Forbidden):
    code = "own_submission"
    message = _("You cannot decide on your own top-up.")


class NotInReview(Conflict):
    code = "not_in_review"
    message = _("This top-up is not waiting for review.")


class NothingToCredit(Conflict):
    code = "nothing_in_suspense"
    message = _("The gateway's answer for this top-up had no amount that could be booked: only a refund at the "
                "gateway can settle it.")


class RefundReferenceRequired(ApiError):
    code = "refund_reference_required"
    message = _("Give the gateway's reference of the refund.")


@dataclass(frozen=True)
class InSuspense:
    """What a top-up in review put in suspense (None amount: nothing could be booked)."""

    amount_minor: int | None
    currency: str


def funding_in_suspense(intent: FundingIntent) -> InSuspense:
    """The amount and currency this intent holds in suspense, read from the entry that put it there."""
    if intent.failure_reason == BALANCE_LIMIT:
        return InSuspense(intent.amount_minor, intent.currency)
    entry = JournalEntry.objects.filter(entry_type=FUNDING_MISMATCH_ENTRY, reference=intent.ledger_reference).first()
    if entry is None:
        return InSuspense(None, intent.verified_currency or intent.currency)
    posting = entry.postings.select_related("account").get(account__kind=AccountKind.SUSPENSE)
    return InSuspense(posting.amount, posting.currency)


def funding_reviews(*, limit: int = 200) -> list[FundingIntent]:
    """Top-ups of this tenant's users waiting for finance, oldest first."""
    return list(FundingIntent.objects.filter(status=FundingStatus.REVIEW, purpose=FundingPurpose.WALLET)
                .select_related("user").order_by("created_at", "id")[:limit])


def funding_review_resolve(*, actor, public_id, action: str, note: str = "", refund_reference: str = "",
                           request=None) -> FundingIntent:
    """Settle one top-up in review from suspense (module docstring): ``credit`` or ``refunded``."""
    if action not in ACTIONS:
        raise ApiError(gettext("Choose credit or refunded."), code="invalid_action",
                       fields={"action": [gettext("Choose credit or refunded.")]})
    refund_reference = refund_reference.strip()
    if action == "refunded" and not refund_reference:
        raise RefundReferenceRequired(fields={"gateway_refund_reference": [str(RefundReferenceRequired.message)]})
    with transaction.atomic():
        intent = (FundingIntent.objects.select_for_update().select_related("user")  # lock: subject
                  .filter(public_id=public_id, purpose=FundingPurpose.WALLET).first())
        if intent is None:
            raise NotFound(gettext("No such top-up."), code="unknown_funding")
        if intent.user_id == actor.pk:
            raise OwnFundingReview()
        if intent.status != FundingStatus.REVIEW or intent.failure_reason not in (AMOUNT_MISMATCH, BALANCE_LIMIT):
            raise NotInReview()
        held = funding_in_suspense(intent)
        entry: JournalEntry | None
        if action == "credit":
            entry = _credit(intent, held)
        else:
            entry = _refund(intent, held, refund_reference=refund_reference, actor=actor)
        intent.refresh_from_db()
        if intent.status != FundingStatus.SUCCEEDED:  # a held payment credited became an ordinary success
            intent.status = FundingStatus.RESOLVED
        intent.resolution = FundingResolution.CREDITED if action == "credit" else FundingResolution.REFUNDED
        intent.resolution_entry = entry
        intent.resolved_by, intent.resolved_at = actor.public_id, timezone.now()
        intent.resolution_note, intent.gateway_refund_reference = note.strip()[:255], refund_reference[:100]
        intent.save()
        audit_record(action=AuditAction.FUNDING_REVIEW_CREDIT if action == "credit"
                     else AuditAction.FUNDING_REVIEW_REFUNDED, request=request, actor=actor,
                     subject_type="funding_intent",
                     subject_id=str(intent.public_id), details={
                         "reference": intent.reference, "reason": intent.failure_reason,
                         "amount_minor": held.amount_minor, "currency": held.currency,
                         "gateway_refund_reference": refund_reference, "note": intent.resolution_note})
        if held.amount_minor and intent.status == FundingStatus.RESOLVED:  # a released hold texted its own
            notify_user(intent.user, "wallet_funded" if action == "credit" else "funding_refunded",
                        {"amount": held.amount_minor, "currency": held.currency})
    logger.info("funding review resolved", extra={"intent": intent.reference, "action": action})
    return intent


def _credit(intent: FundingIntent, held: InSuspense) -> JournalEntry:
    if intent.failure_reason == BALANCE_LIMIT:
        released = funding_release_held(intent_id=intent.pk)  # the ordinary credit, under the same ceiling
        if released.status != FundingStatus.SUCCEEDED or released.credit_entry is None:
            raise BalanceLimitExceeded()
        return released.credit_entry
    if held.amount_minor is None:
        raise NothingToCredit()
    if held.currency != intent.currency:
        raise CurrencyMismatch(gettext("The payment was made in %(paid)s and the wallet is in %(wallet)s: refund it at "
                                       "the gateway.") % {"paid": held.currency, "wallet": intent.currency})
    wallet = wallet_for(user=intent.user, currency=intent.currency)
    suspense = system_account(kind=AccountKind.SUSPENSE, currency=held.currency)
    return post_entry(entry_type=FUNDING_REVIEW_CREDIT_ENTRY, reference=intent.ledger_reference,
                      lines=[Line(suspense, -held.amount_minor),
                             Line(wallet, held.amount_minor, ceiling=balance_ceiling(wallet))],
                      metadata={"intent": str(intent.public_id), "reason": intent.failure_reason,
                                "asked": intent.amount_minor})


def _refund(intent: FundingIntent, held: InSuspense, *, refund_reference: str, actor) -> JournalEntry | None:
    kyc_release_spend(user=intent.user, reference=f"funding:{intent.reference}")
    if held.amount_minor is None:
        return None  # nothing reached the books: the refund settles it at the gateway alone
    suspense = system_account(kind=AccountKind.SUSPENSE, currency=held.currency)
    clearing = system_account(kind=AccountKind.GATEWAY_CLEARING, currency=held.currency)
    return post_entry(entry_type=FUNDING_REVIEW_REFUND_ENTRY, reference=intent.ledger_reference,
                      lines=[Line(suspense, -held.amount_minor), Line(clearing, held.amount_minor)],
                      metadata={"intent": str(intent.public_id), "reason": intent.failure_reason,
                                "gateway_refund_reference": refund_reference, "by": str(actor.public_id)})
