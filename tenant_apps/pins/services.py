"""Transaction PIN: set, change (at once, or in steps: ``pin_change_begin``/``pin_change_finish``), reset (by SMS
code, at once or in steps: ``pin_reset_verify``/``pin_reset_complete``), check with lockout; the tenant's PIN
policy.

The PIN is hashed with Django's password hashers (``make_password``: salted and slow) and never stored,
logged or audited in clear. ``pin_check`` counts a wrong PIN in its OWN transaction (call it outside the
request's money transaction: the count must survive the refusal), under a row lock so concurrent guesses
are counted one after the other; ``TRANSACTION_PIN['MAX_ATTEMPTS']`` wrong tries in a row lock the PIN until
it is reset with a one-time code sent to the verified phone (``pin_reset_start`` / ``pin_reset_finish``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shared_apps.core.cache_versions import VersionedMemo, bump_cache_version
from shared_apps.core.errors import ApiError
from tenant_apps.accounts.lockout import code_send_allowed
from tenant_apps.accounts.models import OtpPurpose
from tenant_apps.accounts.services import otp_consume, otp_cooling_down, otp_send, require_phone_verified
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record

from .errors import (
    InvalidTransactionPin,
    PinAlreadySet,
    PinChangeExpired,
    TransactionPinLocked,
    TransactionPinNotSet,
    WeakPin,
)
from .models import PinPolicy, TransactionPin

logger = logging.getLogger(__name__)

# Keypad patterns people pick first (a column, its reverse), besides runs and repeats found by rule.
KEYPAD_PATTERNS = frozenset({"2580", "0852", "1470", "0741", "3690", "0963", "1379", "1397"})


def _conf() -> dict[str, Any]:
    return settings.TRANSACTION_PIN


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    reason: str = ""  # "", "invalid", "locked", "not_set"
    attempts_left: int = 0


# --- rules --------------------------------------------------------------------------------------

def _is_run(pin: str) -> bool:
    """Every digit one above (or below) the previous, wrapping (1234, 7890, 9876, 3210)."""
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {9})


def _is_repeat(pin: str) -> bool:
    """The same block over and over: 0000, 1212, 123123, 112112."""
    return any(len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size) for size in (1, 2, 3)
               if size < len(pin))


def pin_problems(pin: str, *, user: Any) -> list[str]:
    """Why ``pin`` may not be chosen (empty when it may). Messages are translatable."""
    conf = _conf()
    low, high = conf["MIN_LENGTH"], conf["MAX_LENGTH"]
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit() and low <= len(pin) <= high):
        return [str(_("Use %(low)s to %(high)s digits.") % {"low": low, "high": high})]
    phone_digits = "".join(ch for ch in (getattr(user, "phone", "") or "") if ch.isdigit())
    if _is_run(pin) or _is_repeat(pin) or pin in KEYPAD_PATTERNS:
        return [str(_("This PIN is too easy to guess (repeated or consecutive digits)."))]
    if phone_digits and (phone_digits.endswith(pin) or pin in phone_digits[-(len(pin) + 2):]):
        return [str(_("Do not use the digits of your phone number."))]
    return []


def _validate_new(pin: str, *, user: Any, field: str = "pin") -> str:
    problems = pin_problems(pin, user=user)
    if problems:
        raise WeakPin(fields={field: problems})
    return pin


def _hash(pin: str) -> str:
    return make_password(pin)


# --- reads -------------------------------------------------------------------------------------

def pin_row(user: Any) -> TransactionPin | None:
    user_id = getattr(user, "pk", None)  # None: an anonymous or unsaved user has no PIN
    return TransactionPin.objects.filter(user_id=user_id).first() if user_id is not None else None


def pin_usable(user: Any) -> bool:
    """The customer has a PIN that is not locked (what agent confirmations and USSD need)."""
    user_id = getattr(user, "pk", None)
    return user_id is not None and TransactionPin.objects.filter(user_id=user_id, locked_at__isnull=True).exists()


def pin_status(*, user: Any) -> dict[str, Any]:
    row = pin_row(user)
    max_attempts = _conf()["MAX_ATTEMPTS"]
    return {
        "is_set": row is not None,
        "locked": bool(row and row.is_locked),
        "attempts_left": 0 if row is None or row.is_locked else max_attempts - row.failed_attempts,
        "set_at": row.set_at if row else None,
        "min_length": _conf()["MIN_LENGTH"],
        "max_length": _conf()["MAX_LENGTH"],
    }


# The threshold is kept per process while the tenant's "pins:policy" cache version holds (its key is in every
# request's one MGET: shared_apps.core.redis_cache); an update bumps it, at once and again on commit. The version
# is read BEFORE the row, so a reader that read the old row while an update committed keeps it under the old
# version, which nobody asks for again (a copy under one fixed key outlived the update's invalidation).
POLICY_VERSION = "pins:policy"
_POLICY: VersionedMemo[int | None] = VersionedMemo(POLICY_VERSION)


def web_api_threshold_minor() -> int | None:
    """From this debit (minor units) up, web and API money moves need the PIN; None: never.

    Asked by every money request (the gate): one versioned read (in the request's MGET) instead of a SQL
    statement. A value this connection changed and has not committed is never kept, and a Redis outage
    reads the row every time (``VersionedMemo``)."""
    return _POLICY.get("threshold", _read_threshold)


def _read_threshold() -> int | None:
    return PinPolicy.objects.filter(singleton=True).values_list("web_api_threshold_minor", flat=True).first()


# --- writes ------------------------------------------------------------------------------------

def pin_set(*, user: Any, pin: str, request: Any = None) -> TransactionPin:
    """The first PIN, once the phone is verified. 409 when one exists (change or reset it instead)."""
    require_phone_verified(user)
    _validate_new(pin, user=user)
    if TransactionPin.objects.filter(user_id=user.pk).exists():
        raise PinAlreadySet()
    try:
        with transaction.atomic():
            row = TransactionPin.objects.create(user=user, pin_hash=_hash(pin))
            audit_record(action=AuditAction.PIN_SET, request=request, actor=user, subject_type="user",
                         subject_id=str(user.public_id))
    except IntegrityError:  # a concurrent twin won
        raise PinAlreadySet() from None
    return row


def pin_change(*, user: Any, current_pin: str, new_pin: str, request: Any = None) -> TransactionPin:
    """A new PIN against the current one (a wrong current PIN counts towards the lock)."""
    _validate_new(new_pin, user=user, field="new_pin")
    pin_verify(user=user, pin=current_pin, request=request)
    if current_pin == new_pin:
        raise WeakPin(fields={"new_pin": [str(_("Choose a PIN different from the current one."))]})
    with transaction.atomic():
        row = TransactionPin.objects.select_for_update().get(user_id=user.pk)  # lock: standalone
        _replace(row, new_pin=new_pin, user=user, action=AuditAction.PIN_CHANGED, request=request)
    return row


def _replace(row: TransactionPin, *, new_pin: str, user: Any, action: str, request: Any) -> None:
    """Store ``new_pin`` on the locked ``row`` (count cleared, unlocked) and audit ``action``."""
    row.pin_hash, row.failed_attempts, row.locked_at, row.set_at = _hash(new_pin), 0, None, timezone.now()
    row.save(update_fields=["pin_hash", "failed_attempts", "locked_at", "set_at"])
    audit_record(action=action, request=request, actor=user, subject_type="user", subject_id=str(user.public_id))


# A change in steps (USSD: the current PIN on one screen, the new one on the next two; a PIN is never kept in the
# session). The current PIN is checked first, by ``pin_verify`` (a wrong one counts like at payment); what the
# session keeps is a ticket: a keyed MAC of the user, the PIN's stored hash and an expiry. It proves nothing once
# the PIN changes (this change, a reset, another change), locks, or the ticket expires.

def _ticket_mac(row: TransactionPin, expires: int) -> str:
    message = f"pin-change|{row.user_id}|{row.pin_hash}|{expires}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def pin_change_begin(*, user: Any, current_pin: str, request: Any = None) -> str:
    """Check the current PIN (counted, committed: ``pin_verify``'s 403s) and return a change ticket, good for
    ``TRANSACTION_PIN['CHANGE_TICKET_SECONDS']``, for :func:`pin_change_finish`."""
    pin_verify(user=user, pin=current_pin, request=request)
    row = TransactionPin.objects.get(user_id=user.pk)
    expires = int(time.time()) + int(_conf().get("CHANGE_TICKET_SECONDS", 300))
    return f"{expires}.{_ticket_mac(row, expires)}"


def pin_change_finish(*, user: Any, ticket: str, new_pin: str, request: Any = None) -> TransactionPin:
    """The new PIN of a change begun with :func:`pin_change_begin` (the same rules as a first PIN, and not the
    current one); 409 ``pin_change_expired`` when the ticket no longer holds. Takes effect at once."""
    _validate_new(new_pin, user=user, field="new_pin")
    expires_text, _dot, mac = (ticket or "").partition(".")
    with transaction.atomic():
        row = TransactionPin.objects.select_for_update().filter(user_id=user.pk).first()  # lock: standalone
        if (row is None or row.is_locked or not expires_text.isdigit() or int(expires_text) < time.time()
                or not hmac.compare_digest(mac, _ticket_mac(row, int(expires_text)))):
            raise PinChangeExpired()
        if check_password(new_pin, row.pin_hash):
            raise WeakPin(fields={"new_pin": [str(_("Choose a PIN different from the current one."))]})
        _replace(row, new_pin=new_pin, user=user, action=AuditAction.PIN_CHANGED, request=request)
    return row


def pin_reset_send(*, user: Any, request: Any = None) -> str:
    """Text a reset code to the verified phone (one per resend cooldown): ``sent``, ``cooling_down`` (the code
    sent moments ago still works) or ``failed`` (the SMS was not accepted)."""
    require_phone_verified(user)
    if otp_cooling_down(user=user, purpose=OtpPurpose.RESET_PIN):
        return "cooling_down"
    if not code_send_allowed(subject=f"{OtpPurpose.RESET_PIN}:{user.public_id}"):
        return "cooling_down"  # PHONE_OTP['MAX_CODES_PER_DAY']: the last code sent still works until it expires
    sent = otp_send(user=user, request=request, purpose=OtpPurpose.RESET_PIN, template="pin_reset_otp")
    return "sent" if sent else "failed"


def pin_reset_start(*, user: Any, request: Any = None) -> bool:
    """Text a reset code to the verified phone (one per resend cooldown). True when a code was sent now."""
    return pin_reset_send(user=user, request=request) == "sent"


def pin_reset_finish(*, user: Any, code: str, new_pin: str, request: Any = None) -> TransactionPin:
    """The SMS code sets a new PIN (also when none was set) and unlocks it; the code is used up with it."""
    require_phone_verified(user)
    _validate_new(new_pin, user=user, field="new_pin")

    def store() -> TransactionPin:
        row = TransactionPin.objects.select_for_update().filter(user_id=user.pk).first()  # lock: standalone
        if row is None:
            row = TransactionPin.objects.create(user=user, pin_hash=_hash(new_pin))
            audit_record(action=AuditAction.PIN_RESET, request=request, actor=user, subject_type="user",
                         subject_id=str(user.public_id))
        else:
            _replace(row, new_pin=new_pin, user=user, action=AuditAction.PIN_RESET, request=request)
        return row

    return otp_consume(user=user, code=code, purpose=OtpPurpose.RESET_PIN, request=request, then=store)


# A reset in steps (USSD: the SMS code on one screen, the new PIN on the next two; neither is ever kept in the
# session). The code is checked and used up first (``otp_consume``: wrong codes counted and exhausted as on the
# web); the session keeps a reset ticket: a keyed MAC of the user, the PIN's stored hash (none yet: "") and an
# expiry. It proves nothing once the PIN changes (this reset, a change, another reset) or the ticket expires.

def _reset_ticket_mac(user_id: int, pin_hash: str, expires: int) -> str:
    message = f"pin-reset|{user_id}|{pin_hash}|{expires}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def pin_reset_verify(*, user: Any, code: str, request: Any = None) -> str:
    """Check and use up a reset code sent by :func:`pin_reset_start` (400 ``invalid_otp``, ``otp_expired``,
    ``otp_attempts_exhausted``: counted and committed) and return a reset ticket, good for
    ``TRANSACTION_PIN['CHANGE_TICKET_SECONDS']``, for :func:`pin_reset_complete`."""
    require_phone_verified(user)
    expires = int(time.time()) + int(_conf().get("CHANGE_TICKET_SECONDS", 300))

    def ticket() -> str:
        row = TransactionPin.objects.filter(user_id=user.pk).first()
        return f"{expires}.{_reset_ticket_mac(user.pk, row.pin_hash if row else '', expires)}"

    return otp_consume(user=user, code=code, purpose=OtpPurpose.RESET_PIN, request=request, then=ticket)


def pin_reset_complete(*, user: Any, ticket: str, new_pin: str, request: Any = None) -> TransactionPin:
    """The new PIN of a reset begun with :func:`pin_reset_verify` (the rules of a first PIN); unlocks it. 409
    ``pin_change_expired`` when the ticket no longer holds (expired, or the PIN changed meanwhile)."""
    require_phone_verified(user)
    _validate_new(new_pin, user=user, field="new_pin")
    expires_text, _dot, mac = (ticket or "").partition(".")
    with transaction.atomic():
        row = TransactionPin.objects.select_for_update().filter(user_id=user.pk).first()  # lock: standalone
        if (not expires_text.isdigit() or int(expires_text) < time.time() or not hmac.compare_digest(
                mac, _reset_ticket_mac(user.pk, row.pin_hash if row else "", int(expires_text)))):
            raise PinChangeExpired()
        if row is None:
            try:
                with transaction.atomic():
                    row = TransactionPin.objects.create(user=user, pin_hash=_hash(new_pin))
            except IntegrityError:  # a first PIN set meanwhile: the ticket no longer holds
                raise PinChangeExpired() from None
            audit_record(action=AuditAction.PIN_RESET, request=request, actor=user, subject_type="user",
                         subject_id=str(user.public_id))
        else:
            _replace(row, new_pin=new_pin, user=user, action=AuditAction.PIN_RESET, request=request)
    return row


def pin_check(*, user: Any, pin: str, request: Any = None) -> PinCheck:
    """Compare ``pin`` with the user's PIN, counting a wrong one (committed here: call it outside the money
    transaction). A correct PIN clears the count; the last allowed wrong one locks the PIN."""
    max_attempts = _conf()["MAX_ATTEMPTS"]
    with transaction.atomic():
        user_id = getattr(user, "pk", None)
        # lock: standalone
        row = (TransactionPin.objects.select_for_update().filter(user_id=user_id).first()
               if user_id is not None else None)
        if row is None:
            return PinCheck(False, "not_set")
        if row.is_locked:
            return PinCheck(False, "locked")
        candidate = pin if isinstance(pin, str) and len(pin) <= 32 else ""

        def upgrade(raw: str) -> None:  # the hasher changed: store the new hash (Django's setter protocol)
            TransactionPin.objects.filter(pk=row.pk).update(pin_hash=make_password(raw))

        if candidate.isascii() and candidate.isdigit() and check_password(candidate, row.pin_hash, setter=upgrade):
            TransactionPin.objects.filter(pk=row.pk).update(failed_attempts=0, last_used_at=timezone.now())
            return PinCheck(True, "", max_attempts)
        attempts = row.failed_attempts + 1
        locked = attempts >= max_attempts
        TransactionPin.objects.filter(pk=row.pk).update(failed_attempts=F("failed_attempts") + 1,
                                                        locked_at=timezone.now() if locked else None)
        audit_record(action=AuditAction.PIN_LOCKED if locked else AuditAction.PIN_FAILED, request=request,
                     actor=user, subject_type="user", subject_id=str(user.public_id),
                     details={"attempts_left": max(max_attempts - attempts, 0)})
    if locked:
        logger.warning("transaction PIN locked after %s wrong tries", attempts)
        return PinCheck(False, "locked")
    return PinCheck(False, "invalid", max_attempts - attempts)


def pin_verify(*, user: Any, pin: str, request: Any = None) -> None:
    """``pin_check`` that raises: 403 ``invalid_transaction_pin`` (attempts left), ``transaction_pin_locked``,
    ``transaction_pin_not_set``."""
    result = pin_check(user=user, pin=pin, request=request)
    if result.ok:
        return
    if result.reason == "not_set":
        raise TransactionPinNotSet()
    if result.reason == "locked":
        raise TransactionPinLocked()
    raise InvalidTransactionPin(attempts_left=result.attempts_left)


def pin_policy_update(*, actor: Any, web_api_threshold_minor: int | None, request: Any = None) -> PinPolicy:
    """Turn the PIN on for web and API debits from ``web_api_threshold_minor`` up (None: off). Audited."""
    if web_api_threshold_minor is not None and web_api_threshold_minor < 0:
        raise ApiError(_("The amount is not valid."), code="invalid_amount",
                       fields={"web_api_threshold": [str(_("Must be zero or more."))]})
    with transaction.atomic():
        row, _created = PinPolicy.objects.select_for_update().get_or_create(singleton=True)  # lock: standalone
        previous = row.web_api_threshold_minor
        row.web_api_threshold_minor = web_api_threshold_minor
        row.save(update_fields=["web_api_threshold_minor", "updated_at"])
        audit_record(action=AuditAction.PIN_POLICY_CHANGED, request=request, actor=actor, subject_type="pin_policy",
                     details={"from": previous, "to": web_api_threshold_minor})
        bump_cache_version(POLICY_VERSION)  # now, and again on commit: every process reads the new row
    return row


class StepUpPinVerifier:
    """The transaction PIN as a risk step-up method (``RISK_STEP_UP['PIN_VERIFIER']`` points here).

    ``check_pin`` counts a wrong PIN and locks like every other PIN check (``pin_check``)."""

    @staticmethod
    def has_pin(user: Any) -> bool:
        return pin_usable(user)

    @staticmethod
    def check_pin(user: Any, pin: str) -> bool:
        return pin_check(user=user, pin=pin).ok


STEP_UP_PIN_VERIFIER = StepUpPinVerifier()
