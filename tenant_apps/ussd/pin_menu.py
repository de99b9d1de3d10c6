"""The PIN over USSD: create one (customers who have none), change it (current PIN, new PIN, the same again) and
reset a forgotten or locked one (a code sent by SMS, new PIN, the same again).

No PIN is ever kept in the session (Redis): the first entry of a new PIN is kept as a keyed digest to compare the
second with; a change checks the current PIN on its own screen through ``pins.services.pin_change_begin`` (the
same ``pin_verify`` as at payment: a wrong one counts towards the lockout) and keeps only the ticket it returns,
which ``pin_change_finish`` needs to store the new PIN. A reset ("Forgot my PIN", 9 on the current-PIN screen,
or 7 once the PIN is locked) texts a code to the verified phone (``pins.services.pin_reset_send``: the web's
service and its resend cooldown); the code is checked and used up on its own screen by ``pin_reset_verify``
(wrong codes counted and exhausted as on the web) and the session keeps only the reset ticket it returns, which
``pin_reset_complete`` needs to store the new PIN. Neither the code nor a PIN is ever kept or logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from provider_plugins.interfaces.ussd import UssdRequest
from shared_apps.core.errors import ApiError
from tenant_apps.pins.errors import InvalidTransactionPin, TransactionPinLocked, TransactionPinNotSet
from tenant_apps.pins.services import (
    pin_change_begin,
    pin_change_finish,
    pin_problems,
    pin_reset_complete,
    pin_reset_send,
    pin_reset_verify,
    pin_set,
    pin_status,
)

from . import sessions
from .screens import CANCEL, Screen, con, digits_hint, end, fit, pin_shaped, refusal
from .sessions import SessionState

LOCKED = gettext_noop("Your PIN is locked. To reset it, dial again and choose 7.")
FORGOT = "9"  # on the current-PIN screen (never a PIN: 4-6 digits)


def _digest(state: SessionState, pin: str) -> str:
    return sessions.keyed_digest(f"pin|{state.session_id}|{pin}")  # never the PIN itself


# creating the PIN
def start_create(state: SessionState) -> Screen:
    return con(state, "pin_new", _("Choose a PIN of 4 to 6 digits (not 0000 or 1234)"))


def _new_pin(state: SessionState, value: str, user: Any, *, again_step: str) -> Screen:
    """A new PIN (creating or changing it), judged by the rules of a first PIN; kept as a digest until typed again."""
    problems = pin_problems(value, user=user)
    if problems:
        return end(problems[0])
    state.data["pin_digest"] = _digest(state, value)
    return con(state, again_step, _("Enter the same PIN again"))


def _same_pin_again(state: SessionState, value: str, *, save: Callable[[], object], saved: str) -> Screen:
    """The new PIN typed again: ``save()`` it when both match."""
    if not hmac.compare_digest(_digest(state, value), state.data.get("pin_digest", "")):
        return end(_("The two PINs differ. Nothing was changed."))
    try:
        save()
    except ApiError as error:
        return refusal(error, default=_("Your PIN could not be saved."))
    return end(saved)


def on_pin_new(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    return _new_pin(state, value, user, again_step="pin_again")


def on_pin_again(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    return _same_pin_again(state, value, save=lambda: pin_set(user=user, pin=value),
                           saved=_("Your PIN is saved. Never share it."))


# changing it
def _current_screen(notice: str = "") -> str:
    question = _("Change my PIN") + "\n" + _("Enter your current PIN")
    return fit(f"{notice}\n{question}" if notice else question,
               [f"{FORGOT}. " + _("Forgot my PIN"), f"{CANCEL}. " + _("Cancel")])


def start_change(state: SessionState, user: Any) -> Screen:
    if pin_status(user=user)["locked"]:  # only a reset unlocks it
        return start_forgot(state, user)
    return con(state, "pin_current", _current_screen())


def on_pin_current(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    if value in (CANCEL, CANCEL + CANCEL):
        return end(_("Cancelled. Nothing was changed."))
    if value == FORGOT:
        return start_forgot(state, user)
    if not pin_shaped(value):  # a slip (an empty answer, a menu key): asked again, never counted as a wrong PIN
        return con(state, "pin_current", _current_screen(digits_hint()))
    try:
        state.data["pin_ticket"] = pin_change_begin(user=user, current_pin=value)
    except InvalidTransactionPin as error:
        return end(_("Wrong PIN. %(left)s attempt(s) left.") % {"left": error.attempts_left})
    except TransactionPinLocked:
        return end(_(LOCKED))
    except TransactionPinNotSet:
        return end(_("Create your PIN first: dial again and choose 7."))
    return con(state, "pin_change_new", _("Choose a new PIN of 4 to 6 digits (not 0000 or 1234)"))


def on_pin_change_new(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    return _new_pin(state, value, user, again_step="pin_change_again")


def on_pin_change_again(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    return _same_pin_again(
        state, value, save=lambda: pin_change_finish(user=user, ticket=state.data.get("pin_ticket", ""), new_pin=value),
        saved=_("Your new PIN is saved. Use it from now on. Never share it."))


# resetting it (forgotten or locked)
def _code_screen(notice: str = "") -> str:
    question = _("Forgot my PIN") + "\n" + _("Enter the code we sent you by SMS")
    return fit(f"{notice}\n{question}" if notice else question, [f"{CANCEL}. " + _("Cancel")])


def start_forgot(state: SessionState, user: Any) -> Screen:
    try:
        outcome = pin_reset_send(user=user)
    except ApiError as error:
        return refusal(error, default=_("No code could be sent. Try again later."))
    if outcome == "failed":
        return end(_("No code could be sent. Try again later."))
    state.data.pop("pin_ticket", None)
    return con(state, "pin_reset_code", _code_screen())  # cooling down: the code sent moments ago still works


def _code_shaped(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) == int(settings.PHONE_OTP["DIGITS"])


def on_pin_reset_code(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    if value in (CANCEL, CANCEL + CANCEL):
        return end(_("Cancelled. Nothing was changed."))
    if not _code_shaped(value):  # a slip: asked again, never counted as a wrong code
        return con(state, "pin_reset_code", _code_screen(
            _("Enter the %(digits)s-digit code.") % {"digits": settings.PHONE_OTP["DIGITS"]}))
    try:
        state.data["pin_ticket"] = pin_reset_verify(user=user, code=value)
    except ApiError as error:
        if error.code == "invalid_otp":  # counted (as on the web); asked again until the tries run out
            return con(state, "pin_reset_code", _code_screen(_("The code is not valid.")))
        if error.code in ("otp_expired", "otp_attempts_exhausted"):
            return end(_("This code no longer works. To get a new one, dial again and choose 7."))
        return refusal(error, default=_("Your PIN could not be saved."))
    return con(state, "pin_reset_new", _("Choose a new PIN of 4 to 6 digits (not 0000 or 1234)"))


def on_pin_reset_new(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    return _new_pin(state, value, user, again_step="pin_reset_again")


def on_pin_reset_again(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    return _same_pin_again(
        state, value, save=lambda: pin_reset_complete(user=user, ticket=state.data.get("pin_ticket", ""),
                                                      new_pin=value),
        saved=_("Your new PIN is saved. Use it from now on. Never share it."))


STEPS = {"pin_new": on_pin_new, "pin_again": on_pin_again, "pin_current": on_pin_current,
         "pin_change_new": on_pin_change_new, "pin_change_again": on_pin_change_again,
         "pin_reset_code": on_pin_reset_code, "pin_reset_new": on_pin_reset_new,
         "pin_reset_again": on_pin_reset_again}
