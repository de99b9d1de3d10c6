"""Wallet: dedicated bank accounts, fundings, transfers and payouts (the ledger keeps the money trail)."""

from tenant_apps.privacy.registry import BLANK, MASK, PSEUDONYM, no_personal_data, register

from .models import FundingIntent, Transfer, VirtualAccount, WebhookEvent

register(VirtualAccount, owners=("user",), erase={"account_number": MASK, "account_name": PSEUDONYM})
register(FundingIntent, owners=("user",), erase={"phone": MASK, "authorization_url": BLANK},
         exclude=("notify_token",))
# The sender's own payouts and the P2P transfers received: the other party's name and number are erased too.
register(Transfer, owners=("sender", "recipient_user"), erase={"account_number": MASK, "account_name": PSEUDONYM,
                                                                "callback_url": BLANK})
no_personal_data(WebhookEvent, "gateway event ids, our reference and the outcome: no payload is stored")
