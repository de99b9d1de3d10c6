"""Step-up: the user proves it is them before a movement a rule flagged may go through.

Three steps, so that a wrong code counts even though the money request fails:

1. the money request is refused with 428 ``step_up_required``; the refusal creates a challenge bound to that
   movement (``fingerprint``: flow, amount, currency, recipient, product) and delivers it (an SMS code);
2. ``POST /api/risk/step-up/<challenge>/verify {"code": ...}`` (or ``{"pin": ...}``) checks it in its own
   transaction, counting attempts (``RISK_STEP_UP['MAX_ATTEMPTS']``, then the challenge is dead);
3. the same request again with ``X-Step-Up: <challenge>``: the gate consumes the verified challenge inside the
   money transaction (once; a rollback leaves it usable) and the movement goes on to the next rules.

Methods are one narrow interface (:class:`StepUpVerifier`): ``otp`` uses the accounts OTP service (purpose
``step_up``: such a code never logs in); ``pin`` asks the transaction-PIN service named by
``RISK_STEP_UP['PIN_VERIFIER']`` (a dotted path to an object with ``has_pin(user)`` and ``check_pin(user,
pin) -> bool``). Until one is configured, or for a user without a PIN, a PIN step-up falls back to OTP.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_lazy, ngettext

from shared_apps.core.errors import ApiError, NotFound
from tenant_apps.accounts.lockout import code_check, code_send_allowed, code_success

from .errors import StepUpFailed
from .models import Action, StepUpChallenge, StepUpMethod


def _conf() -> dict:
    return settings.RISK_STEP_UP


def mask_phone(phone: str) -> str:
    phone = phone or ""
    return phone[:4] + "*" * max(len(phone) - 7, 0) + phone[-3:] if len(phone) > 7 else "***"


class StepUpVerifier(Protocol):
    method: str

    def available(self, *, user: Any) -> bool:
        """Whether this user can answer this method."""

    def deliver(self, *, challenge: StepUpChallenge, context: dict) -> dict:
        """Send what the user needs (an SMS code) and say where it went (public hints for the answer)."""

    def check(self, *, challenge: StepUpChallenge, secret: str, request: Any = None) -> str:
        """``ok``, ``invalid``, ``expired`` or ``exhausted``."""


class OtpStepUp:
    method: str = StepUpMethod.OTP.value

    def available(self, *, user: Any) -> bool:
        return bool(getattr(user, "phone", ""))

    def deliver(self, *, challenge: StepUpChallenge, context: dict) -> dict:
        from tenant_apps.accounts.models import OtpPurpose
        from tenant_apps.accounts.services import otp_issue

        user = challenge.user
        # A resend without its decision has no amount: the text then names none (its template's other branch).
        context = {"amount": "", "currency": "", **context}
        otp, _sent = otp_issue(user=user, purpose=OtpPurpose.STEP_UP, template="step_up_otp", context=context)
        StepUpChallenge.objects.filter(pk=challenge.pk).update(otp=otp)
        challenge.otp = otp
        return {"sent_to": mask_phone(otp.phone)}

    def check(self, *, challenge: StepUpChallenge, secret: str, request: Any = None) -> str:
        from tenant_apps.accounts.services import otp_check

        otp_id = getattr(challenge, "otp_id", None)
        if otp_id is None:
            return "expired"
        return otp_check(otp_id=otp_id, code=secret, request=request)


class PinStepUp:
    """The transaction PIN, through the PIN service configured in ``RISK_STEP_UP['PIN_VERIFIER']``."""

    method: str = StepUpMethod.PIN.value

    def _service(self) -> Any | None:
        path = _conf().get("PIN_VERIFIER", "")
        return import_string(path) if path else None

    def available(self, *, user: Any) -> bool:
        service = self._service()
        return service is not None and bool(service.has_pin(user))

    def deliver(self, *, challenge: StepUpChallenge, context: dict) -> dict:
        return {}

    def check(self, *, challenge: StepUpChallenge, secret: str, request: Any = None) -> str:
        service = self._service()
        if service is None:
            return "expired"
        if service.check_pin(challenge.user, (secret or "").strip()):
            return "ok"
        return "invalid"


VERIFIERS: dict[str, StepUpVerifier] = {StepUpMethod.OTP.value: OtpStepUp(), StepUpMethod.PIN.value: PinStepUp()}


def method_for(*, action: str, user: Any) -> str:
    """The method a step-up action asks of this user (a PIN when asked and the user has one, else OTP)."""
    if action == Action.STEP_UP_PIN and VERIFIERS[StepUpMethod.PIN].available(user=user):
        return StepUpMethod.PIN
    return StepUpMethod.OTP


def fingerprint(*, user_id: int, flow: str, amount_minor: int, currency: str, recipient_hash: str,
                product_id: int | None) -> str:
    """What a challenge is good for: this user, this flow, this amount, this recipient and product."""
    text = f"{user_id}|{flow}|{amount_minor}|{currency}|{recipient_hash}|{product_id or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def ttl_seconds() -> int:
    return int(_conf()["TTL_SECONDS"])


def challenge_create(*, public_id: uuid.UUID, user: Any, decision: Any, rule_id: int | None, method: str,
                     fingerprint: str, device_hash: str, context: dict) -> tuple[StepUpChallenge, dict]:
    """After the refused request rolled back: the challenge row, then its delivery. Returns (row, hints)."""
    ttl = timedelta(seconds=ttl_seconds())
    challenge = StepUpChallenge.objects.create(
        public_id=public_id, user=user, decision=decision, rule_id=rule_id, method=method, fingerprint=fingerprint,
        device_hash=device_hash, expires_at=timezone.now() + ttl)
    hints = VERIFIERS[method].deliver(challenge=challenge, context=context)
    return challenge, hints


class StepUpCodeLimit(ApiError):
    """429 ``step_up_code_limit``: ``PHONE_OTP['MAX_CODES_PER_DAY']`` step-up codes were texted to this user in 24
    hours; no more until the day's count runs out (a PIN step-up sends nothing and is not counted)."""

    status_code = 429
    code = "step_up_code_limit"
    message = gettext_lazy("We have sent you too many confirmation codes today. Try again tomorrow, "
                           "or contact support.")


def code_send_claim(*, user: Any) -> None:
    """Count one more step-up SMS code for ``user`` today (the login and PIN-reset codes' daily cap, on its own
    subject ``step_up:<user>``); raises :class:`StepUpCodeLimit` past ``PHONE_OTP['MAX_CODES_PER_DAY']``."""
    if not code_send_allowed(subject=f"step_up:{user.public_id}"):
        raise StepUpCodeLimit()


def challenge_for_refusal(*, user: Any, fingerprint: str, method: str, challenge_id: uuid.UUID) -> str:
    """The challenge a step-up refusal answers with (its public id): ``challenge_id`` when this request is to create
    and deliver it, else one already sent for the same movement.

    Raises :class:`StepUpCodeLimit` when a new SMS code would be needed past the day's cap (counted before the
    delivery is claimed: refusals arriving together each count, so no more than the cap are ever texted).

    * The movement's newest challenge, still unanswered and younger than the OTP cooldown, is reused: a client
      repeating the refused request does not text the customer again and again.
    * Refusals of one movement arriving together (none sees another's row: they are written after the rollback)
      claim the delivery atomically with the OTP cooldown's claim (``sms_send_claim``: Redis SET NX on a key of
      this tenant, user, method and movement, for ``RESEND_COOLDOWN_SECONDS``), holding the winner's challenge id:
      one creates and texts it, the others name it. The key also names the newest challenge read, so a refusal
      after that one was used (the same payment again, confirmed a moment ago) claims afresh. One read for both
      (a racer reading after the winner's row was written reuses it; one reading before it keys as the winner did).
    """
    from tenant_apps.accounts.services import sms_send_claim, sms_send_holder

    now = timezone.now()
    cooldown = timedelta(seconds=settings.PHONE_OTP["RESEND_COOLDOWN_SECONDS"])
    newest = StepUpChallenge.objects.filter(user=user, fingerprint=fingerprint, method=method).order_by("-pk").first()
    if (newest is not None and newest.verified_at is None and newest.consumed_at is None
            and newest.expires_at > now and newest.created_at > now - cooldown):
        return str(newest.public_id)
    if method == StepUpMethod.OTP:
        code_send_claim(user=user)
    key = f"step-up-send:{user.public_id}:{method}:{fingerprint}:{newest.pk if newest is not None else 0}"
    if sms_send_claim(key=key, seconds=int(cooldown.total_seconds()), holder=str(challenge_id)):
        return str(challenge_id)
    return sms_send_holder(key=key) or str(challenge_id)  # expired in between: deliver our own


def _challenge_of(*, user: Any, challenge_id: Any) -> StepUpChallenge:
    try:
        key = uuid.UUID(str(challenge_id))
    except ValueError:
        raise NotFound(gettext("No such step-up."), code="unknown_step_up") from None
    # lock: subject
    row = StepUpChallenge.objects.select_for_update().select_related("user").filter(public_id=key, user=user).first()
    if row is None:
        raise NotFound(gettext("No such step-up."), code="unknown_step_up")
    return row


def step_up_verify(*, user: Any, challenge_id: Any, secret: str, request: Any = None) -> StepUpChallenge:
    """Check the user's answer; commits on its own (a wrong answer counts). Raises a 4xx with a stable code."""
    max_attempts = _conf()["MAX_ATTEMPTS"]
    with transaction.atomic():
        row = _challenge_of(user=user, challenge_id=challenge_id)
        if row.verified_at is not None and row.consumed_at is None:
            return row
        if row.consumed_at is not None or row.expires_at <= timezone.now():
            raise ApiError(gettext("This confirmation has expired; send the payment again."), code="step_up_expired",
                           status_code=410)
        if row.attempts >= max_attempts:
            raise ApiError(gettext("Too many wrong codes; send the payment again."), code="step_up_locked",
                           status_code=429)
        # An SMS code is counted per user across challenges too (each payment sent again made a new one with its
        # own tries: a stolen session guessed without end); the PIN has its own lockout (pins.services).
        subject = f"step_up:{user.public_id}" if row.method == StepUpMethod.OTP else ""
        if subject and code_check(subject=subject) is not None:
            raise ApiError(gettext("Too many wrong codes; send the payment again."), code="step_up_locked",
                           status_code=429)
        outcome = VERIFIERS[row.method].check(challenge=row, secret=secret, request=request)
        if outcome == "ok":
            if subject:
                code_success(subject=subject)
            row.verified_at = timezone.now()
            row.save(update_fields=["verified_at"])
            return row
        StepUpChallenge.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        left = max_attempts - row.attempts - 1
    if outcome == "expired":
        raise ApiError(gettext("This confirmation has expired; send the payment again."), code="step_up_expired",
                       status_code=410)
    if outcome == "exhausted" or left <= 0:
        raise ApiError(gettext("Too many wrong codes; send the payment again."), code="step_up_locked", status_code=429)
    field = "pin" if row.method == StepUpMethod.PIN else "code"
    raise StepUpFailed(fields={field: [ngettext("Not valid (%(count)s attempt left).",
                                                "Not valid (%(count)s attempts left).", left) % {"count": left}]})


def step_up_resend(*, user: Any, challenge_id: Any) -> dict:
    """A new SMS code for the same challenge (OTP only), at most once per ``RESEND_COOLDOWN_SECONDS``."""
    from tenant_apps.accounts.services import sms_send_claim

    with transaction.atomic():
        row = _challenge_of(user=user, challenge_id=challenge_id)
        if row.method != StepUpMethod.OTP or row.verified_at is not None or row.expires_at <= timezone.now():
            raise ApiError(gettext("This confirmation cannot be sent again."), code="step_up_not_resendable",
                           status_code=409)
        seconds = settings.PHONE_OTP["RESEND_COOLDOWN_SECONDS"]
        recent = row.otp is not None and row.otp.created_at > timezone.now() - timedelta(seconds=seconds)
        # The row lock ends with this block and the code is sent after it: resends sent at once would all find the
        # old code and each text a new one. The cooldown is claimed atomically (Redis SET NX) by one of them.
        if recent or not sms_send_claim(key=f"step-up-resend:{row.public_id}", seconds=seconds):
            raise ApiError(gettext("Wait a moment before asking for another code."), code="step_up_resend_too_soon",
                           status_code=429)
        code_send_claim(user=user)
    decision = row.decision
    context = {"amount": decision.amount_minor, "currency": decision.currency} if decision is not None else {}
    return VERIFIERS[row.method].deliver(challenge=row, context=context)


def consume(*, user: Any, challenge_id: str, fingerprint: str) -> StepUpChallenge | None:
    """In the money transaction: the verified, unexpired, unused challenge for this movement, now used (once)."""
    try:
        key = uuid.UUID(challenge_id)
    except ValueError:
        return None
    row = (StepUpChallenge.objects.select_for_update()  # lock: subject
           .filter(public_id=key, user=user, fingerprint=fingerprint, verified_at__isnull=False,
                   consumed_at__isnull=True, expires_at__gt=timezone.now()).first())
    if row is None:
        return None
    row.consumed_at = timezone.now()
    row.save(update_fields=["consumed_at"])
    return row
