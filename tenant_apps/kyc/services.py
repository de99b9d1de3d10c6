"""KYC: submit a number and documents, automatic check, operator review, tier limits.

The identity number is validated by the country adapter, encrypted before it
touches the database, and decrypted only for the verifier call. No response,
exception message or log line carries it: only ``number_masked``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from countries.errors import InvalidKycNumber
from countries.registry import display_minor
from provider_plugins.interfaces.common import ProviderConfig, ProviderError, ProviderFault
from provider_plugins.interfaces.kyc import KycCheckRequest, KycMatch
from provider_plugins.interfaces.observe import observed_session
from provider_plugins.interfaces.plugin import Capability
from provider_plugins.registry import get_plugin
from shared_apps.core.db_refusals import Refusal, refusals
from shared_apps.core.errors import ApiError, Conflict, Forbidden
from tenant_apps.accounts.country import current_adapter, current_country
from tenant_apps.accounts.models import User
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.provider_archive.services import archived_call

from . import crypto
from .models import (
    DOCUMENT_REQUIREMENTS,
    DocumentKind,
    KycDocument,
    KycSpend,
    KycStatus,
    KycSubmission,
    VerificationStatus,
)
from .selectors import kyc_balance_room, kyc_balance_tier, today_start

logger = logging.getLogger(__name__)

ALLOWED_DOCUMENT_TYPES = {"image/jpeg", "image/png", "application/pdf"}


def _field_error(field: str, message: str, *, code: str = "validation_error") -> ApiError:
    return ApiError(gettext("Some fields are invalid."), code=code, fields={field: [message]})


@dataclass(frozen=True)
class UploadedDocument:
    kind: str
    file: Any  # a Django UploadedFile


def _validate_documents(documents: list[UploadedDocument]) -> None:
    limit = settings.KYC_MAX_DOCUMENT_BYTES
    for document in documents:
        if document.kind not in DocumentKind.values:
            raise _field_error(document.kind, gettext("Unknown document kind."))
        content_type = getattr(document.file, "content_type", "") or ""
        if content_type not in ALLOWED_DOCUMENT_TYPES:
            raise _field_error(document.kind, gettext("Upload a JPEG, PNG or PDF file."), code="invalid_document")
        if not document.file.size or document.file.size > limit:
            raise _field_error(document.kind, gettext("Files must be between 1 byte and %(megabytes)s MB.") % {
                                   "megabytes": limit // (1024 * 1024)},
                               code="invalid_document")


def kyc_submit(*, user: User, scheme: str, number: str, documents: list[UploadedDocument] | None = None,
               request: Any = None) -> KycSubmission:
    """Validate, encrypt and store a submission with its documents, then ask the verifier."""
    documents = documents or []
    adapter = current_adapter()
    schemes = {item.code: item for item in adapter.kyc_schemes}
    if scheme not in schemes:
        raise _field_error("scheme", gettext("Choose one of: %(choices)s.") % {"choices": ", ".join(schemes)},
                           code="unknown_kyc_scheme")
    try:
        canonical = schemes[scheme].validate(number or "")
    except InvalidKycNumber as exc:
        # The adapter's message echoes the input: answer with our own words only.
        raise _field_error("number", gettext("This is not a valid %(scheme)s.") % {"scheme": schemes[scheme].label},
                           code=getattr(exc, "code", "invalid_kyc_number")) from None
    _validate_documents(documents)
    fingerprint = crypto.fingerprint(scheme=scheme, number=canonical)
    live = KycSubmission.objects.exclude(status=KycStatus.REJECTED)
    if live.filter(user=user, scheme=scheme).exists():
        raise _field_error("scheme", gettext("You already have a submission for this scheme."),
                           code="kyc_already_submitted")
    if live.filter(scheme=scheme, number_fingerprint=fingerprint).exclude(user=user).exists():
        raise _field_error("number", gettext("This number is already used by another account."),
                           code="kyc_number_in_use")
    try:
        with transaction.atomic():
            submission = KycSubmission.objects.create(
                user=user, scheme=scheme, number_encrypted=crypto.encrypt_number(canonical),
                number_masked=crypto.mask_number(canonical), number_fingerprint=fingerprint)
            for document in documents:
                KycDocument.objects.create(submission=submission, kind=document.kind, file=document.file,
                                           content_type=document.file.content_type,
                                           size_bytes=document.file.size)
            audit_record(action=AuditAction.KYC_SUBMITTED, request=request, actor=user, subject_type="kyc",
                         subject_id=str(submission.public_id),
                         details={"scheme": scheme, "number": submission.number_masked,
                                  "documents": [d.kind for d in documents]})
    except IntegrityError:
        raise _field_error("scheme", gettext("You already have a submission for this scheme."),
                           code="kyc_already_submitted") from None
    kyc_verify_number(submission=submission, request=request)
    return submission


def _verifier(*, country: str = "", scheme: str = "") -> tuple[Any, ProviderConfig] | None:
    """The number checker for (country, scheme): a KYC provider of the registry for the country that supports
    the scheme (e.g. OnePipe's BVN lookup in Nigeria), else the deployment's verifier (``KYC_VERIFIER``)."""
    if country and scheme:
        from shared_apps.providers.selectors import providers_for
        from shared_apps.providers.services import provider_config, provider_plugin

        for provider in providers_for(country=country, capability=Capability.KYC.value):
            connector = provider_plugin(provider=provider).connector(Capability.KYC)()
            if connector.supports(country=country, scheme=scheme):
                return connector, provider_config(provider=provider)
    conf = settings.KYC_VERIFIER
    if not conf.get("ENABLED"):
        return None
    plugin = get_plugin(conf.get("PLUGIN", "kyc_verifier"))
    config = ProviderConfig(base_url=conf["BASE_URL"],
                            credentials={"partner_id": conf["PARTNER_ID"], "api_key": conf["API_KEY"]},
                            timeout_seconds=float(conf.get("TIMEOUT_SECONDS", 10.0)), session=observed_session())
    return plugin.connector(Capability.KYC)(), config


def kyc_verify_number(*, submission: KycSubmission, request: Any = None) -> KycSubmission:
    """Ask the verifier plugin about the number (outside any transaction: it is a network call).

    ``no_match`` rejects the submission automatically; ``match`` leaves it for an
    operator; anything unclear stays ``pending`` to be checked again.
    """
    if submission.status != KycStatus.PENDING:
        return submission
    country = current_country()
    verifier = _verifier(country=country, scheme=submission.scheme)
    if verifier is None:
        return submission
    connector, config = verifier
    if not connector.supports(country=country, scheme=submission.scheme):
        return submission
    check = KycCheckRequest(country=country, scheme=submission.scheme,
                            number=crypto.decrypt_number(submission.number_encrypted),
                            reference=str(submission.public_id), user_reference=str(submission.user.public_id))
    try:
        with archived_call(subject_type="kyc", subject_id=submission.pk, attempt_ref=str(submission.public_id),
                           operation="verify_number", plugin_key=type(connector).__module__.split(".")[1],
                           config=config, personal=[check.number, submission.user.phone or ""]):
            result = connector.check(config, check)
    except ProviderFault as exc:
        submission.verification_status, submission.verification_code = VerificationStatus.PENDING, exc.code[:16]
        submission.save(update_fields=["verification_status", "verification_code"])
        logger.warning("KYC check of submission %s unclear: %s", submission.public_id, exc.code)
        return submission
    except ProviderError as exc:  # unsupported scheme at the provider: leave it to people
        logger.info("KYC check of submission %s not possible: %s", submission.public_id, exc.code)
        return submission
    with transaction.atomic():
        submission.verification_status = VerificationStatus(result.match.value)
        submission.verification_reference = result.provider_reference[:64]
        submission.verification_code = result.result_code[:16]
        fields = ["verification_status", "verification_reference", "verification_code"]
        if result.match == KycMatch.NO_MATCH:
            submission.status = KycStatus.REJECTED
            submission.reviewed_at = timezone.now()
            submission.review_note = f"Automatic check: {result.result_text or 'no match'}"[:255]
            fields += ["status", "reviewed_at", "review_note"]
        submission.save(update_fields=fields)
        audit_record(action=AuditAction.KYC_CHECKED, request=request, subject_type="kyc",
                     subject_id=str(submission.public_id),
                     details={"result": result.match.value, "code": result.result_code})
        if result.match == KycMatch.NO_MATCH:
            audit_record(action=AuditAction.KYC_REJECTED, request=request, subject_type="kyc",
                         subject_id=str(submission.public_id), details={"automatic": True})
    return submission


def kyc_decide(*, reviewer: User, submission: KycSubmission, approve: bool, note: str = "",
               request: Any = None) -> KycSubmission:
    """An operator approves or rejects a pending submission (never their own)."""
    if submission.user_id == reviewer.pk:
        raise Forbidden(gettext("You cannot review your own KYC submission."), code="own_submission")
    with transaction.atomic():
        locked = KycSubmission.objects.select_for_update().get(pk=submission.pk)  # lock: subject
        if locked.status != KycStatus.PENDING:
            raise Conflict(gettext("This submission has already been decided."), code="kyc_already_decided")
        locked.status = KycStatus.APPROVED if approve else KycStatus.REJECTED
        locked.reviewed_by = reviewer
        locked.reviewed_at = timezone.now()
        locked.review_note = note[:255]
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(action=AuditAction.KYC_APPROVED if approve else AuditAction.KYC_REJECTED, request=request,
                     actor=reviewer, subject_type="kyc", subject_id=str(locked.public_id),
                     details={"scheme": locked.scheme, "number": locked.number_masked, "note": note[:255]})
    return locked


# --- tier limits (called by wallet and purchase code) ----------------------------------------

class KycLimitExceeded(ApiError):
    status_code = 403
    code = "kyc_limit_exceeded"
    message = gettext_lazy("This amount is above the limit of your verification level.")


def kyc_check_limits(*, user: User, amount_minor: int, currency: str) -> Any:
    """Raise ``KycLimitExceeded`` unless ``amount_minor`` fits the user's tier (single and daily).

    Returns the tier. Call it before moving money; record the movement with
    ``kyc_reserve`` in the same transaction. The rule itself is the server-side ``kyc_check``
    (migration 0002), the same one every reservation and the purchase's one call run.
    """
    adapter = _check_amount_currency(amount_minor, currency)
    # A savepoint: a refusal is raised by the database, and a caller's transaction goes on after a read.
    with transaction.atomic(), refusals(kyc_refusals(adapter)), connection.cursor() as cursor:
        cursor.execute("SELECT kyc_check(%s, %s, %s, %s, %s::jsonb, %s)",
                       [user.pk, user.phone_verified_at is not None, amount_minor, currency,
                        kyc_rules_json(adapter), today_start()])
        level = cursor.fetchone()[0]
    return _tier_of_level(adapter, level)


def _check_amount_currency(amount_minor: int, currency: str) -> Any:
    adapter = current_adapter()
    if currency != adapter.currency:
        raise ApiError(gettext("This site works in %(currency)s.") % {"currency": adapter.currency},
                       code="currency_mismatch",
                       fields={"currency": [gettext("Expected %(currency)s.") % {"currency": adapter.currency}]})
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ApiError(gettext("Some fields are invalid."), code="invalid_amount",
                       fields={"amount": [gettext("The amount must be a positive whole number of minor units.")]})
    return adapter


_rules_json: dict[tuple, str] = {}


def kyc_rules_json(adapter: Any) -> str:
    """The country's tiers and document requirements as the server-side ``kyc_check`` reads them (per process).

    Kept per tier values, not per adapter object: an overridden adapter is a new object on every lookup, and an
    object's id is reused once it is gone (another country's rules could have answered)."""
    key = tuple((tier.level, tier.single_limit_minor, tier.daily_limit_minor, tuple(tier.requires))
                for tier in adapter.kyc_tiers)
    cached = _rules_json.get(key)
    if cached is None:
        if len(_rules_json) >= 256:
            _rules_json.clear()
        cached = json.dumps({
            "tiers": [{"level": tier.level, "single": tier.single_limit_minor, "daily": tier.daily_limit_minor,
                       "requires": list(tier.requires)} for tier in adapter.kyc_tiers],
            "documents": {str(kind): requirement for kind, requirement in DOCUMENT_REQUIREMENTS.items()},
        })
        _rules_json[key] = cached
    return cached


def _tier_of_level(adapter: Any, level: Any) -> Any:
    return next((tier for tier in adapter.kyc_tiers if tier.level == level), None)


def kyc_refusal(refusal: Refusal, adapter: Any, *, for_customer: bool = False) -> KycLimitExceeded:
    """The words of a ``kyc_limit_exceeded`` refusal of the server-side rule (the tier, the limit, what is left),
    amounts shown as the site shows them in the request's language (``2 000 UM``).

    ``adapter``: the country's, read before the call (the refused call aborted the transaction: no query now).
    ``for_customer``: the caller is an agent serving the customer (a cash-in): the limit is the customer's, and
    the message says so.
    """
    currency = adapter.currency
    tier = _tier_of_level(adapter, refusal.detail.get("level"))
    limit = refusal.detail.get("limit")
    if tier is None or limit == "none":
        return KycLimitExceeded(
            gettext("The customer must verify their phone number before moving money.") if for_customer
            else gettext("Verify your phone number before moving money."),
            fields={"amount": [gettext("No verification level yet.")]})
    if limit == "single":
        single = display_minor(tier.single_limit_minor, currency)
        return KycLimitExceeded(
            (gettext("The customer's limit at %(level)s is %(limit)s per transaction.") if for_customer
             else gettext("The most you can move at once at %(level)s is %(limit)s.")) % {
                "level": tier.name, "limit": single},
            fields={"amount": [gettext("Single limit: %(amount)s.") % {"amount": single}]})
    left = display_minor(int(refusal.detail.get("left") or 0), currency)
    return KycLimitExceeded(
        (gettext("This would pass the customer's daily limit at %(level)s: %(left)s left today.") if for_customer
         else gettext("This would pass your daily limit at %(level)s: %(left)s left today.")) % {
            "level": tier.name, "left": left},
        fields={"amount": [gettext("Daily limit left: %(amount)s.") % {"amount": left}]})


def kyc_refusals(adapter: Any, *, for_customer: bool = False) -> dict[str, Callable[[Refusal], BaseException]]:
    """The refusals of the KYC functions, worded for ``adapter``'s country (``shared_apps.core.db_refusals``);
    ``for_customer``: worded for an agent serving the customer (:func:`kyc_refusal`)."""
    return {"kyc_limit_exceeded": lambda refusal: kyc_refusal(refusal, adapter, for_customer=for_customer)}


def kyc_record_spend(*, user: User, amount_minor: int, currency: str, reference: str) -> KycSpend:
    """Count money moved against the daily limit; the same reference twice counts once."""
    spend, _created = KycSpend.objects.get_or_create(
        user=user, reference=reference, defaults={"amount_minor": amount_minor, "currency": currency})
    return spend


def kyc_release_spend(*, user: User, reference: str) -> KycSpend | None:
    """Give back a recorded amount (the purchase failed): a negative row, once."""
    original = KycSpend.objects.filter(user=user, reference=reference).first()
    if original is None:
        return None
    release, _created = KycSpend.objects.get_or_create(
        user=user, reference=f"{reference}:release",
        defaults={"amount_minor": -original.amount_minor, "currency": original.currency})
    return release


def kyc_reserve(*, user: User, amount_minor: int, currency: str, reference: str,
                savepoint: bool = True, for_customer: bool = False) -> KycSpend:
    """Check and record in one step, serialised per user (row lock) so two requests cannot both pass.

    One call of the server-side ``kyc_reserve_spend`` (migration 0002): the user's row lock, the tier's
    single and daily limits (``kyc_check``), the spend row; a reference counted before is answered as is.
    ``savepoint=False`` for a caller that holds the transaction and rolls it all back on any error (a
    purchase): no SAVEPOINT/RELEASE round trips. ``for_customer``: an agent moves the user's money for them (a
    cash-in): a refusal says the limit is the customer's.
    """
    adapter = _check_amount_currency(amount_minor, currency)
    now = timezone.now()
    with transaction.atomic(savepoint=savepoint), refusals(kyc_refusals(adapter, for_customer=for_customer)), \
            connection.cursor() as cursor:
        cursor.execute("SELECT spend_id, created FROM kyc_reserve_spend(%s, %s, %s, %s, %s::jsonb, %s, %s)",
                       [user.pk, amount_minor, currency, reference, kyc_rules_json(adapter), today_start(), now])
        spend_id, created = cursor.fetchone()
    if not created:
        return KycSpend.objects.get(pk=spend_id)
    spend = KycSpend(pk=spend_id, user=user, amount_minor=amount_minor, currency=currency, reference=reference,
                     occurred_at=now)
    spend._state.adding = False
    return spend


# --- maximum wallet balance (issue 14) ----------------------------------------------------------

def kyc_balance_cap(*, user: User) -> int | None:
    """The most the user's customer wallet may hold (balance + money on hold), in minor units; None: no cap.

    ``settings.LEDGER_BALANCE_CEILING`` points here: the ledger asks it for every capped credit (funding,
    P2P receive, cash-in) and enforces it in the same locked UPDATE that moves the money.
    """
    if getattr(user, "role", "") == "agent":
        return None
    tier = kyc_balance_tier(user=user)
    return tier.max_balance_minor if tier is not None else None


def kyc_check_balance_room(*, user: User, amount_minor: int, currency: str) -> None:
    """Refuse (422 ``balance_limit_exceeded``) before anything starts when ``amount_minor`` would take the
    user's own wallet over its tier's maximum balance; the message says how much still fits."""
    from tenant_apps.ledger.errors import BalanceLimitExceeded

    room = kyc_balance_room(user=user, currency=currency)
    if room.cap is None or room.holdings + amount_minor <= room.cap:
        return
    headroom = room.headroom or 0
    level = room.tier.name if room.tier is not None else ""
    raise BalanceLimitExceeded(
        gettext("Your wallet can hold at most %(cap)s at %(level)s: you can add up to %(headroom)s now. Verify "
                "your identity to raise the limit.") % {
            "cap": display_minor(room.cap, currency), "level": level, "headroom": display_minor(headroom, currency)},
        fields={"amount": [gettext("At most %(amount)s.") % {"amount": display_minor(headroom, currency)}]})


def kyc_recheck_pending(*, limit: int = 100) -> int:
    """Ask the verifier again about submissions whose check was unclear; returns how many were retried."""
    pending = list(KycSubmission.objects.select_related("user").filter(
        status=KycStatus.PENDING, verification_status=VerificationStatus.PENDING).order_by("created_at")[:limit])
    for submission in pending:
        kyc_verify_number(submission=submission)
    return len(pending)
