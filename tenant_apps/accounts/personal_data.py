"""What accounts hold about a person (tenant_apps.privacy registry)."""

from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from tenant_apps.privacy.registry import EMAIL, NULL, no_personal_data, register

from .models import PhoneOtp, RefreshTokenFamily, User


def _sign_out_everywhere(user, identity) -> int:
    """Refresh tokens are blacklisted, not deleted (a deleted row would un-blacklist a stolen token)."""
    tokens = list(OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False))
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True)
    return len(tokens)


def _revoke_families(user, identity) -> int:
    """Sessions end with the erasure (the rows stay: a deleted family would let its tokens' claims name nothing)."""
    from django.utils import timezone

    return RefreshTokenFamily.objects.filter(user=user, revoked_at__isnull=True) \
        .update(revoked_at=timezone.now(), revoked_reason="erased")


register(User, rows=lambda user: User.objects.filter(pk=user.pk),
         erase={"email": EMAIL, "email_verified_at": NULL, "phone": NULL},  # the stand-in address is proven by nobody
         exclude=("password",))
register(PhoneOtp, owners=("user",), delete=True, exclude=("code_hash",))
register(OutstandingToken, owners=("user",), exclude=("token", "jti"), eraser=_sign_out_everywhere)
no_personal_data(BlacklistedToken, "a token id and a date; the person is reached through OutstandingToken")
register(RefreshTokenFamily, owners=("user",), exclude=("current_jti",), eraser=_revoke_families)
