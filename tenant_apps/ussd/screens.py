"""USSD screens: their size and the replies the menus build.

The gateway shows ``USSD['SCREEN_CHARS']`` characters as sent (GSM-7) and cuts the rest, choices included; the
menus (``menu``, ``pin_menu``, ``cash_menu``) build every screen to fit instead (``fit``), with the primitives
below (``con``/``ask``/``end``, amounts, a service's refusal in the customer's words)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from countries.registry import message_minor
from provider_plugins.interfaces.ussd import gsm7
from shared_apps.core.errors import ApiError
from tenant_apps.ledger.currency import tenant_currency

from .sessions import SessionState

logger = logging.getLogger("tenant_apps.ussd.menu")


def screen_chars() -> int:
    return int(settings.USSD["SCREEN_CHARS"])


def width(text: str) -> int:
    return len(gsm7(text))


def shorten(text: str, chars: int) -> str:
    """``text`` in at most ``chars`` characters as sent (GSM-7), ending "..." when cut."""
    if width(text) <= chars:
        return text
    while text and width(text) > max(chars - 3, 0):
        text = text[:-1]
    return text.rstrip() + "..." if chars >= 3 else ""


def fit(head: str, lines: list[str]) -> str:
    """A screen whose ``lines`` (choices, the PIN question) are all shown: ``head`` (a title, a summary) is
    shortened, or left out, when the whole would be longer than the screen."""
    body = "\n".join(lines)
    room = screen_chars() - width(body) - 1
    if width(head) > room:
        head = shorten(head, room) if room >= 8 else ""
    return "\n".join([head, body]) if head and body else head or body


# --- the replies the menus build (menu, pin_menu, cash_menu) ------------------------------------------------

BACK, CANCEL = "0", "0"


@dataclass(frozen=True)
class Screen:
    text: str
    final: bool


# A step of another module (cash_menu) going back to the main menu, which only menu draws: menu._answer swaps it.
MAIN_MENU = Screen("", False)


def con(state: SessionState, step: str, text: str) -> Screen:
    """A screen that waits for input; the session goes on at ``step``."""
    state.step = step
    return Screen(text, False)


def ask(state: SessionState, step: str, text: str) -> Screen:
    """A screen where the customer types a number or an amount: ``0`` (or ``00``) goes back to the menu."""
    return con(state, step, fit(text, [f"{BACK}. " + _("Back")]))


def end(text: str) -> Screen:
    return Screen(text, True)


def money(amount_minor: int, currency: str | None = None) -> str:
    """An amount as every text a phone gets writes it, in the session's language (``1 500 CFA``, ``NGN 1,500.00``)."""
    return message_minor(amount_minor, currency or tenant_currency().code)


def menu_text(title: str, options: list[str], *, back: bool = True) -> str:
    lines = [f"{number}. {label}" for number, label in enumerate(options, start=1)]
    if back:
        lines.append(f"{BACK}. " + _("Back"))
    return fit(title, lines)


def pin_shaped(value: str) -> bool:
    """What can be a PIN (4-6 ASCII digits): anything else on a PIN screen is asked again, never counted."""
    low, high = settings.TRANSACTION_PIN["MIN_LENGTH"], settings.TRANSACTION_PIN["MAX_LENGTH"]
    return value.isascii() and value.isdigit() and low <= len(value) <= high


def digits_hint() -> str:
    low, high = settings.TRANSACTION_PIN["MIN_LENGTH"], settings.TRANSACTION_PIN["MAX_LENGTH"]
    return _("Use %(low)s to %(high)s digits.") % {"low": low, "high": high}


# Service refusals in the customer's words (English msgids; the app catalogue translates them).
REFUSALS = {
    "insufficient_funds": gettext_noop("Your balance is too low for this."),
    "kyc_limit_exceeded": gettext_noop("This is above the limit of your account. Verify your identity on the web "
                                       "to raise it."),
    "duplicate_purchase": gettext_noop("You bought this for this number a moment ago. Check your SMS before "
                                       "buying again."),
    "invalid_recipient": gettext_noop("This number cannot receive this product."),
    "recipient_network_mismatch": gettext_noop("This number is on another network."),
    "invalid_amount": gettext_noop("This amount is not accepted for this product."),
    "unknown_recipient": gettext_noop("No account has this number."),
    "self_transfer": gettext_noop("You cannot send money to yourself."),
    "invalid_customer": gettext_noop("The biller does not know this meter number."),
    "verification_unavailable": gettext_noop("The biller cannot be reached. Try again later."),
    "no_provider_available": gettext_noop("This service is unavailable. Try again later."),
    "product_not_found": gettext_noop("This product is no longer sold."),
    "balance_limit_exceeded": gettext_noop("The recipient cannot receive this amount."),
    "kyc_balance_limit_exceeded": gettext_noop("The recipient cannot receive this amount."),
    "agent_velocity_exceeded": gettext_noop("Your limit for today is reached."),
    "phone_not_verified": gettext_noop("Verify your phone number on the web first."),
    "risk_blocked": gettext_noop("This payment was declined by our security checks. Contact support if you think "
                                 "it is a mistake."),
    "too_many_withdrawal_codes": gettext_noop("You have too many withdrawal codes waiting. Use one at an agent or "
                                              "cancel one on the web."),
    "too_many_resends": gettext_noop("Your code was sent again a moment ago. Wait for the SMS."),
    "withdrawal_code_not_active": gettext_noop("This withdrawal code is no longer active."),
    "pin_change_expired": gettext_noop("Your PIN was not changed: the session took too long. Dial again."),
}


def refusal(error: ApiError, *, default: str | None = None) -> Screen:
    """The END screen of a service's refusal (a weak PIN: the rule it broke)."""
    message = REFUSALS.get(error.code)
    if message is None and error.code == "weak_pin":
        fields = error.fields or {}
        found = next(iter(fields.values()), [None])
        message = str(found[0]) if found and found[0] else None
        return end(message or _("Choose another PIN."))
    if message is None:
        logger.info("ussd refusal %s", error.code)
    return end(_(message) if message else (default or _("This could not be done. Nothing was charged.")))
