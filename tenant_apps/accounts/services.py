"""Accounts: registration, phone OTP, login with lockout, roles.

Every function validates before writing; failures raise ``ApiError`` with a
field error and leave nothing behind (except the OTP attempt counter and the
audit trail, which exist to record failures).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from shared_apps.core.errors import ApiError, Forbidden
from shared_apps.core.ids import as_uuid
from shared_apps.core.redis_cache import snapshot_prefix
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record, client_ip
from tenant_apps.notifications.messages import notify_sms

from . import lockout
from .country import normalize_phone
from .errors import InvalidRefreshToken, RefreshTokenReused
from .models import (
    HEAD_OFFICE_ROLES,
    OPERATOR_ROLES,
    TENANT_ROLES,
    OtpPurpose,
    PhoneOtp,
    RefreshTokenFamily,
    Role,
    User,
)
from .selectors import stale_phone_claim

logger = logging.getLogger(__name__)

GENERIC_LOGIN_ERROR = "Email or password is incorrect."


def _field_error(field: str, message: str, *, code: str = "validation_error") -> ApiError:
    return ApiError(gettext("Some fields are invalid."), code=code, fields={field: [message]})


# --- registration ------------------------------------------------------------------

def user_register(*, email: str, phone: str, password: str, request: Any = None) -> tuple[User, bool]:
    """Create a customer with an unverified phone and text them a code. Returns (user, otp_sent)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise _field_error("email", gettext("Enter a valid email address.")) from None
    phone = normalize_phone(phone)
    try:
        validate_password(password, user=User(email=email, phone=phone))
    except DjangoValidationError as exc:
        raise ApiError(gettext("Some fields are invalid."), code="validation_error",
                       fields={"password": list(exc.messages)}) from None
    if User.objects.filter(email=email).exists():
        raise _field_error("email", gettext("An account with this email already exists."), code="duplicate_email")
    holder = User.objects.filter(phone=phone).first()
    squatted = holder is not None and User.objects.filter(stale_phone_claim(), pk=holder.pk).exists()
    if holder is not None and not squatted:
        raise _field_error("phone", gettext("An account with this phone number already exists."),
                           code="duplicate_phone")
    tenant_language = getattr(getattr(connection, "tenant", None), "default_language", "") or ""
    try:
        with transaction.atomic():
            details = {}
            if squatted and holder is not None:  # its hold is over: the number comes to the one registering now
                _phone_claim_release(holder=holder, phone=phone)
                details = {"phone_taken_from_unverified": str(holder.public_id)}
            user = User.objects.create_user(email=email, password=password, phone=phone,
                                            preferred_language=tenant_language[:5])
            audit_record(action=AuditAction.USER_REGISTERED, request=request, actor=user,
                         subject_type="user", subject_id=str(user.public_id), details=details)
    except IntegrityError:  # a concurrent registration won the race
        raise _field_error("email", gettext("An account with this email or phone already exists."),
                           code="duplicate_account") from None
    sent = otp_send(user=user, request=request)
    return user, sent


def _phone_claim_release(*, holder: User, phone: str) -> None:
    """Take ``phone`` off an account that never verified it within its hold (and void its codes), in the caller's
    transaction: a registration racing another for the number loses on the unique phone (409-like 400)."""
    User.objects.filter(stale_phone_claim(), pk=holder.pk, phone=phone).update(phone=None)
    PhoneOtp.objects.filter(user=holder, consumed_at__isnull=True).update(expires_at=timezone.now())


# --- one-time codes -----------------------------------------------------------------

def _otp_conf() -> dict:
    return settings.PHONE_OTP


def _hash_code(*, salt: str, phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"{salt}|{phone}|{code}".encode(), hashlib.sha256).hexdigest()
    return f"{salt}${digest}"


def _code_matches(otp: PhoneOtp, code: str) -> bool:
    salt = otp.code_hash.split("$", 1)[0]
    return hmac.compare_digest(otp.code_hash, _hash_code(salt=salt, phone=otp.phone, code=code))


def otp_send(*, user: User, request: Any = None, purpose: str = OtpPurpose.VERIFY_PHONE, template: str = "otp",
             context: dict | None = None) -> bool:
    """Create a fresh code for ``purpose`` (older ones of that purpose stop working) and text it.

    False when the SMS was not accepted. A code only ever works for its own purpose: a login code never
    resets a PIN or confirms a payment; a PIN-reset or step-up code never logs anyone in.
    """
    return otp_issue(user=user, request=request, purpose=purpose, template=template, context=context)[1]


def otp_issue(*, user: User, request: Any = None, purpose: str = OtpPurpose.VERIFY_PHONE, template: str = "otp",
              context: dict | None = None) -> tuple[PhoneOtp, bool]:
    """:func:`otp_send`, also giving back the code's row (a step-up challenge points at it)."""
    phone = user.phone
    if not phone:  # callers reach users by their phone (sign-up, login by phone, PIN reset, step-up)
        raise Forbidden(gettext("Add and verify a phone number first."), code="phone_not_verified")
    conf = _otp_conf()
    now = timezone.now()
    code = f"{secrets.randbelow(10 ** conf['DIGITS']):0{conf['DIGITS']}d}"
    with transaction.atomic():
        PhoneOtp.objects.filter(user=user, purpose=purpose, consumed_at__isnull=True, expires_at__gt=now) \
            .update(expires_at=now)
        otp = PhoneOtp.objects.create(
            user=user, phone=phone, purpose=purpose,
            code_hash=_hash_code(salt=secrets.token_hex(8), phone=phone, code=code),
            created_at=now, expires_at=now + timedelta(seconds=conf["TTL_SECONDS"]))
        audit_record(action=AuditAction.OTP_SENT, request=request, actor=user, subject_type="otp",
                     subject_id=str(otp.pk), details={"purpose": purpose})
    minutes = conf["TTL_SECONDS"] // 60
    message = notify_sms(to=phone, template=template, purpose=template, user=user, secrets=[code],
                         context={**(context or {}), "code": code, "minutes": minutes})
    return otp, message.status in ("sent", "pending")


def otp_check(*, otp_id: int, code: str, request: Any = None) -> str:
    """Check ``code`` against one code row, counting the attempt (commits on its own: call it outside a money
    transaction). Returns ``ok`` (the code is consumed), ``invalid``, ``expired`` or ``exhausted``."""
    conf = _otp_conf()
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        otp = PhoneOtp.objects.select_for_update().select_related("user").filter(pk=otp_id).first()  # lock: standalone
        if otp is None or otp.consumed_at is not None:
            return "expired"
        if otp.attempts >= conf["MAX_ATTEMPTS"]:
            return "exhausted"
        if otp.expires_at <= now:
            return "expired"
        if not (code.isdigit() and len(code) == conf["DIGITS"]) or not _code_matches(otp, code):
            PhoneOtp.objects.filter(pk=otp.pk).update(attempts=F("attempts") + 1)
            audit_record(action=AuditAction.OTP_FAILED, request=request, actor=otp.user, subject_type="otp",
                         subject_id=str(otp.pk), details={"purpose": otp.purpose})
            return "exhausted" if otp.attempts + 1 >= conf["MAX_ATTEMPTS"] else "invalid"
        otp.consumed_at = now
        otp.save(update_fields=["consumed_at"])
        audit_record(action=AuditAction.OTP_VERIFIED, request=request, actor=otp.user, subject_type="otp",
                     subject_id=str(otp.pk), details={"purpose": otp.purpose})
        return "ok"


def otp_cooling_down(*, user: User, purpose: str = OtpPurpose.VERIFY_PHONE) -> bool:
    """True while the last code of ``purpose`` is younger than the resend cooldown (stops SMS bombing), or another
    request has just claimed the cooldown to send one.

    The database says whether a code is younger than the cooldown; requests sent at once all read "no" before any
    writes its code, so the cooldown is also claimed atomically (Redis ``SET NX`` for the cooldown's length): of
    simultaneous requests, one sends a code, the others are cooling down (20 at once texted 8 codes before)."""
    seconds = _otp_conf()["RESEND_COOLDOWN_SECONDS"]
    cooldown = timedelta(seconds=seconds)
    if PhoneOtp.objects.filter(user=user, purpose=purpose, created_at__gt=timezone.now() - cooldown).exists():
        return True
    return not sms_send_claim(key=f"otp-resend:{purpose}:{user.public_id}", seconds=seconds)


def sms_send_claim(*, key: str, seconds: int, holder: str = "1") -> bool:
    """Claim the one SMS that ``key`` allows per ``seconds``: True for the request that may send it, False for the
    others (also when they arrive at the same instant). A database check ("was a code sent lately?") alone lets
    simultaneous requests all read "no" before any of them wrote its code; this is an atomic Redis ``SET NX`` for
    the cooldown's length (the cache's key function prefixes the tenant schema). ``holder`` is what the winner
    leaves for the others to read (:func:`sms_send_holder`). No cooldown (``seconds`` <= 0): always True.

    Used by every code sent on request: login codes, PIN-reset codes, step-up codes and their resends."""
    return seconds <= 0 or cache.add(key, holder, timeout=seconds)


def sms_send_holder(*, key: str) -> str:
    """What the request that won :func:`sms_send_claim` for ``key`` left there ("" once the claim expired)."""
    held = cache.get(key)
    return "" if held is None else str(held)


def otp_request(*, phone: str, request: Any = None) -> None:
    """Send a code to a registered phone. Silent for unknown numbers (never reveals accounts)."""
    phone = normalize_phone(phone)
    user = User.objects.filter(phone=phone, is_active=True).exclude(stale_phone_claim()).first()
    if user is None:
        return
    if otp_cooling_down(user=user):
        return  # one code per cooldown: stops SMS bombing
    if not lockout.code_send_allowed(subject=f"login:{phone}"):
        return  # MAX_CODES_PER_DAY: the same answer, nothing sent
    otp_send(user=user, request=request)


def _otp_code_format(code: str) -> str:
    conf = _otp_conf()
    code = (code or "").strip()
    if not (code.isdigit() and len(code) == conf["DIGITS"]):
        raise _field_error("code", gettext("Enter the %(digits)s-digit code we sent.") % {"digits": conf["DIGITS"]},
                           code="invalid_otp")
    return code


def _otp_attempt(otps, code: str, *, request: Any, on_success) -> Any:
    """Check ``code`` against the newest live code of ``otps`` (locked), counting a wrong one in this
    committed transaction; ``on_success(otp, now)`` runs in it and its result is returned."""
    conf = _otp_conf()
    now = timezone.now()
    outcome = "invalid"
    with transaction.atomic():
        otp = otps.select_for_update().select_related("user").filter(consumed_at__isnull=True,  # lock: standalone
                                                                     user__is_active=True) \
            .order_by("-created_at").first()
        if otp is not None:
            if otp.attempts >= conf["MAX_ATTEMPTS"]:
                outcome = "exhausted"
            elif otp.expires_at <= now:
                outcome = "expired"
            elif not _code_matches(otp, code):
                PhoneOtp.objects.filter(pk=otp.pk).update(attempts=F("attempts") + 1)
                outcome = "exhausted" if otp.attempts + 1 >= conf["MAX_ATTEMPTS"] else "invalid"
            else:
                otp.consumed_at = now
                otp.save(update_fields=["consumed_at"])
                audit_record(action=AuditAction.OTP_VERIFIED, request=request, actor=otp.user,
                             subject_type="otp", subject_id=str(otp.pk), details={"purpose": otp.purpose})
                return on_success(otp, now)
        if otp is not None:
            audit_record(action=AuditAction.OTP_FAILED, request=request, actor=otp.user, subject_type="otp",
                         subject_id=str(otp.pk), details={"reason": outcome, "purpose": otp.purpose})
    if outcome == "expired":
        raise _field_error("code", gettext("This code has expired. Request a new one."), code="otp_expired")
    if outcome == "exhausted":
        raise _field_error("code", gettext("Too many wrong codes. Request a new one."), code="otp_attempts_exhausted")
    raise _field_error("code", gettext("The code is not valid."), code="invalid_otp")


def otp_verify(*, phone: str, code: str, request: Any = None) -> User:
    """Check a code: marks the phone verified and returns the user (the caller issues tokens)."""
    phone = normalize_phone(phone)
    code = _otp_code_format(code)

    def log_in(otp: PhoneOtp, now) -> User:
        user = otp.user
        if user.phone_verified_at is None:
            user.phone_verified_at = now
            user.save(update_fields=["phone_verified_at"])
            audit_record(action=AuditAction.PHONE_VERIFIED, request=request, actor=user,
                         subject_type="user", subject_id=str(user.public_id))
        user.last_login = now
        user.save(update_fields=["last_login"])
        return user

    _code_budget(subject=f"login:{phone}", request=request)
    codes = PhoneOtp.objects.filter(phone=phone, purpose=OtpPurpose.VERIFY_PHONE, user__phone=phone) \
        .exclude(user__in=User.objects.filter(stale_phone_claim()))
    user = _otp_attempt(codes, code, request=request, on_success=log_in)
    lockout.code_success(subject=f"login:{phone}")
    return user


def _code_budget(*, subject: str, request: Any) -> None:
    """Count this code check on ``subject`` across codes, like a password (accounts.lockout); 429 past it."""
    refusal = lockout.code_check(subject=subject)
    if refusal is not None:
        audit_record(action=AuditAction.LOGIN_LOCKED_OUT, request=request, subject_type="otp",
                     details={"reason": refusal.reason, "by": subject.split(":", 1)[0]})
        raise TooManyAttempts(retry_after=refusal.retry_after)


def otp_consume(*, user: User, code: str, purpose: str, request: Any = None, then=None) -> Any:
    """Check (and use up) a code ``user`` received for ``purpose``; ``then()`` runs in the same transaction
    as the consumption (so the code and what it authorises commit together). Wrong codes count as for
    login codes (``PHONE_OTP['MAX_ATTEMPTS']``) and are committed even though this raises."""
    code = _otp_code_format(code)
    subject = f"{purpose}:{user.public_id}"
    _code_budget(subject=subject, request=request)
    result = _otp_attempt(PhoneOtp.objects.filter(user=user, purpose=purpose), code, request=request,
                          on_success=lambda otp, now: then() if then is not None else None)
    lockout.code_success(subject=subject)
    return result


def require_phone_verified(user: Any) -> None:
    """Call before moving money: 403 ``phone_not_verified`` unless the phone was proved by OTP."""
    # A verified phone that is gone (erased, or removed by staff) is no verified phone: no code can reach it.
    if user is None or not getattr(user, "is_authenticated", False) or user.phone_verified_at is None \
            or not user.phone:
        raise Forbidden(gettext("Verify your phone number before moving money."), code="phone_not_verified")


# --- login ----------------------------------------------------------------------------

class TooManyAttempts(ApiError):
    status_code = 429
    code = "too_many_attempts"
    message = gettext_lazy("Too many failed attempts. Try again later.")

    def __init__(self, *args: Any, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after  # seconds: the Retry-After header


class InvalidCredentials(ApiError):
    status_code = 401
    code = "invalid_credentials"
    message = GENERIC_LOGIN_ERROR


def user_login(*, email: str, password: str, request: Any = None) -> User:
    """Check credentials with lockout per account and per IP; the same answer whether or not the account exists."""
    email = (email or "").strip().lower()
    ip = client_ip(request)
    refusal = lockout.check(email=email, ip=ip)
    if refusal is not None:
        audit_record(action=AuditAction.LOGIN_LOCKED_OUT, request=request, actor_email=email,
                     subject_type="login", details={"reason": refusal.reason})
        raise TooManyAttempts(retry_after=refusal.retry_after)
    user = authenticate(request, email=email, password=password)
    if user is None:
        locked = lockout.register_failure(email=email, ip=ip)
        audit_record(action=AuditAction.LOGIN_FAILED, request=request, actor_email=email, subject_type="login",
                     details={"locked_out": locked})
        raise InvalidCredentials()
    lockout.register_success(email=email, ip=ip)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    audit_record(action=AuditAction.LOGIN_SUCCEEDED, request=request, actor=user, subject_type="user",
                 subject_id=str(user.public_id))
    return user




def user_change_password(*, user: User, old_password: str, new_password: str, request: Any = None) -> User:
    """Change the password of a signed-in user who proves the current one (counted like a login: the same
    lockout per account and slowdown per IP, so a stolen access token cannot guess it). Every session of the
    user, this one included, is signed out (``models.new_password``); the caller hands this device a new token pair."""
    ip = client_ip(request)
    refusal = lockout.check(email=user.email, ip=ip)
    if refusal is not None:
        audit_record(action=AuditAction.LOGIN_LOCKED_OUT, request=request, actor=user, subject_type="user",
                     subject_id=str(user.public_id), details={"reason": refusal.reason, "during": "password_change"})
        raise TooManyAttempts(retry_after=refusal.retry_after)
    if not user.check_password(old_password or ""):
        locked = lockout.register_failure(email=user.email, ip=ip)
        audit_record(action=AuditAction.LOGIN_FAILED, request=request, actor=user, subject_type="user",
                     subject_id=str(user.public_id), details={"locked_out": locked, "during": "password_change"})
        raise _field_error("old_password", gettext("The current password is not correct."), code="invalid_credentials")
    lockout.register_success(email=user.email, ip=ip)
    try:
        validate_password(new_password, user=user)
    except DjangoValidationError as exc:
        raise ApiError(gettext("Some fields are invalid."), code="validation_error",
                       fields={"new_password": list(exc.messages)}) from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])  # revokes every session (models.new_password)
        audit_record(action=AuditAction.PASSWORD_CHANGED, request=request, actor=user, subject_type="user",
                     subject_id=str(user.public_id))
    return user


# --- roles ---------------------------------------------------------------------------

def user_change_role(*, actor: User, user: User, role: str, request: Any = None) -> User:
    """Give ``user`` a new role; tenant roles on tenant domains, head-office roles on the public one."""
    on_public = (getattr(connection, "schema_name", "public") or "public") == "public"
    allowed = HEAD_OFFICE_ROLES if on_public else TENANT_ROLES
    if role not in allowed:
        raise _field_error("role", gettext("Choose one of: %(roles)s.") % {"roles": ", ".join(sorted(allowed))},
                           code="invalid_role")
    if user.pk == actor.pk:
        raise Forbidden(gettext("You cannot change your own role."), code="own_role")
    previous = user.role
    if previous == role:
        return user
    with transaction.atomic():
        user.role = role
        user.is_staff = role in OPERATOR_ROLES or role in HEAD_OFFICE_ROLES
        # Only a super-admin may stay a Django superuser (every page of /admin/): a demotion takes it away too.
        user.is_superuser = user.is_superuser and role == Role.SUPER_ADMIN
        user.save(update_fields=["role", "is_staff", "is_superuser"])
        audit_record(action=AuditAction.ROLE_CHANGED, request=request, actor=actor, subject_type="user",
                     subject_id=str(user.public_id), details={"from": previous, "to": role})
    return user


# --- sessions: refresh-token families (RFC 9700 §4.14.2) -------------------------------------------------------

FAMILY_CLAIM = "fam"  # on every refresh token of a sign-in and on the access tokens made from them
SESSION_REVOKED_PREFIX = "accounts:session-revoked:"
snapshot_prefix(SESSION_REVOKED_PREFIX)  # read with the device mark, in the request's one MGET


def session_revoked_key(family_public_id: str) -> str:
    return f"{SESSION_REVOKED_PREFIX}{family_public_id}"


def session_start(*, user: User, jti: str) -> RefreshTokenFamily:
    """A sign-in issued the refresh token ``jti``: the first of a new family (its ``public_id`` is the ``fam``
    claim).

    Only while the password the sign-in was checked against is still the account's, read under the user's row
    lock: a sign-in racing a password change either starts its session first (the change then revokes it) or
    waits for the change's UPDATE to commit, sees another password and is refused (401 invalid_credentials)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user.pk)  # lock: standalone
        current = locked.values_list("password", flat=True).first()
        if current is None or current != user.password:
            raise InvalidCredentials()
        return RefreshTokenFamily.objects.create(user=user, current_jti=jti)


def _family_locked(family_claim: Any) -> RefreshTokenFamily | None:
    """The family named by a token's ``fam`` claim, locked to the end of the transaction (taken before the token's
    outstanding row: refresh, logout and revocations queue on it in that order)."""
    key = as_uuid(family_claim)
    if key is None:
        return None
    return RefreshTokenFamily.objects.select_for_update().filter(public_id=key).first()  # lock: standalone


def _outstanding_locked(jti: str) -> None:
    """Concurrent refreshes (and a logout) of one token also queue on its outstanding row, so the blacklist check
    of the second comes after the first's blacklisting committed (a token without a family, issued before
    families existed, has only this lock). Every refresh token issued here is recorded as outstanding in its
    schema; one that is not was not issued here: 401."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    # lock: standalone (after the family row, in the refresh's or logout's own short transaction)
    if not list(OutstandingToken.objects.select_for_update().filter(jti=jti).values_list("pk", flat=True)):
        raise InvalidRefreshToken()


def _family_revoke(family: RefreshTokenFamily, *, reason: str) -> None:
    """Revoke a (locked) family: its live token is blacklisted, the row says revoked (every older token of it is
    blacklisted already, and a refresh of any of them now stops at the row), and, once committed, its access tokens
    are refused by the JWT authentication for the rest of their life."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    family.revoked_at, family.revoked_reason = timezone.now(), reason[:32]
    family.save(update_fields=["revoked_at", "revoked_reason"])
    live = OutstandingToken.objects.filter(jti=family.current_jti, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)
    _mark_sessions_revoked([str(family.public_id)])


def _mark_sessions_revoked(family_ids: Iterable[str]) -> None:
    """After the commit: the access tokens of these families (15 minutes at most) are refused from now on."""
    keys = {session_revoked_key(family_id): 1 for family_id in family_ids}
    if not keys:
        return
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(seconds=60)

    def mark() -> None:
        try:
            cache.set_many(keys, timeout=int(lifetime.total_seconds()))
        except Exception:  # the cache is down: the access tokens lapse within their lifetime
            logger.warning("session revocation: the cache could not be told", exc_info=True)

    transaction.on_commit(mark)


def session_refresh(*, token: Any, request: Any = None) -> tuple[str, str]:
    """Rotate a refresh token (signature, expiry and tenant already checked, the blacklist not yet): the new
    (access, refresh) pair. The old token is blacklisted and its family's live token moves to the new one.

    Presenting a token the family has already rotated past is reuse: two parties hold the chain (a thief and its
    owner), and the server cannot tell which is which, so the whole family is revoked: the live refresh token
    (whoever holds it), and its access tokens through the JWT authentication's session mark. 401
    ``refresh_token_reused``, audited and logged as a security event.

    Grace window (``JWT_REFRESH_REUSE_GRACE_SECONDS``): a token rotated less than that long ago gets a plain 401
    ``token_not_valid`` and revokes nothing. A client that sent one refresh twice (a retry after a lost answer,
    two requests of one app racing) must not sign its own session out: its other request holds the live token.
    The alternative, answering the retry with the same successor, would mean keeping the successor's secret
    to hand it out again (to whoever asks within the window, a thief included); a 401 gives a thief inside the
    window nothing, and its later use of the token is caught as reuse.

    Locks: the family row, then the token's outstanding row (what logout and revocations take too), so of a
    logout and a refresh of one token exactly one wins; concurrent refreshes rotate once.
    """
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    jti = str(token[api_settings.JTI_CLAIM])
    family_claim = token.get(FAMILY_CLAIM)
    reused: RefreshTokenFamily | None = None
    with transaction.atomic():
        family = _family_locked(family_claim) if family_claim else None
        if family_claim and family is None:
            raise InvalidRefreshToken()
        _outstanding_locked(jti)
        if family is not None and family.revoked_at is not None:
            raise InvalidRefreshToken()
        if family is not None and family.current_jti != jti:  # rotated already (only rotation moves the head)
            rotated_at = BlacklistedToken.objects.filter(token__jti=jti).values_list("blacklisted_at", flat=True) \
                .first()
            grace = timedelta(seconds=settings.JWT_REFRESH_REUSE_GRACE_SECONDS)
            if rotated_at is not None and timezone.now() - rotated_at <= grace:
                raise InvalidRefreshToken()
            _family_revoke(family, reason="refresh_token_reused")
            audit_record(action=AuditAction.REFRESH_TOKEN_REUSED, request=request, actor=family.user,
                         subject_type="session", subject_id=str(family.public_id),
                         details={"rotated_at": rotated_at.isoformat() if rotated_at else None})
            reused = family
        else:
            user = User.objects.filter(public_id=token.get(api_settings.USER_ID_CLAIM)).first() \
                if as_uuid(token.get(api_settings.USER_ID_CLAIM)) is not None else None
            if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
                raise InvalidRefreshToken()
            if _blacklisted(jti):  # the live token of a device signed out
                raise InvalidRefreshToken()
            token.blacklist()
            token.set_jti()
            token.set_exp()
            token.set_iat()
            token.outstand()
            new_jti = str(token[api_settings.JTI_CLAIM])
            if family is None:  # a token from before families: its chain starts one now
                token[FAMILY_CLAIM] = str(session_start(user=user, jti=new_jti).public_id)
            else:
                family.current_jti, family.rotated_at = new_jti, timezone.now()
                family.save(update_fields=["current_jti", "rotated_at"])
            pair = str(token.access_token), str(token)
    if reused is not None:  # committed: the revocation stands although this request fails
        logger.warning("refresh token reused: session family %s of user %s revoked", reused.public_id,
                       reused.user.public_id)
        raise RefreshTokenReused()
    return pair


def user_logout(*, user: User, refresh_token: Any, request: Any = None) -> None:
    """End the session of ``refresh_token``: its family is revoked (the live token, whichever rotation it is at,
    and the family's access tokens), under the family's lock: a refresh racing the logout either rotated first
    (its new token is the live one the logout revokes) or waits and finds the family revoked (401)."""
    from rest_framework_simplejwt.settings import api_settings

    jti = str(refresh_token[api_settings.JTI_CLAIM])
    family_claim = refresh_token.get(FAMILY_CLAIM)
    with transaction.atomic():
        family = _family_locked(family_claim) if family_claim else None
        if family_claim and family is None:
            raise InvalidRefreshToken()
        _outstanding_locked(jti)
        if family is None and _blacklisted(jti):
            raise InvalidRefreshToken()  # a token from before families, already used or logged out
        refresh_token.blacklist()
        if family is not None and family.revoked_at is None:
            _family_revoke(family, reason="logout")
        audit_record(action=AuditAction.LOGOUT, request=request, actor=user, subject_type="user",
                     subject_id=str(user.public_id))


def _blacklisted(jti: str) -> bool:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    return BlacklistedToken.objects.filter(token__jti=jti).exists()


def sessions_revoke_all(*, user: User, reason: str) -> int:
    """Sign ``user`` out everywhere (a password change or reset): every refresh-token family is revoked and every
    outstanding refresh token blacklisted, their access tokens refused. Returns how many families were live.

    The live families are locked first (ascending id): a refresh rotating at the same moment either committed
    its new token before (read below, so blacklisted) or waits and finds its family revoked."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    with transaction.atomic():
        families = list(RefreshTokenFamily.objects.select_for_update()  # lock: standalone
                        .filter(user=user, revoked_at__isnull=True).order_by("pk").values_list("pk", "public_id"))
        RefreshTokenFamily.objects.filter(pk__in=[pk for pk, _public_id in families]) \
            .update(revoked_at=timezone.now(), revoked_reason=reason[:32])
        live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
        BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)
        _mark_sessions_revoked(str(public_id) for _pk, public_id in families)
    return len(families)


def sessions_signed_out_by_new_password(sender: Any, *, user: User, **kwargs: Any) -> None:
    """Receiver of ``models.new_password`` (connected in ``apps.ready``): a new password signs the account out
    everywhere."""
    sessions_revoke_all(user=user, reason="password_changed")
