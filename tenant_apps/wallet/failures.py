"""Why a money movement failed, in the customer's words: one place for funding intents, payouts (transfers),
remittances and merchant settlements.

The ``failure_reason`` columns keep what was recorded, for staff and reconciliation: one of our codes
(``expired``, ``amount_mismatch``, ``balance_limit_exceeded``, ``kyc_limit_exceeded``), a provider's status or
message as it came (``FAILED``, ``PAYER_NOT_FOUND``, ``Account is dormant``), an English note of ours. None of it
is for a customer: :func:`failure_text` is what they read (the API's ``failure_reason``, in the request's
language), and the raw value is the API's ``failure_code`` (docs/api.md).
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from .models import FUNDING_EXPIRED

# Our own codes in failure_reason (the flows set them; staff pages and reconciliation read them).
AMOUNT_MISMATCH = "amount_mismatch"  # a funding paid with another amount or currency than asked: in review
BALANCE_LIMIT = "balance_limit_exceeded"  # a funding or a settlement over the wallet's maximum balance
KYC_REVIEW = "kyc_limit_exceeded"  # a bank transfer to a virtual account over the tier's limits: in review
REVIEW_REFUSED = "Refused after review"  # a transfer or remittance an operator refused (": note" may follow)

_FUNDING = {
    FUNDING_EXPIRED: gettext_noop("The payment was not made in time: this payment request expired."),
    AMOUNT_MISMATCH: gettext_noop("The amount paid is not the amount asked: our team is checking the payment and will "
                                  "credit or refund it."),
    BALANCE_LIMIT: gettext_noop("This payment would take your wallet past the maximum balance of your verification "
                                "level: our team is checking it. Verify your identity to raise the limit."),
    KYC_REVIEW: gettext_noop("This payment is above the limits of your verification level: our team is checking it."),
}
_FUNDING_OTHER = gettext_noop("The payment provider did not complete the payment: nothing was added to your wallet.")

_PAYOUT_FAILED = gettext_noop("The bank or mobile-money operator refused the transfer: the money was returned.")
_PAYOUT_REVERSED = gettext_noop("The bank or mobile-money operator sent the transfer back: the money was returned.")
_REVIEW_REFUSED = gettext_noop("Refused after a check by our team: the money was returned.")
_SETTLEMENT_LIMIT = gettext_noop("Your wallet would pass the maximum balance of your verification level: verify your "
                                 "identity to raise it. The money stays in your takings and is paid with the next "
                                 "settlement.")

# A remittance's reason starts with one of our notes (tenant_apps.remittances.services); anything else is the rail's.
_REMITTANCE = (
    ("No NexusTop wallet has this phone number",
     gettext_noop("No wallet has this phone number in the destination country: the money is back in your wallet.")),
    ("The recipient's wallet cannot receive",
     gettext_noop("The recipient's wallet cannot receive this amount at their verification level: the money is back "
                  "in your wallet.")),
    ("The payout account was refused",
     gettext_noop("The recipient's account was refused by their bank or operator: the money is back in your "
                  "wallet.")),
    (REVIEW_REFUSED, gettext_noop("Refused after a check by our team: the money is back in your wallet.")),
)
_REMITTANCE_OTHER = gettext_noop("The recipient could not be paid: the money is back in your wallet.")

KINDS = ("funding", "transfer", "remittance", "settlement")


def failure_text(kind: str, raw: str, *, status: str = "") -> str:
    """What a customer reads for a ``failure_reason`` of ``kind`` (``KINDS``), translated in the active
    language; ``""`` when nothing failed. Never the raw value: a provider's ``FAILED`` reads as a sentence."""
    if not raw:
        return ""
    if kind == "funding":
        return gettext(_FUNDING.get(raw, _FUNDING_OTHER))
    if kind in ("transfer", "settlement"):
        if kind == "settlement" and raw == BALANCE_LIMIT:
            return gettext(_SETTLEMENT_LIMIT)
        if raw.startswith(REVIEW_REFUSED):
            return gettext(_REVIEW_REFUSED)
        sentence = _PAYOUT_REVERSED if status == "reversed" else _PAYOUT_FAILED
        return gettext(sentence)
    if kind == "remittance":
        return gettext(next((text for prefix, text in _REMITTANCE if raw.startswith(prefix)), _REMITTANCE_OTHER))
    raise ValueError(f"unknown failure kind {kind!r}")
