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

from shared_apps.core.errors import ApiError, Forbidden
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record, client_ip
from tenant_apps.notifications.messages import notify_sms

from . import lockout
from .country import normalize_phone
from .models import HEAD_OFFICE_ROLES, OPERATOR_ROLES, TENANT_ROLES, OtpPurpose, PhoneOtp, User

logger = logging.getLogger(__name__)

GENERIC_LOGIN_ERROR = "Email or password is incorrect."


def _field_error(field: str, message: str, *, code: str = "validation_error") -> ApiError:
    return ApiError("Some fields are invalid.", code=code, fields={field: [message]})


# --- registration ------------------------------------------------------------------

def user_register(*, email: str, phone: str, password: str, request: Any = None) -> tuple[User, bool]:
    """Create a customer with an unverified phone and text them a code. Returns (user, otp_sent)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise _field_error("email", "Enter a valid email address.") from None
    phone = normalize_phone(phone)
    try:
        validate_password(password, user=User(email=email, phone=phone))
    except DjangoValidationError as exc:
        raise ApiError("Some fields are invalid.", code="validation_error",
                       fields={"password": list(exc.messages)}) from None
    if User.objects.filter(email=email).exists():
        raise _field_error("email", "An account with this email already exists.", code="duplicate_email")
    if User.objects.filter(phone=phone).exists():
        raise _field_error("phone", "An account with this phone number already exists.", code="duplicate_phone")
    tenant_language = getattr(getattr(connection, "tenant", None), "default_language", "") or ""
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, phone=phone,
                                            preferred_language=tenant_language[:5])
            audit_record(action=AuditAction.USER_REGISTERED, request=request, actor=user,
                         subject_type="user", subject_id=str(user.public_id))
    except IntegrityError:  # a concurrent registration won the race
        raise _field_error("email", "An account with this email or phone already exists.",
                           code="duplicate_account") from None
    sent = otp_send(user=user, request=request)
    return user, sent


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
        raise Forbidden("Add and verify a phone number first.", code="phone_not_verified")
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
    user = User.objects.filter(phone=phone, is_active=True).first()
    if user is None:
        return
    if otp_cooling_down(user=user):
        return  # one code per cooldown: stops SMS bombing
    otp_send(user=user, request=request)


def _otp_code_format(code: str) -> str:
    conf = _otp_conf()
    code = (code or "").strip()
    if not (code.isdigit() and len(code) == conf["DIGITS"]):
        raise _field_error("code", f"Enter the {conf['DIGITS']}-digit code we sent.", code="invalid_otp")
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
        raise _field_error("code", "This code has expired. Request a new one.", code="otp_expired")
    if outcome == "exhausted":
        raise _field_error("code", "Too many wrong codes. Request a new one.", code="otp_attempts_exhausted")
    raise _field_error("code", "The code is not valid.", code="invalid_otp")


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

    return _otp_attempt(PhoneOtp.objects.filter(phone=phone, purpose=OtpPurpose.VERIFY_PHONE), code,
                        request=request, on_success=log_in)


def otp_consume(*, user: User, code: str, purpose: str, request: Any = None, then=None) -> Any:
    """Check (and use up) a code ``user`` received for ``purpose``; ``then()`` runs in the same transaction
    as the consumption (so the code and what it authorises commit together). Wrong codes count as for
    login codes (``PHONE_OTP['MAX_ATTEMPTS']``) and are committed even though this raises."""
    code = _otp_code_format(code)
    return _otp_attempt(PhoneOtp.objects.filter(user=user, purpose=purpose), code, request=request,
                        on_success=lambda otp, now: then() if then is not None else None)


def require_phone_verified(user: Any) -> None:
    """Call before moving money: 403 ``phone_not_verified`` unless the phone was proved by OTP."""
    # A verified phone that is gone (erased, or removed by staff) is no verified phone: no code can reach it.
    if user is None or not getattr(user, "is_authenticated", False) or user.phone_verified_at is None \
            or not user.phone:
        raise Forbidden("Verify your phone number before moving money.", code="phone_not_verified")


# --- login ----------------------------------------------------------------------------

class TooManyAttempts(ApiError):
    status_code = 429
    code = "too_many_attempts"
    message = "Too many failed attempts. Try again later."

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


def user_logout(*, user: User, refresh_token: Any, request: Any = None) -> None:
    refresh_token.blacklist()
    audit_record(action=AuditAction.LOGOUT, request=request, actor=user, subject_type="user",
                 subject_id=str(user.public_id))


# --- roles ---------------------------------------------------------------------------

def user_change_role(*, actor: User, user: User, role: str, request: Any = None) -> User:
    """Give ``user`` a new role; tenant roles on tenant domains, head-office roles on the public one."""
    on_public = (getattr(connection, "schema_name", "public") or "public") == "public"
    allowed = HEAD_OFFICE_ROLES if on_public else TENANT_ROLES
    if role not in allowed:
        raise _field_error("role", f"Choose one of: {', '.join(sorted(allowed))}.", code="invalid_role")
    if user.pk == actor.pk:
        raise Forbidden("You cannot change your own role.", code="own_role")
    previous = user.role
    if previous == role:
        return user
    with transaction.atomic():
        user.role = role
        user.is_staff = role in OPERATOR_ROLES or role in HEAD_OFFICE_ROLES
        user.save(update_fields=["role", "is_staff"])
        audit_record(action=AuditAction.ROLE_CHANGED, request=request, actor=actor, subject_type="user",
                     subject_id=str(user.public_id), details={"from": previous, "to": role})
    return user
