"""Remittances: what the person sent (quotes and remittances, with the recipient they named) and what they received
(inbound remittances credited to their wallet). The hub and the ledger keep the money trail without names."""

from tenant_apps.privacy.registry import BLANK, MASK, PSEUDONYM, no_personal_data, register

from .models import Corridor, InboundRemittance, Quote, Remittance, RemittanceStep

_RECIPIENT = {"recipient_name": PSEUDONYM, "recipient_phone": MASK, "recipient_account": MASK,
              "recipient_bank_code": BLANK}

register(Quote, owners=("user",), erase={**_RECIPIENT, "screening_matches": BLANK})
register(Remittance, owners=("sender",), erase={**_RECIPIENT, "failure_reason": BLANK})
register(InboundRemittance, owners=("recipient",), erase={"recipient_name": PSEUDONYM, "recipient_phone": MASK,
                                                          "failure_reason": BLANK})
no_personal_data(Corridor, "the operator's margin and fee per destination country")
no_personal_data(RemittanceStep, "a remittance id, a step name and its ledger entry: the run-once keys")
