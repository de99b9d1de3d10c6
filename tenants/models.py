"""Tenant and domain: the rows in the public schema that route every request."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from countries.fields import CountryField

hex_colour = RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("Use a #RRGGBB colour."))
# An alphanumeric SMS sender ID as gateways register them (Termii, Africa's Talking: 3 to 11 letters, digits or
# spaces, at least one letter).
SMS_SENDER_ID_RE = r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{3,11}$"
sms_sender_id = RegexValidator(SMS_SENDER_ID_RE, _("3 to 11 letters, digits or spaces, with at least one letter."))


class TenantKind(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office (public schema)")
    COUNTRY_OPERATION = "country_operation", _("Country operation")
    RESELLER_BRAND = "reseller_brand", _("Reseller brand")


class TenantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class Tenant(TenantMixin):
    """One schema: a country operation, a reseller brand, or the head office (public)."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=32, choices=TenantKind.choices)
    country = CountryField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    status = models.CharField(max_length=16, choices=TenantStatus.choices, default=TenantStatus.ACTIVE)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=255, blank=True)

    # Branding (white label).
    display_name = models.CharField(max_length=120, blank=True)
    logo_url = models.URLField(blank=True)
    primary_colour = models.CharField(max_length=7, default="#0B5FFF", validators=[hex_colour])
    accent_colour = models.CharField(max_length=7, default="#FFB400", validators=[hex_colour])
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=32, blank=True)
    default_language = models.CharField(max_length=5, default="en")
    # The sender name its texts carry (registered with the SMS gateway); blank: the gateway's default (NexusTop).
    sms_sender_id = models.CharField(max_length=11, blank=True, validators=[sms_sender_id])
    # Staging tenants pointed at providers' sandboxes: each provider's documented test numbers (VTPass
    # 08011111111, 201000000000, ...) pass phone validation, for that provider's products only.
    sandbox_mode = models.BooleanField(default=False)

    # The PostgreSQL cluster holding this tenant's schema (an alias of TENANT_CLUSTERS; tenants.clusters).
    database = models.CharField(max_length=64, default="default", db_index=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Schemas are created by tenants.services.tenant_provision, never implicitly.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        indexes = [models.Index(fields=["country", "kind"]), models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(
                name="reseller_has_parent",
                condition=~models.Q(kind="reseller_brand") | models.Q(parent__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    @property
    def is_suspended(self) -> bool:
        return self.status == TenantStatus.SUSPENDED

    @property
    def brand_name(self) -> str:
        return self.display_name or self.name


class Domain(DomainMixin):
    """A hostname that routes to a tenant (``ng.localhost``, ``quickvend.example``).

    Stored in lower case without a trailing dot, the spelling routing looks up (host names are
    case-insensitive: ``tenants.hosts.normalise_host``)."""

    domain: str  # DomainMixin's CharField (django-tenants is untyped)

    def save(self, *args, **kwargs):
        self.domain = (self.domain or "").strip().lower().rstrip(".")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.domain


class SchemaScript(models.Model):
    """The SQL that migrating an empty schema ran, captured while building the template.

    Replaying it creates a tenant schema without Django's migration machinery
    and without django-tenants' ``clone_schema`` (whose catalog scans slow down
    as schemas accumulate). ``migrations_digest`` ties the script to the exact
    set of migrations it was captured from; any other set is never replayed.
    """

    migrations_digest = models.CharField(max_length=64, unique=True)
    statements = models.JSONField()
    statement_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.statement_count} statements ({self.migrations_digest[:12]})"
