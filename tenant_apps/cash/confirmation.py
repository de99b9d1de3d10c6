"""The customer's confirmation of a money movement an agent starts for them (a cash-in above the threshold).

One narrow interface so the method can change without touching the flows: a one-time code sent by SMS to the
customer's phone (``OtpConfirmation``), or the customer's transaction PIN (``PinConfirmation``, tenant_apps.pins),
registered in ``CONFIRMATION_METHODS`` and chosen per customer by ``confirmation_for``: the PIN when the
deployment says so (``AGENT_CASH['CONFIRMATION'] = "pin"``, the default) and the customer has one that is not
locked, the SMS code otherwise. The customer reads the code to the agent (or types the PIN on the agent's
device); the agent's request carries it as ``secret``.

Attempts are counted on the challenge row in their *own* transaction (``confirmation_check``), so a wrong code
counts even though the request that carried it fails and rolls back; after ``MAX_ATTEMPTS`` the challenge is
dead and the cash-in is cancelled (its hold released).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import ConfirmationChallenge


def _conf() -> dict:
    return settings.AGENT_CASH


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str = ""  # "invalid", "expired", "exhausted", "confirmed"
    attempts_left: int = 0


class Confirmation(Protocol):
    method: str

    def challenge(self, *, user, purpose: str, reference: str, context: dict) -> ConfirmationChallenge:
        """Create the challenge (and deliver its secret, when the method has one per challenge)."""

    def matches(self, *, challenge: ConfirmationChallenge, secret: str) -> bool:
        """Constant-time check of what the customer gave."""

    def locked(self, *, challenge: ConfirmationChallenge) -> bool:
        """True when no secret can match any more (the customer's PIN locked): the challenge is dead."""


def _hash(*, salt: str, challenge_id: str, secret: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"cash|{salt}|{challenge_id}|{secret}".encode(),
                      hashlib.sha256).hexdigest()
    return f"{salt}${digest}"


class OtpConfirmation:
    """A fresh numeric code by SMS to the customer (``AGENT_CASH['OTP_DIGITS']``, valid ``OTP_TTL_SECONDS``)."""

    method = "otp"

    def challenge(self, *, user, purpose: str, reference: str, context: dict) -> ConfirmationChallenge:
        from tenant_apps.notifications.messages import notify_sms

        conf = _conf()
        digits = conf["OTP_DIGITS"]
        code = f"{secrets.randbelow(10 ** digits):0{digits}d}"
        row = ConfirmationChallenge.objects.create(
            user=user, purpose=purpose, reference=reference, method=self.method,
            expires_at=timezone.now() + timedelta(seconds=conf["OTP_TTL_SECONDS"]))
        row.secret_hash = _hash(salt=secrets.token_hex(8), challenge_id=str(row.public_id), secret=code)
        row.save(update_fields=["secret_hash"])
        phone = user.phone
        minutes = max(conf["OTP_TTL_SECONDS"] // 60, 1)
        transaction.on_commit(lambda: notify_sms(
            to=phone, template=f"{purpose}_otp", purpose=f"{purpose}_otp", user=user, secrets=[code],
            context={**context, "code": code, "minutes": minutes}))
        return row

    def matches(self, *, challenge: ConfirmationChallenge, secret: str) -> bool:
        salt = challenge.secret_hash.split("$", 1)[0]
        expected = _hash(salt=salt, challenge_id=str(challenge.public_id), secret=(secret or "").strip())
        return hmac.compare_digest(challenge.secret_hash, expected)


    def locked(self, *, challenge: ConfirmationChallenge) -> bool:
        return False


class PinConfirmation:
    """The customer's transaction PIN, typed on the agent's device: nothing is sent, nothing per challenge is
    stored. A wrong PIN counts on the PIN itself too (``pins.services.pin_check``: its lockout applies)."""

    method = "pin"

    def challenge(self, *, user, purpose: str, reference: str, context: dict) -> ConfirmationChallenge:
        return ConfirmationChallenge.objects.create(
            user=user, purpose=purpose, reference=reference, method=self.method,
            expires_at=timezone.now() + timedelta(seconds=_conf()["OTP_TTL_SECONDS"]))

    def matches(self, *, challenge: ConfirmationChallenge, secret: str) -> bool:
        from tenant_apps.pins.services import pin_check

        return pin_check(user=challenge.user, pin=(secret or "").strip()).ok

    def locked(self, *, challenge: ConfirmationChallenge) -> bool:
        from tenant_apps.pins.services import pin_usable

        return not pin_usable(challenge.user)


CONFIRMATION_METHODS: dict[str, Confirmation] = {"otp": OtpConfirmation(), "pin": PinConfirmation()}


def confirmation_for(*, user) -> Confirmation:
    """The method this customer confirms with: ``AGENT_CASH['CONFIRMATION']`` ("pin": their transaction PIN when
    they have one that is not locked, else a code by SMS; "otp": always a code by SMS)."""
    from tenant_apps.pins.services import pin_usable

    if _conf().get("CONFIRMATION", "pin") == "pin" and pin_usable(user):
        return CONFIRMATION_METHODS["pin"]
    return CONFIRMATION_METHODS["otp"]


def confirmation_check(*, challenge_id: int, secret: str) -> CheckResult:
    """Check ``secret`` against the challenge, counting the attempt; commits on its own (call it outside the
    request's money transaction). Does not consume the challenge: the completing transaction does."""
    max_attempts = _conf()["MAX_ATTEMPTS"]
    with transaction.atomic():
        row = ConfirmationChallenge.objects.select_for_update().get(pk=challenge_id)  # lock: standalone
        if row.confirmed_at is not None:
            return CheckResult(True, "confirmed")
        if row.attempts >= max_attempts:
            return CheckResult(False, "exhausted")
        if row.expires_at <= timezone.now():
            return CheckResult(False, "expired")
        method = CONFIRMATION_METHODS[row.method]
        if method.matches(challenge=row, secret=secret):
            return CheckResult(True, "", max_attempts - row.attempts)
        ConfirmationChallenge.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        left = max_attempts - row.attempts - 1
        if method.locked(challenge=row):
            left = 0  # the customer's PIN locked: no secret can confirm this any more
        return CheckResult(False, "exhausted" if left <= 0 else "invalid", left)
