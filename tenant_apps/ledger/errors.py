"""Ledger errors: stable codes the API and calling services can rely on."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from shared_apps.core.amounts import InvalidAmount as _SharedInvalidAmount
from shared_apps.core.errors import ApiError, Conflict


class InsufficientFunds(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "insufficient_funds"
    message = _("The wallet does not hold enough funds for this operation.")


class UnbalancedEntry(ApiError):
    """A programming error caught before the database would refuse it at commit."""

    code = "unbalanced_entry"
    message = _("The postings of a journal entry must sum to zero per currency.")


class CurrencyMismatch(ApiError):
    code = "currency_mismatch"
    message = _("The amount's currency does not match the account's currency.")


class EntryReferenceConflict(Conflict):
    code = "entry_reference_conflict"
    message = _("An entry with this type and reference was already posted with different lines.")


class HoldClosed(Conflict):
    code = "hold_closed"
    message = _("The hold was already settled or released.")


# Every bad amount is the same error wherever it is raised (the API, the ledger, a form).
InvalidAmount = _SharedInvalidAmount


class BalanceLimitExceeded(ApiError):
    """A credit would take a customer's wallet (balance + money on hold) over its KYC tier's maximum balance."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "balance_limit_exceeded"
    message = _("This would take the wallet over the maximum balance of its verification level.")
