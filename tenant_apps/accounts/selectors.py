"""Reading users."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from shared_apps.core.errors import NotFound

from .models import User


def users_list(*, role: str = "", search: str = "") -> QuerySet[User]:
    users = User.objects.order_by("-date_joined", "-id")
    if role:
        users = users.filter(role=role)
    if search:
        users = users.filter(email__icontains=search.strip().lower())
    return users


def user_get(*, public_id: str) -> User:
    user = User.objects.filter(public_id=public_id).first()
    if user is None:
        raise NotFound(gettext("No such user."))
    return user


def users_paid_by_phone(*, phone: str) -> QuerySet[User]:
    """Active users this (normalised) phone number can send money to: only a verified number names an account.

    Anyone can register any number; until its owner proves it by code it names nobody, so money meant for a
    number (a P2P transfer, an agent's cash-in, a remittance) never lands in an account that merely claims it."""
    return User.objects.filter(phone=phone, is_active=True, phone_verified_at__isnull=False)


def stale_phone_claim() -> Q:
    """Accounts whose unverified number is past ``PHONE_OTP['UNVERIFIED_HOLD_SECONDS']``: the number no longer
    reaches them (no code is sent, none logs in) and a new registration takes it."""
    hold = timedelta(seconds=int(settings.PHONE_OTP.get("UNVERIFIED_HOLD_SECONDS", 30 * 60)))
    return Q(phone_verified_at__isnull=True, date_joined__lt=timezone.now() - hold)
