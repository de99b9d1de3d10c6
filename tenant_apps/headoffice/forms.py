"""Console forms. Credentials are write-only: the field is always rendered empty."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from countries.fields import country_choices
from shared_apps.providers.models import ProviderStatus
from shared_apps.providers.services import validate_endpoint_url
from tenants.models import SMS_SENDER_ID_RE, Tenant, TenantKind


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")


class LoginForm(StyledForm):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


COLOUR = forms.TextInput(attrs={"type": "color"})


class BrandingForm(StyledForm):
    display_name = forms.CharField(label=_("Display name"), max_length=120, required=False)
    logo_url = forms.URLField(label=_("Logo URL"), required=False, assume_scheme="https")
    primary_colour = forms.RegexField(label=_("Primary colour"), regex=r"^#[0-9A-Fa-f]{6}$", initial="#0B5FFF",
                                      widget=COLOUR)
    accent_colour = forms.RegexField(label=_("Accent colour"), regex=r"^#[0-9A-Fa-f]{6}$", initial="#FFB400",
                                     widget=COLOUR)
    support_email = forms.EmailField(label=_("Support email"), required=False)
    support_phone = forms.CharField(label=_("Support phone"), max_length=32, required=False)
    sms_sender_id = forms.RegexField(label=_("SMS sender name"), regex=SMS_SENDER_ID_RE, max_length=11, required=False,
                                     help_text=_("As registered with the SMS gateway; empty: the platform's."))
    default_language = forms.ChoiceField(label=_("Default language"), choices=[("", _("Country default")),
                                                                               *settings.LANGUAGES], required=False)


class TenantCreateForm(BrandingForm):
    field_order = ["kind", "name", "country", "parent", "domain", "admin_email", "admin_password"]

    kind = forms.ChoiceField(label=_("Kind"), choices=[
        (kind.value, kind.label) for kind in (TenantKind.COUNTRY_OPERATION, TenantKind.RESELLER_BRAND)])
    name = forms.CharField(label=_("Name"), max_length=120)
    country = forms.ChoiceField(label=_("Country"), choices=country_choices)
    parent = forms.ModelChoiceField(label=_("Parent country operation (reseller brands)"), required=False,
                                    queryset=Tenant.objects.filter(kind=TenantKind.COUNTRY_OPERATION).order_by("name"))
    domain = forms.CharField(label=_("Domain"), max_length=253, help_text=_("For example quickvend.example.com"))
    admin_email = forms.EmailField(label=_("First admin's email"))
    admin_password = forms.CharField(label=_("First admin's password (optional)"), required=False, strip=False,
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                     help_text=_("Leave empty to let the admin set it later."))


class SuspendForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class ProviderForm(StyledForm):
    status = forms.ChoiceField(label=_("Status"), choices=ProviderStatus.choices)
    routing_priority = forms.IntegerField(label=_("Routing priority"), min_value=0, max_value=32767)
    base_url = forms.URLField(label=_("Base URL"), max_length=500, assume_scheme="https",
                              validators=[validate_endpoint_url])  # public https only (no SSRF)
    timeout_seconds = forms.IntegerField(label=_("Timeout (seconds)"), min_value=1, max_value=300)
    credentials = forms.CharField(
        label=_("New credentials"), required=False, widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off",
                                                                                  "spellcheck": "false"}),
        help_text=_("One key=value per line. Leave empty to keep the current credentials; they are never shown."))


class AuditFilterForm(StyledForm):
    action = forms.CharField(label=_("Action"), max_length=64, required=False)
