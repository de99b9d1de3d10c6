"""Head-office admin for the registry. Credentials are write-only here."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin

from .crypto import encrypt_credentials
from .models import Provider
from .services import require_credentials_for_new_host, validate_endpoint_url


class ProviderForm(forms.ModelForm):
    base_url = forms.URLField(max_length=500, assume_scheme="https", validators=[validate_endpoint_url])
    new_credentials = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="JSON object, e.g. {\"api_key\": \"...\"}. Leave empty to keep the stored credentials.")

    class Meta:
        model = Provider
        # credentials_encrypted is deliberately absent: write-only through new_credentials.
        fields = ["name", "country", "capabilities", "plugin_key", "base_url", "options", "timeout_seconds",
                  "status", "routing_priority"]

    def clean_new_credentials(self):
        raw = self.cleaned_data.get("new_credentials") or ""
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError("Credentials must be a JSON object.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Credentials must be a JSON object.")
        return value

    def clean(self):
        cleaned = super().clean() or {}
        if self.instance.pk and "base_url" in cleaned:
            try:
                require_credentials_for_new_host(current_url=self.instance.base_url, new_url=cleaned["base_url"],
                                                 new_credentials=cleaned.get("new_credentials"))
            except forms.ValidationError as error:
                self.add_error("new_credentials", error)
        return cleaned

    def save(self, commit=True):
        provider = super().save(commit=False)
        if self.cleaned_data.get("new_credentials"):
            provider.credentials_encrypted = encrypt_credentials(self.cleaned_data["new_credentials"])
        if commit:
            provider.save()
        return provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderForm
    list_display = ["name", "country", "plugin_key", "status", "routing_priority", "has_credentials",
                    "last_catalog_sync_at"]
    list_filter = ["country", "status", "plugin_key"]
    search_fields = ["name", "plugin_key"]
    readonly_fields = ["last_catalog_sync_at", "created_at", "updated_at"]

    @admin.display(boolean=True, description="Credentials set")
    def has_credentials(self, obj: Provider) -> bool:
        return obj.has_credentials
