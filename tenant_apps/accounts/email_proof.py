"""Proving an email address: until its owner proves it, an email names nobody money is sent to.

Anyone can register any email (nothing checked it): a squatter who registered ``ada@bank.example`` received
every P2P transfer sent "to ada@bank.example", as an unverified phone number no longer does
(``selectors.users_paid_by_phone``). The proof is a signed token mailed to the address
(:func:`email_proof_send`: at most one mail per ``PHONE_OTP['RESEND_COOLDOWN_SECONDS']`` and
``MAX_CODES_PER_DAY`` a day), valid
:data:`TOKEN_TTL` and only for that account, that address and this site; handing it back
(:func:`email_proof_confirm`) sets ``email_verified_at``. An invitation accepted through a link that was
emailed proves the address too (``agents.services.accept_invitation``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import ApiError
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenants.connection import current_schema

from .models import User

TOKEN_TTL = timedelta(hours=24)
_SALT = "accounts.email-proof"
# The portal's page that confirms a mailed proof (tenant_apps.portal.views.profile_email): opened from the mail, it
# asks the signed-in owner to press Confirm (a link prefetched by a mail scanner proves nothing). A literal: the
# mail is also built outside the portal's URLconf.
CONFIRM_PAGE = "/profile/email"


class InvalidEmailToken(ApiError):
    code = "invalid_email_token"
    message = _("This code is not valid or has expired. Ask for a new one.")


def proven_email() -> Q:
    """Accounts whose email is proven (the only ones an email names as a payee)."""
    return Q(email_verified_at__isnull=False)


def email_proof_token(*, user: User) -> str:
    return signing.TimestampSigner(salt=_SALT).sign_object(
        {"s": current_schema(), "u": str(user.public_id), "e": user.email.lower()})


def email_proof_send(*, user: User, request: Any = None) -> bool:
    """Mail ``user`` a proof of their address (False: already proven, cooling down, or the mail was refused)."""
    from tenant_apps.notifications.messages import notify_email

    from .lockout import code_send_allowed
    from .services import _otp_conf, sms_send_claim

    if user.email_verified_at is not None:
        return False
    if not sms_send_claim(key=f"email-proof:{user.public_id}", seconds=_otp_conf()["RESEND_COOLDOWN_SECONDS"]):
        return False
    if not code_send_allowed(subject=f"email_proof:{user.public_id}"):
        return False  # PHONE_OTP['MAX_CODES_PER_DAY']: anyone can register anyone's address, never a mail flood
    token = email_proof_token(user=user)
    audit_record(action=AuditAction.EMAIL_PROOF_SENT, request=request, actor=user, subject_type="user",
                 subject_id=str(user.public_id))
    link = request.build_absolute_uri(f"{CONFIRM_PAGE}?{urlencode({'token': token})}") if request is not None else ""
    return notify_email(to=user.email, template="email_proof", user=user,
                        context={"token": token, "link": link, "hours": int(TOKEN_TTL.total_seconds()) // 3600})


def email_proof_confirm(*, user: User, token: str, request: Any = None) -> User:
    """Mark ``user``'s email proven by ``token`` (400 ``invalid_email_token`` for anything else)."""
    try:
        claims = signing.TimestampSigner(salt=_SALT).unsign_object((token or "").strip(),
                                                                    max_age=TOKEN_TTL.total_seconds())
    except signing.BadSignature:  # SignatureExpired is one
        raise InvalidEmailToken(fields={"token": [str(InvalidEmailToken.message)]}) from None
    if not isinstance(claims, dict) or claims.get("s") != current_schema() \
            or claims.get("u") != str(user.public_id) or claims.get("e") != user.email.lower():
        raise InvalidEmailToken(fields={"token": [str(InvalidEmailToken.message)]})
    return email_proven(user=user, request=request)


def email_proven(*, user: User, request: Any = None) -> User:
    """Record that ``user`` proved their address (once; later proofs change nothing)."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit_record(action=AuditAction.EMAIL_VERIFIED, request=request, actor=user, subject_type="user",
                     subject_id=str(user.public_id))
    return user
