"""Forms of the customer's money pages (buy, pay bills, fund, transfer, subscribe, history filters).

Each money-moving form carries a hidden idempotency key (``once.OnceMixin``).
Amounts are typed as decimals ("100", "1500.50") and turned into minor units here;
the services re-check everything.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shared_apps.core.amounts import InvalidAmount, parse_amount
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.subscriptions.models import Frequency

from .forms import StyledForm, choice_field
from .once import OnceMixin

PHONE_ATTRS = {"autocomplete": "tel", "inputmode": "tel"}


def amount_minor(form: forms.Form, name: str = "amount", *, required: bool = False,
                 currency: str | None = None) -> int | None:
    """The amount of ``form[name]`` in minor units by the platform's one money rule, or a field error (None).

    Only the surrounding spaces a browser keeps are trimmed; inside, the rule is the API's (no separators).
    """
    raw = (form.cleaned_data.get(name) or "").strip()
    if not raw:
        if required:
            form.add_error(name, _("Enter an amount."))
        return None
    try:
        return parse_amount(raw, currency=currency or tenant_currency().code, field=name)
    except InvalidAmount as error:
        for message in error.fields.get(name, [error.message]):
            form.add_error(name, message)
        return None


class AmountField(forms.CharField):
    def __init__(self, *, label=None, required=False, **kwargs):
        super().__init__(label=label or _("Amount"), required=required, max_length=20,
                         widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}), **kwargs)


class BuyForm(OnceMixin, StyledForm):
    recipient_phone = forms.CharField(label=_("Mobile number to top up"), max_length=20,
                                      widget=forms.TextInput(attrs=PHONE_ATTRS),
                                      help_text=_("The network is detected as you type."))
    product_id = forms.IntegerField(label=_("Product"), min_value=1,
                                    error_messages={"required": _("Choose a product.")})
    amount = AmountField()
    confirm_duplicate = forms.BooleanField(label=_("Yes, buy it again"), required=False)


class BillForm(OnceMixin, StyledForm):
    product_id = forms.TypedChoiceField(label=_("Service"), coerce=int)
    customer_number = forms.CharField(label=_("Meter or smartcard number"), max_length=40,
                                      widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    amount = AmountField()
    recipient_phone = forms.CharField(label=_("Phone for the receipt"), max_length=20,
                                      widget=forms.TextInput(attrs=PHONE_ATTRS))
    confirm_duplicate = forms.BooleanField(label=_("Yes, buy it again"), required=False)

    def __init__(self, *args, products, number_label, needs_amount: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "product_id").choices = products
        self.fields["customer_number"].label = number_label
        if not needs_amount:
            del self.fields["amount"]


class FundForm(OnceMixin, StyledForm):
    amount = AmountField(required=True)
    gateway = forms.ChoiceField(label=_("Pay with"))

    def __init__(self, *args, gateways, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "gateway").choices = gateways


class TransferForm(OnceMixin, StyledForm):
    recipient = forms.CharField(label=_("Send to (mobile number or email)"), max_length=120,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    amount = AmountField(required=True)


class CashOutForm(OnceMixin, StyledForm):
    """Cash out to the customer's own mobile-money wallet: check the name first, then confirm."""

    rail = forms.ChoiceField(label=_("Mobile-money service"))
    amount = AmountField(required=True)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, rails, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "rail").choices = rails


class SubscriptionForm(OnceMixin, StyledForm):
    product_id = forms.TypedChoiceField(label=_("Product"), coerce=int)
    recipient_phone = forms.CharField(label=_("Mobile number"), max_length=20,
                                      widget=forms.TextInput(attrs=PHONE_ATTRS))
    amount = AmountField(help_text=_("For airtime: the amount of each top-up."))
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    end_date = forms.DateField(label=_("End date (optional)"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "product_id").choices = products


PLAIN_STATUS_CHOICES = [
    ("", _("All statuses")),
    ("processing", _("Processing")),
    ("delivered", _("Delivered")),
    ("refunded", _("Refunded")),
]
PRODUCT_TYPE_CHOICES = [
    ("", _("All products")),
    ("airtime", _("Airtime")),
    ("data", _("Data")),
    ("electricity", _("Electricity")),
    ("cable_tv", _("Cable TV")),
]


class HistoryFilterForm(StyledForm):
    status = forms.ChoiceField(label=_("Status"), choices=PLAIN_STATUS_CHOICES, required=False)
    product_type = forms.ChoiceField(label=_("Product"), choices=PRODUCT_TYPE_CHOICES, required=False)
    recipient_phone = forms.CharField(label=_("Number"), required=False, max_length=20)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
