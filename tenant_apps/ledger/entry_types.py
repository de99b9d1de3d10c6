"""What each journal entry type reads as for a person: one map, used by the statement page, its filter and the
statement API/CSV (next to the raw ``entry_type`` code, which stays as it is).

The codes are defined where they are posted (``ledger.services.EntryType``, ``orders``, ``agents``, ``cash``,
``merchants``, ``savings``, ``remittances``, ``wallet``); they are spelled here as plain strings so the ledger
imports none of those apps. tests/ledger/test_entry_type_labels.py checks every code defined there has a label.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ENTRY_TYPE_LABELS: dict[str, Promise] = {
    # ledger (EntryType)
    "funding": _("Funding"),
    "transfer": _("Transfer"),
    "adjustment": _("Adjustment"),
    "hold_place": _("Payment (held)"),
    "hold_settle": _("Payment settled"),
    "hold_release": _("Payment released"),
    # wallet
    "funding_held": _("Top-up held (over the balance limit)"),
    "funding_mismatch": _("Top-up of another amount"),
    "funding_review_credit": _("Top-up credited after review"),
    "funding_review_refund": _("Top-up refunded at the gateway"),
    "payout_refund": _("Payout refunded"),
    # orders
    "order_late_charge": _("Late delivery charge"),
    "order_reversal": _("Order reversal"),
    # merchants
    "merchant_payment": _("Merchant payment"),
    "merchant_refund": _("Merchant refund"),
    "merchant_settlement": _("Merchant settlement"),
    # savings
    "circle_contribution": _("Savings circle contribution"),
    "circle_pot": _("Savings circle pot"),
    "circle_arrears": _("Savings circle arrears"),
    "circle_dissolve_refund": _("Savings circle refund"),
    "savings_deposit": _("Savings deposit"),
    "savings_withdrawal": _("Savings withdrawal"),
    # cash-in/cash-out, remittances
    "cash_commission": _("Cash-in/cash-out commission"),
    "remittance": _("Remittance"),
    # agents and resellers
    "agent_commission": _("Agent commission"),
    "agent_commission_clawback": _("Commission clawback"),
    "agent_funding": _("Agent funding"),
    "reseller_float_fund": _("Float top-up"),
    "reseller_float_draw": _("Float used for a sale"),
    "reseller_float_draw_reversal": _("Float sale reversed"),
    "reseller_float_hold": _("Float held for a sale"),
    "reseller_float_release": _("Float released"),
    "reseller_float_adjust": _("Float adjustment"),
    "reseller_float_owed": _("Float owed"),
    "reseller_float_owed_reversal": _("Float owed reversed"),
}

OTHER_ENTRY = _("Other transaction")


def entry_type_label(code: str) -> str:
    """The human label of an entry type in the active language (an unknown code: a generic label, never the
    raw code)."""
    return str(ENTRY_TYPE_LABELS.get(code, OTHER_ENTRY))


# What a hold (and the settlement that credits a wallet) was for, by the reference prefix the flow that placed it
# gives it (orders ``ord-``, remittances ``remit:``, payouts ``payout:``, agent cash ``cashin:``/``cashout:``): a
# delivered purchase read "Payment (held)" and a cash deposit "Payment settled". A release keeps its own label
# (the money came back), and so does a reference none of these flows uses.
HOLD_PURPOSES: tuple[tuple[str, Promise], ...] = (
    ("ord-", pgettext_lazy("statement", "Purchase")),
    ("remit:", pgettext_lazy("statement", "Remittance sent")),
    ("payout:", pgettext_lazy("statement", "Payout to an account")),
    ("cashin:", pgettext_lazy("statement", "Cash deposit")),
    ("cashout:", pgettext_lazy("statement", "Cash withdrawal")),
)
PURPOSE_ENTRY_TYPES = frozenset({"hold_place", "hold_settle"})
# A remittance's wallet lines by the step in their reference (``remit:<id>:<step>``): the sender's refund read
# "Remittance" like money received from abroad.
REMITTANCE_STEPS: dict[str, Promise] = {
    "refund": pgettext_lazy("statement", "Remittance refunded"),
    "credit": pgettext_lazy("statement", "Remittance received"),
}


def statement_label(entry_type: str, reference: str) -> str:
    """A statement line in words: what its hold was for where the reference says it, else its entry type's label."""
    if entry_type in PURPOSE_ENTRY_TYPES:
        for prefix, label in HOLD_PURPOSES:
            if reference.startswith(prefix):
                return str(label)
    if entry_type == "remittance" and reference.startswith("remit:"):
        step = REMITTANCE_STEPS.get(reference.rpartition(":")[2])
        if step is not None:
            return str(step)
    return entry_type_label(entry_type)
