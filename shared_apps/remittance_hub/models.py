"""The remittance hub's own small double-entry ledger, in the public schema.

Money between two country tenants never moves in one transaction spanning their schemas (they may live on
different database clusters). The sender's tenant gives the money to the hub, the hub keeps it on the
corridor's clearing account while it is in transit, and releases it to the receiver's tenant (or back to
the sender's). Each of those is one :class:`HubEntry`, posted once per (remittance, step): its
``reference`` is unique.

Accounts (``amount`` of a posting is what the account gains, as in ``tenant_apps.ledger``):

* ``corridor_clearing`` (corridor "NG-GH", the send currency): the principal of remittances in transit;
* ``tenant_position`` (a tenant schema, a currency): the hub's position with a country tenant, the mirror
  of that tenant's ``remittance_clearing`` account (the two sum to zero once every step has run);
* ``fx_position`` (a currency): where the send currency is exchanged for the receive currency.

Entries balance per currency (checked by the service and by a deferred constraint trigger at commit);
entries and postings are append-only (triggers in migration 0001).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HubAccountKind(models.TextChoices):
    CORRIDOR_CLEARING = "corridor_clearing", _("Corridor clearing (in transit)")
    TENANT_POSITION = "tenant_position", _("Position with a country tenant")
    FX_POSITION = "fx_position", _("FX position")


class HubAccount(models.Model):
    kind = models.CharField(max_length=20, choices=HubAccountKind.choices)
    corridor = models.CharField(max_length=5, blank=True, default="")  # "NG-GH" (clearing only)
    tenant_schema = models.CharField(max_length=63, blank=True, default="")  # positions only
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "corridor", "tenant_schema", "currency"], name="hub_account_once"),
            models.CheckConstraint(name="hub_account_currency_iso", condition=models.Q(currency__regex=r"^[A-Z]{3}$")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.corridor or self.tenant_schema} {self.currency}".replace("  ", " ")


class HubEntry(models.Model):
    reference = models.CharField(max_length=80, unique=True)  # "<remittance uuid>:<step>"
    remittance_id = models.UUIDField(db_index=True)
    step = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.reference


class HubPosting(models.Model):
    entry = models.ForeignKey(HubEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(HubAccount, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [models.CheckConstraint(name="hub_posting_amount_non_zero", condition=~models.Q(amount=0))]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} -> hub account {self.account_id}"


class HubTransferStatus(models.TextChoices):
    IN_CLEARING = "in_clearing", _("In transit (on the corridor's clearing account)")
    SETTLED = "settled", _("Released to the receiving tenant")
    REFUNDED = "refunded", _("Returned to the sending tenant")


class HubTransfer(models.Model):
    """One remittance as the hub knows it: what the receiving tenant may credit, and nothing else.

    The receiving tenant reads the amount, currency and recipient from here (never from a caller), and
    only when the row names it as the receiver: a forged or replayed step finds nothing to credit.
    """

    public_id = models.UUIDField(unique=True)  # the sender tenant's Remittance.public_id
    sender_schema = models.CharField(max_length=63)
    receiver_schema = models.CharField(max_length=63)
    corridor = models.CharField(max_length=5)
    send_currency = models.CharField(max_length=3)
    receive_currency = models.CharField(max_length=3)
    principal_minor = models.BigIntegerField()
    receive_minor = models.BigIntegerField()
    rate_e9 = models.BigIntegerField()
    method = models.CharField(max_length=16)
    recipient = models.JSONField(default=dict)  # name, phone (E.164), rail, bank code, account number
    status = models.CharField(max_length=12, choices=HubTransferStatus.choices, default=HubTransferStatus.IN_CLEARING)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["corridor", "status"], name="hub_transfer_corridor_status")]
        constraints = [
            models.CheckConstraint(name="hub_transfer_amounts_positive",
                                   condition=models.Q(principal_minor__gt=0, receive_minor__gt=0, rate_e9__gt=0)),
        ]

    def __str__(self) -> str:
        return f"hub {self.public_id} {self.corridor} ({self.status})"

