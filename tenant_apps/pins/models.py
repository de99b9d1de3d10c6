"""The customer's transaction PIN and the tenant's policy for asking it (one table each per tenant schema).

Only Django's password hash of the PIN is stored (``settings.PASSWORD_HASHERS``: salted, slow). Wrong
tries are counted on the row, in their own committed transaction, so a refused request still counts;
``MAX_ATTEMPTS`` wrong tries in a row lock the PIN until the customer resets it with a code sent by SMS.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TransactionPin(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transaction_pin")
    pin_hash = models.CharField(max_length=256)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    set_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("transaction PIN")

    def __str__(self) -> str:  # never the hash
        return f"transaction PIN of user {self.user_id}{' (locked)' if self.locked_at else ''}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class PinPolicy(models.Model):
    """A single row per tenant schema: when web and API money moves need the PIN (USSD always does)."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    # A debit of the requester's own wallet of at least this much (minor units of the tenant's currency)
    # needs the PIN on the web portal and the API; None: never asked there.
    web_api_threshold_minor = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("transaction PIN policy")
        verbose_name_plural = _("transaction PIN policy")
        constraints = [
            models.CheckConstraint(name="pin_policy_singleton", condition=models.Q(singleton=True)),
            models.CheckConstraint(name="pin_policy_threshold_not_negative",
                                   condition=models.Q(web_api_threshold_minor__gte=0)
                                   | models.Q(web_api_threshold_minor__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"PIN above {self.web_api_threshold_minor}" if self.web_api_threshold_minor is not None else "PIN off"
