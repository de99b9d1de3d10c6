"""The provider registry (public schema): who fulfils what, where, and how to reach them."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from countries.fields import CountryField
from provider_plugins.interfaces.plugin import Capability


class ProviderStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DEGRADED = "degraded", _("Degraded (used only as fallback)")
    DISABLED = "disabled", _("Disabled")


CAPABILITY_CHOICES = [(c.value, c.value.replace("_", " ").title()) for c in Capability]


class Provider(models.Model):
    name = models.CharField(max_length=100)
    country = CountryField()
    capabilities = ArrayField(models.CharField(max_length=16, choices=CAPABILITY_CHOICES), default=list)
    plugin_key = models.CharField(max_length=40)
    base_url = models.URLField(max_length=500)
    # Fernet token of a JSON object; see crypto.py. Never rendered, logged or serialised.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    options = models.JSONField(default=dict, blank=True, help_text=_("Non-secret plugin options."))
    timeout_seconds = models.PositiveSmallIntegerField(default=30)
    status = models.CharField(max_length=16, choices=ProviderStatus.choices, default=ProviderStatus.ACTIVE)
    routing_priority = models.PositiveSmallIntegerField(
        default=100, help_text=_("Lower is tried first among providers of the same capability and country."))
    last_catalog_sync_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "routing_priority", "name"]
        indexes = [models.Index(fields=["country", "name"], name="provider_country_name")]
        constraints = [models.UniqueConstraint(fields=["name", "country"], name="provider_unique_name_country")]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    def __repr__(self) -> str:  # never include credentials
        return f"<Provider {self.pk} {self.name!r} {self.country} {self.plugin_key}>"

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)
