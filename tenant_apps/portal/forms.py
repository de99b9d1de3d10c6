"""Page forms: typed input checks before the services run (the services re-check everything)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import ApiError
from tenant_apps.kyc.models import KycStatus
from tenant_apps.ledger.entry_types import ENTRY_TYPE_LABELS
from tenant_apps.ledger.selectors import StatementStatus


class StyledForm(forms.Form):
    """Every control gets the shared input style; labels and errors are rendered by ui/_field.html."""

    # What a refused money step asks for next (apply_api_error, once.show_service_error), read by
    # portal/_form_errors.html: the transaction PIN box, or the step-up code field for this challenge.
    transaction_pin_needed: bool = False
    step_up: dict[str, str] | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """``form.fields[name]`` as the choice field it is (forms fill some options per request)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    return field


def apply_api_error(form: StyledForm, error: ApiError) -> None:
    """Show a service's ApiError on the form: field messages on their fields, the rest on top.

    Service messages are English msgids; ``gettext`` finds them in the catalogue
    (see portal/service_messages.py) so they show in the page's language.
    """
    from tenant_apps.pins.errors import PIN_CODES

    if error.code in PIN_CODES:  # the form shows the transaction PIN box (portal/_form_errors.html)
        form.transaction_pin_needed = True
    placed = False
    for field, messages in (error.fields or {}).items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, gettext(str(message)))
            placed = True
    if not placed:
        form.add_error(None, gettext(str(error.message)))


class SignupForm(StyledForm):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=_("Mobile number"), max_length=20,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
                            help_text=_("We text you a code to check it."))
    password = forms.CharField(label=_("Password"), min_length=10, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("At least 10 characters."))


class OtpForm(StyledForm):
    code = forms.RegexField(label=_("Code"), regex=r"^\d{6}$", max_length=6,
                            error_messages={"invalid": _("Enter the 6-digit code we sent.")},
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class LoginForm(StyledForm):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class ProfileForm(StyledForm):
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class KycForm(StyledForm):
    scheme = forms.ChoiceField(label=_("Identity document type"))
    number = forms.CharField(label=_("Identity number"), max_length=40,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))
    id_document = forms.FileField(label=_("Identity document (photo or PDF)"), required=False)
    selfie = forms.FileField(label=_("Selfie"), required=False)
    proof_of_address = forms.FileField(label=_("Proof of address"), required=False)

    DOCUMENT_FIELDS = ("id_document", "selfie", "proof_of_address")

    def __init__(self, *args, schemes, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "scheme").choices = [(scheme.code, str(scheme.label)) for scheme in schemes]
        self.fields["number"].help_text = " · ".join(
            gettext("Example: %(example)s") % {"example": scheme.example} for scheme in schemes[:1])
        for name in self.DOCUMENT_FIELDS:
            self.fields[name].widget.attrs["accept"] = "image/jpeg,image/png,application/pdf"


ENTRY_TYPE_CHOICES = [("", _("All types")), *ENTRY_TYPE_LABELS.items()]
STATUS_CHOICES = [
    ("", _("All statuses")),
    (StatementStatus.COMPLETED, _("Completed")),
    (StatementStatus.PENDING, _("Pending")),
    (StatementStatus.RELEASED, _("Released")),
]


class StatementFilterForm(StyledForm):
    type = forms.ChoiceField(label=_("Type"), choices=ENTRY_TYPE_CHOICES, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class UserFilterForm(StyledForm):
    search = forms.CharField(label=_("Search email or phone"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "role").choices = [("", _("All roles")), *roles]


class KycQueueFilterForm(StyledForm):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *KycStatus.choices])


class DecisionForm(StyledForm):
    note = forms.CharField(label=_("Note (optional)"), max_length=255, required=False)
