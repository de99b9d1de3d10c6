"""The PIN over USSD: create one (customers who have none) and change it (current PIN, new PIN, the same again).

No PIN is ever kept in the session (Redis): the first entry of a new PIN is kept as a keyed digest to compare the
second with; a change checks the current PIN on its own screen through ``pins.services.pin_change_begin`` (the
same ``pin_verify`` as at payment: a wrong one counts towards the lockout) and keeps only the ticket it returns,
which ``pin_change_finish`` needs to store the new PIN. Resetting a forgotten PIN needs the SMS code: the web.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from provider_plugins.interfaces.ussd import UssdRequest
from shared_apps.core.errors import ApiError
from tenant_apps.pins.errors import InvalidTransactionPin, TransactionPinLocked, TransactionPinNotSet
from tenant_apps.pins.services import pin_change_begin, pin_change_finish, pin_problems, pin_set

from . import sessions
from .screens import CANCEL, Screen, con, digits_hint, end, fit, pin_shaped, refusal
from .sessions import SessionState

LOCKED = gettext_noop("Your PIN is locked. Reset it on the web with a code sent by SMS.")


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
    return fit(f"{notice}\n{question}" if notice else question, [f"{CANCEL}. " + _("Cancel")])


def start_change(state: SessionState) -> Screen:
    return con(state, "pin_current", _current_screen())


def on_pin_current(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    if value in (CANCEL, CANCEL + CANCEL):
        return end(_("Cancelled. Nothing was changed."))
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


STEPS = {"pin_new": on_pin_new, "pin_again": on_pin_again, "pin_current": on_pin_current,
         "pin_change_new": on_pin_change_new, "pin_change_again": on_pin_change_again}
