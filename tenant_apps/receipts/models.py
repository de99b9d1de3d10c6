"""A receipt's shareable link: an unguessable token that opens one receipt without logging in.

One link per receipt (an order, a transfer, a wallet funding or a remittance sent), made when its owner first shares it;
revoking it turns the token off for good (a new share makes a new token). Each link expires
``RECEIPT_LINK_TTL_DAYS`` after it is made (the expiry is fixed at creation): past it the link refuses like a
revoked one, and sharing again makes a new token. What the link shows is the
receipt with the recipient's number masked (``tenant_apps.receipts.data``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReceiptKind(models.TextChoices):
    ORDER = "order", _("Purchase")
    TRANSFER = "transfer", _("Transfer")
    FUNDING = "funding", _("Wallet funding")
    REMITTANCE = "remittance", _("Remittance")


class ReceiptLink(models.Model):
    token = models.CharField(max_length=64, unique=True)  # secrets.token_urlsafe(24): 192 random bits
    kind = models.CharField(max_length=16, choices=ReceiptKind.choices)
    object_id = models.UUIDField()  # the receipt's public id (Order, Transfer, FundingIntent, Remittance)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="receipt_links")
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # fixed at creation (RECEIPT_LINK_TTL_DAYS)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # At most one live link per receipt.
            models.UniqueConstraint(fields=["kind", "object_id"], condition=models.Q(revoked_at__isnull=True),
                                    name="receipt_one_live_link"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} receipt link {self.object_id}"
