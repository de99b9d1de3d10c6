"""The transaction PIN's refusals: one stable code each (403 unless the input itself is malformed)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import ApiError, Forbidden

PIN_CODES = frozenset({"transaction_pin_required", "transaction_pin_not_set", "invalid_transaction_pin",
                       "transaction_pin_locked"})


class TransactionPinRequired(Forbidden):
    code = "transaction_pin_required"
    message: Any = _("Enter your transaction PIN to confirm this payment.")


class TransactionPinNotSet(Forbidden):
    code = "transaction_pin_not_set"
    message: Any = _("Set a transaction PIN first: this payment needs it.")


class InvalidTransactionPin(Forbidden):
    code = "invalid_transaction_pin"
    message: Any = _("The transaction PIN is not correct.")

    def __init__(self, *args: Any, attempts_left: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attempts_left = attempts_left
        if not self.fields:
            self.fields = {"pin": [_("%(left)s attempt(s) left before your PIN is locked.") % {"left": attempts_left}]}


class TransactionPinLocked(Forbidden):
    code = "transaction_pin_locked"
    message: Any = _("Your transaction PIN is locked after too many wrong tries. Reset it with a code sent "
                     "to your phone.")


class WeakPin(ApiError):
    code = "weak_pin"
    message: Any = _("Choose another PIN.")


class PinAlreadySet(ApiError):
    status_code = 409
    code = "transaction_pin_already_set"
    message: Any = _("You already have a transaction PIN: change it, or reset it if you forgot it.")


class PinChangeExpired(ApiError):
    status_code = 409
    code = "pin_change_expired"
    message: Any = _("This PIN change has expired or the PIN changed meanwhile: start again.")
