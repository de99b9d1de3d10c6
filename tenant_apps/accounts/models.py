"""The user model, one table per schema.

Head-office staff are rows in the public schema's table; each tenant's users
are rows in that tenant's schema, so the same email may exist in two tenants
independently and no tenant's personal data is written to the public schema.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    OPERATOR_SUPPORT = "operator_support", _("Operator support")
    OPERATOR_FINANCE = "operator_finance", _("Operator finance")
    OPERATOR_ADMIN = "operator_admin", _("Operator admin")
    # Head office (public schema only).
    SUPER_ADMIN = "super_admin", _("Head-office super-admin")
    ANALYST = "analyst", _("Head-office analyst")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("role", Role.SUPER_ADMIN)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


# Sent after an existing user's new password was saved (``user=``): services.sessions_signed_out_by_new_password.
new_password = Signal()


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    phone = models.CharField(max_length=20, unique=True, null=True, blank=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    # Set when the owner proved the address (accounts.email_proof): until then the email names nobody money is
    # sent to (P2P by email), as an unverified phone does not.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    role = models.CharField(max_length=24, choices=Role.choices, default=Role.CUSTOMER)
    preferred_language = models.CharField(max_length=5, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        indexes = [models.Index(fields=["role"])]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        """Sends :data:`new_password` when ``set_password`` gave an existing account a new password (a change, an
        invitation, ``manage.py changepassword``): every session of it is signed out (``services``, connected in
        ``apps.ready``). A hash upgraded at login (Django's ``check_password`` setter) is no new password."""
        password_changed = getattr(self, "_password", None) is not None and not self._state.adding  # set_password()
        super().save(*args, **kwargs)
        if password_changed:
            new_password.send(sender=type(self), user=self)

    @property
    def is_phone_verified(self) -> bool:
        return self.phone_verified_at is not None

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_operator_staff(self) -> bool:
        return self.role in OPERATOR_ROLES


OPERATOR_ROLES = frozenset({Role.OPERATOR_SUPPORT, Role.OPERATOR_FINANCE, Role.OPERATOR_ADMIN})
TENANT_ROLES = frozenset({Role.CUSTOMER, Role.AGENT, *OPERATOR_ROLES})
HEAD_OFFICE_ROLES = frozenset({Role.SUPER_ADMIN, Role.ANALYST})


class OtpPurpose(models.TextChoices):
    VERIFY_PHONE = "verify_phone", _("Verify phone / log in")
    RESET_PIN = "reset_pin", _("Reset the transaction PIN")
    STEP_UP = "step_up", _("Confirm a payment (step-up)")  # tenant_apps.risk: never logs in


class PhoneOtp(models.Model):
    """A one-time code sent by SMS. Only a keyed hash of the code is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_otps")
    phone = models.CharField(max_length=20)
    purpose = models.CharField(max_length=16, choices=OtpPurpose.choices, default=OtpPurpose.VERIFY_PHONE)
    code_hash = models.CharField(max_length=96)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "-created_at"])]

    def __str__(self) -> str:
        return f"OTP for {self.phone} ({self.created_at:%H:%M:%S})"


class RefreshTokenFamily(models.Model):
    """One sign-in's chain of refresh tokens (RFC 9700 §4.14.2): every token rotated from it carries its
    ``public_id`` in the ``fam`` claim (the access tokens too). ``current_jti`` is the one live token; every other
    token of the family was spent by a rotation, so presenting one again (past the grace window) means two parties
    hold the chain, and the whole family is revoked (``tenant_apps.accounts.sessions``).

    The row is also the family's lock: refresh, logout, reuse detection and a password change take it before the
    token's own outstanding row, so a logout and a refresh of one token cannot both win."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    current_jti = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True, default="")

    def __str__(self) -> str:
        return f"refresh family {self.public_id} of user {self.user_id}"
