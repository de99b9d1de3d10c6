"""Operator finance's wallet adjustments: a credit or debit of a customer's wallet against suspense.

Never the adjuster's own wallet (403 ``own_submission``, as KYC, refund, remittance and risk reviews: a finance user
credited their own wallet from suspense and spent it), and only in the tenant's currency (400 ``currency_mismatch``:
any ISO code opened a wallet in a currency the site does not run, outside its books' and limits' reach).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shared_apps.core.amounts import parse_amount
from shared_apps.core.errors import Forbidden
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.ledger.errors import CurrencyMismatch
from tenant_apps.ledger.models import Account, AccountKind, JournalEntry
from tenant_apps.ledger.services import EntryType, Line, balance_ceiling, post_entry, system_account, wallet_for


class OwnWalletAdjustment(Forbidden):
    code = "own_submission"
    message = _("You cannot adjust your own wallet.")


@dataclass(frozen=True)
class Adjustment:
    entry: JournalEntry
    wallet: Account
    currency: str
    amount: int


def wallet_adjust(*, actor, user, amount: str, currency: str | None, reason: str,
                  returns_own_money: bool) -> Adjustment:
    """Post ``amount`` (signed decimal text) to ``user``'s wallet against suspense, in the caller's transaction."""
    if user.pk == actor.pk:
        raise OwnWalletAdjustment()
    site_currency = tenant_currency().code
    if currency and currency != site_currency:
        raise CurrencyMismatch(fields={"currency": [gettext("Use %(currency)s, the currency of this site.") % {
            "currency": site_currency}]})
    minor = parse_amount(amount, currency=site_currency, positive=False, allow_negative=True)
    wallet = wallet_for(user=user, currency=site_currency)
    suspense = system_account(kind=AccountKind.SUSPENSE, currency=site_currency)
    # New money for a customer stays under the KYC tier's maximum balance; giving back their own does not.
    ceiling = None if returns_own_money else balance_ceiling(wallet)
    entry = post_entry(entry_type=EntryType.ADJUSTMENT, reference=f"adjustment:{uuid.uuid4()}",
                       lines=[Line(wallet, minor, ceiling=ceiling), Line(suspense, -minor)],
                       metadata={"reason": reason, "by": str(actor.public_id), "returns_own_money": returns_own_money})
    return Adjustment(entry=entry, wallet=wallet, currency=site_currency, amount=minor)
