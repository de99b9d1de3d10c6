"""Money-moving forms run at most once: a hidden idempotency key per form render.

The page twin of ``idempotency.decorators.idempotent``: the same
``run_idempotently`` service (one row per (user, key), same transaction as the
business writes, a concurrent twin refused). A double submit of one rendered
form replays the first answer (a redirect to its receipt) instead of buying twice;
a service error rolls everything back (the key is not stored) and is shown on
the form, which keeps its key so a corrected retry still runs once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django import forms
from django.utils.translation import gettext_noop

from tenant_apps.idempotency.errors import IdempotencyKeyInvalid
from tenant_apps.idempotency.services import (
    Fingerprint,
    StoredResponse,
    body_hash,
    check_unless_answered,
    run_idempotently,
    stored_answer,
)

from .forms import StyledForm

FIELD = "idempotency_key"
# The API's idempotency messages speak of headers; a page says it in the customer's words.
PAGE_MESSAGES = {
    "idempotency_key_reused": gettext_noop("This form was already sent with other details. "
                                           "Open the page again to start a new one."),
    "idempotency_in_flight": gettext_noop("This form is already being sent. Wait a moment."),
    "idempotency_key_invalid": gettext_noop("This form has expired. Open the page again."),
    "duplicate_purchase": gettext_noop("You bought this for this number a moment ago. "
                                       "Tick “Yes, buy it again” to buy it once more."),
    "recipient_network_mismatch": gettext_noop("This number is on another network than the product's; "
                                               "choose that network's product."),
    "step_up_required": gettext_noop("To confirm it is you, enter the code we sent to your phone and send the "
                                     "form again."),
    "invalid_step_up_code": gettext_noop("The code is not valid. Check the SMS and try again."),
    "step_up_expired": gettext_noop("This code has expired. Send the form again for a new one."),
    "step_up_locked": gettext_noop("Too many wrong codes. Send the form again for a new one."),
    "risk_blocked": gettext_noop("This payment was declined by our security checks. Contact support if you think "
                                 "it is a mistake."),
}
# Service messages the money pages show (English msgids; the catalogues translate them).
SERVICE_MESSAGES = (
    gettext_noop("The wallet does not hold enough funds for this operation."),
    gettext_noop("This product does not exist or is not on sale."),
    gettext_noop("The recipient's number is not valid here."),
    gettext_noop("This product needs the meter or smartcard number."),
    gettext_noop("The provider does not know this meter or smartcard number."),
    gettext_noop("The biller cannot be reached right now; try again in a moment."),
    gettext_noop("No provider can deliver this product right now."),
    gettext_noop("No user of this site has that phone number or email."),
    gettext_noop("You cannot send money to yourself."),
    gettext_noop("Only an active subscription can be paused."),
    gettext_noop("Only a paused subscription can be resumed."),
    gettext_noop("This payment method is not available here."),
    gettext_noop("The payment gateway could not be reached. Nothing was charged; try again."),
    gettext_noop("The amount is outside this product's range."),
    gettext_noop("This product needs an amount."),
    gettext_noop("Not found by the biller."),
    gettext_noop("Unknown recipient."),
    gettext_noop("That is you."),
    gettext_noop("Required."),
    gettext_noop("Out of range."),
)
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def new_key() -> str:
    return f"page-{uuid.uuid4().hex}"


class OnceMixin:
    """Adds the hidden ``idempotency_key`` field (a fresh key on every unbound render)."""

    fields: dict[str, forms.Field]  # the form's (a mixin for forms.Form)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = forms.CharField(widget=forms.HiddenInput, max_length=255, initial=new_key())


def run_once(request, form: StyledForm, execute: Callable[[], str]) -> tuple[str, bool]:
    """Run ``execute`` (returns the URL to go to) once per (user, form key); returns (url, replayed).

    Raises the service's ``ApiError`` (nothing stored) or ``IdempotencyInFlight`` /
    ``IdempotencyKeyReused`` for the caller to show on the form.
    """
    key = form.cleaned_data.get(FIELD) or ""
    if not _VALID_KEY.match(key):
        raise IdempotencyKeyInvalid()
    data = {name: value for name, value in form.cleaned_data.items() if name != FIELD}
    fingerprint = Fingerprint(method="POST", path=request.path, body_hash=body_hash(data))
    challenge = _posted_challenge(request)
    if challenge:
        # The payment consumes the challenge: a form already answered is replayed before its code is checked
        # (it would be refused as expired), and looked up again when the check fails (a twin that waited on
        # the challenge's row lock while the first copy paid): ``check_unless_answered``.
        url, _ = check_unless_answered(answered=lambda: _stored_url(request, key, fingerprint),
                                       check=lambda: _answer_step_up(request, form, challenge))
        if url is not None:
            return url, True

    def stored() -> StoredResponse:
        return StoredResponse(303, {"url": execute()}, {})

    response, replayed = run_idempotently(user=request.user, key=key, fingerprint=fingerprint, execute=stored)
    return response.body["url"], replayed


def _stored_url(request, key: str, fingerprint: Fingerprint) -> str | None:
    """Where the form's first answer went (None: not answered yet; 422 for other details under the key)."""
    stored = stored_answer(user_id=request.user.pk, key=key, fingerprint=fingerprint)
    return None if stored is None else stored.body["url"]


def _posted_challenge(request) -> str:
    """The step-up challenge the form came back with ("" when none, or not a challenge id)."""
    from tenant_apps.risk.request_signals import UUID_PATTERN

    challenge = (request.POST.get("step_up_challenge") or "").strip()
    return challenge if UUID_PATTERN.match(challenge) else ""


def _answer_step_up(request, form: StyledForm, challenge: str) -> None:
    """The page twin of ``X-Step-Up``: the form came back with the step-up challenge and the customer's code.

    The code is checked first, in its own transaction (a wrong code counts; raises the error shown on the
    form, which keeps the code field); then the money runs with the verified challenge (tenant_apps.risk).
    """
    from tenant_apps.risk.request_signals import current_signals
    from tenant_apps.risk.stepup import step_up_verify

    form.step_up = {"challenge": challenge, "method": "pin" if request.POST.get("step_up_method") == "pin" else "otp"}
    step_up_verify(user=request.user, challenge_id=challenge, secret=request.POST.get("step_up_code", ""),
                   request=request)
    signals = getattr(request, "risk_signals", None) or current_signals()
    signals.step_up = challenge.lower()


def show_service_error(form: StyledForm, error) -> None:
    """A service's ApiError on a money form: its message on top, field messages on the fields this form has.

    Fields the form does not have (the ledger's ``account`` id...) are internal detail, never shown.
    """
    from django.utils.translation import gettext

    from tenant_apps.pins.errors import PIN_CODES

    if error.code in PIN_CODES:  # the form shows the transaction PIN box (portal/_form_errors.html)
        form.transaction_pin_needed = True
    if error.code == "step_up_required":  # the form shows the code field (portal/_form_errors.html)
        step_up = (getattr(error, "extra", None) or {}).get("step_up", {})
        form.step_up = {"challenge": step_up.get("challenge", ""), "method": step_up.get("method", "otp"),
                        "sent_to": step_up.get("sent_to", "")}
    if error.code in PAGE_MESSAGES:
        form.add_error(None, gettext(PAGE_MESSAGES[error.code]))
        return
    form.add_error(None, gettext(str(error.message)))
    for field, field_messages in (error.fields or {}).items():
        if field in form.fields and field != FIELD:
            for message in field_messages:
                form.add_error(field, gettext(str(message)))
