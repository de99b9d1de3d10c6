"""Resellers and agents, per tenant schema.

In a country operation's schema: reseller applications (+ documents) and the
float each reseller keeps there. In every selling tenant's schema (mostly
reseller brands): the agent tree, invitations, commission postings, API keys
and outbound webhooks.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shared_apps.core import api_scopes
from tenant_apps.kyc.storage import kyc_document_storage, tenant_file_prefix


def reseller_document_key(instance, filename: str) -> str:
    """``tenants/<schema>/resellers/<application>/<random>.<ext>`` (the tenant prefix IAM allows)."""
    import os

    extension = os.path.splitext(filename)[1].lower()[:8]
    return f"{tenant_file_prefix()}/resellers/{instance.application.public_id}/{uuid.uuid4().hex}{extension}"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ResellerApplication(models.Model):
    """A business asking to sell under its own brand, filed on a country operation's domain."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company_name = models.CharField(max_length=120)
    registration_number = models.CharField(max_length=60)
    company_address = models.CharField(max_length=255, blank=True)
    desired_subdomain = models.CharField(max_length=63)
    contact_name = models.CharField(max_length=120)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=20)
    primary_colour = models.CharField(max_length=7, default="#0B5FFF")
    accent_colour = models.CharField(max_length=7, default="#FFB400")
    logo_url = models.URLField(blank=True)
    default_language = models.CharField(max_length=5, blank=True)
    sms_sender_id = models.CharField(max_length=11, blank=True, help_text=_("the sender name of its texts"))
    status = models.CharField(max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    tenant_id = models.BigIntegerField(null=True, blank=True, help_text=_("the provisioned reseller tenant"))
    domain = models.CharField(max_length=253, blank=True)
    provisioning_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["desired_subdomain"], condition=models.Q(status="pending"),
                                    name="agents_one_pending_application_per_subdomain"),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.status})"


class ResellerDocument(models.Model):
    application = models.ForeignKey(ResellerApplication, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=40)
    # The private KYC bucket (S3, SSE), keys "<schema>/resellers/<application>/<uuid>.<ext>".
    file = models.FileField(upload_to=reseller_document_key, storage=kyc_document_storage, max_length=255)
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} for {self.application_id}"


class ResellerFloat(models.Model):
    """Parent schema: the reseller's account holder and its float wallet (ledger kind ``reseller_float``)."""

    reseller_tenant_id = models.BigIntegerField(unique=True)
    reseller_schema = models.CharField(max_length=63, unique=True)
    holder = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"float of {self.reseller_schema}"


class Agent(models.Model):
    """An agent of this tenant; ``path`` is the chain of agent ids from the root (``"3/8/15/"``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agent")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, db_index=True, blank=True)
    depth = models.PositiveSmallIntegerField(default=1)
    max_transactions_per_hour = models.PositiveIntegerField(null=True, blank=True)
    max_amount_per_day_minor = models.BigIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(name="agents_depth_positive", condition=models.Q(depth__gte=1))]

    def __str__(self) -> str:
        return f"agent {self.user_id} (depth {self.depth})"


class Invitation(models.Model):
    """An invitation to join this tenant (agent, or the first admin setting a password); only a hash of the token."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=24, default="agent")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    parent_agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"invitation {self.role} {self.email or self.phone}"


class AgentSale(models.Model):
    """One accepted sale by an agent, counted against its velocity limits.

    Written in the sale's own transaction (a sale that rolls back was never counted) and deleted when
    the sale fails (its money went back); the limits are counted from these rows under the agent's row lock.
    """

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="sales")
    order_ref = models.CharField(max_length=80, unique=True)
    amount_minor = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["agent", "created_at"], name="agents_sale_agent_created")]

    def __str__(self) -> str:
        return f"sale {self.order_ref} by agent {self.agent_id}"


class CommissionStatus(models.TextChoices):
    POSTED = "posted", _("Posted")
    CLAWED_BACK = "clawed_back", _("Clawed back")


class CommissionPosting(models.Model):
    """One agent's commission on one order (the money is in the ledger; this row is for reports)."""

    order_ref = models.CharField(max_length=80)
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="commissions")
    level = models.PositiveSmallIntegerField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=CommissionStatus.choices, default=CommissionStatus.POSTED)
    clawback_shortfall_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    clawed_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order_ref", "agent", "level"],
                                               name="agents_one_commission_per_order_agent_level")]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.currency} to {self.agent_id} on {self.order_ref}"


class ApiKeyScope(models.TextChoices):
    """What a key may do; each view declares the scope it needs (shared_apps.core.api_scopes, deny by default)."""

    READ = api_scopes.READ, _("Read catalog, prices and own orders")
    PURCHASE = api_scopes.PURCHASE, _("Buy")
    WALLET = api_scopes.WALLET, _("Wallet, funding and transfers")
    ADMIN = api_scopes.ADMIN, _("Administration: keys, webhooks, prices, users, reviews")


class ApiKey(models.Model):
    """A reseller API key. ``key_id`` is public; the secret is shown once and stored encrypted
    (HMAC verification needs it) plus a SHA-256 fingerprint; requests act as ``user``."""

    key_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    scopes = models.JSONField(default=list)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys")
    secret_encrypted = models.TextField()
    secret_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookSubscription(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class WebhookDelivery(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event} -> {self.subscription_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per HTTP attempt."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    status_code = models.IntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    attempted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.status_code or self.error}"
