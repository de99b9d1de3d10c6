"""The double-entry ledger of one tenant schema.

Money only moves as a :class:`JournalEntry` with :class:`Posting` rows that sum
to zero per currency. A posting's ``amount`` is what its account *gains*
(negative: the account gives). The database enforces the rules that matter
(see migration 0002): entries balance at commit (deferred constraint trigger),
entries and postings are append-only, a wallet's cached balance never goes
below zero, and a posting's currency is its account's currency.

Only wallets carry a cached ``balance`` (the ``>= 0`` check needs a row to
check). System accounts (revenue, fees, holds, ...) have none: their balance is
the sum of their postings, so posting to them is a plain INSERT and never a
row every purchase has to lock (figures in docs/benchmarks.md, "Ledger").
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    USER_WALLET = "user_wallet", _("User wallet")
    AGENT_WALLET = "agent_wallet", _("Agent wallet")
    GATEWAY_CLEARING = "gateway_clearing", _("Gateway clearing")
    PROVIDER_SETTLEMENT = "provider_settlement", _("Provider settlement")
    HOLDS = "holds", _("Holds")
    REVENUE = "revenue", _("Revenue")
    COMMISSIONS_PAYABLE = "commissions_payable", _("Commissions payable")
    FEES = "fees", _("Fees")
    SUSPENSE = "suspense", _("Suspense")
    # Resellers (tenant_apps.agents): the float a reseller keeps at its country operation. In the parent
    # schema it is a wallet owned by the reseller's account holder; in the reseller schema its mirror
    # ``float_at_parent`` (an asset: postings are the negative of the parent's) and ``float_funding``.
    RESELLER_FLOAT = "reseller_float", _("Reseller float (at the country operation)")
    FLOAT_AT_PARENT = "float_at_parent", _("Float held at the parent operation")
    FLOAT_FUNDING = "float_funding", _("Float funding (reseller capital)")
    # Money that belongs to a business object rather than to one user's wallet (``holder`` names it):
    # a merchant's unsettled takings, a savings circle's pot, a customer's savings goal. Balances are
    # cached and never negative like a wallet's, but they are not anybody's spendable wallet.
    MERCHANT = "merchant", _("Merchant takings")
    SAVINGS_CIRCLE = "savings_circle", _("Savings circle pot")
    SAVINGS_GOAL = "savings_goal", _("Savings goal")
    # Cross-border remittances (tenant_apps.remittances): what this schema has sent to (+) or received from (-)
    # the public schema's remittance hub, per currency; the mirror of the hub's position with this tenant.
    REMITTANCE_CLEARING = "remittance_clearing", _("Remittance clearing (with the hub)")
    # A received remittance on its way out through a payout rail ("remittance:<uuid>"): the payout's hold.
    REMITTANCE = "remittance", _("Remittance being paid out")
    # Taxes collected and owed to a revenue authority (liabilities; countries/tax.py says which apply where):
    # VAT on sale income, and one account per levy (``tax_payable_levy_<code>`` of the country's TaxRule).
    TAX_PAYABLE_VAT = "tax_payable_vat", _("VAT payable")
    TAX_PAYABLE_LEVY_NHIL = "tax_payable_levy_nhil", _("NHIL payable")
    TAX_PAYABLE_LEVY_GETFUND = "tax_payable_levy_getfund", _("GETFund levy payable")
    TAX_PAYABLE_LEVY_COVID = "tax_payable_levy_covid", _("COVID-19 levy payable")
    TAX_PAYABLE_LEVY_EMTL = "tax_payable_levy_emtl", _("Stamp duty (EMTL) payable")


# Accounts that belong to a business object (``Account.holder``), not to a user.
HOLDER_KINDS = frozenset({AccountKind.MERCHANT, AccountKind.SAVINGS_CIRCLE, AccountKind.SAVINGS_GOAL,
                          AccountKind.REMITTANCE})
USER_WALLET_KINDS = frozenset({AccountKind.USER_WALLET, AccountKind.AGENT_WALLET, AccountKind.RESELLER_FLOAT})
# Cached, non-negative balances (locked and checked by ledger.services._apply_wallet_deltas).
WALLET_KINDS = USER_WALLET_KINDS | HOLDER_KINDS
SYSTEM_KINDS = frozenset(set(AccountKind) - WALLET_KINDS)
TAX_KINDS = frozenset(kind for kind in AccountKind if kind.value.startswith("tax_payable_"))


class Account(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=AccountKind.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="ledger_accounts")
    # HOLDER_KINDS only: the business object the money belongs to ("merchant:<uuid>", "circle:<uuid>", ...).
    holder = models.CharField(max_length=64, blank=True, default="", db_default="")
    currency = models.CharField(max_length=3)
    # Wallets only (NULL for system accounts); changed only by ledger.services.
    balance = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(name="ledger_wallet_balance_non_negative",
                                   condition=models.Q(balance__gte=0) | models.Q(balance__isnull=True)),
            # A user wallet has an owner and a cached balance; a holder account a holder and a cached balance;
            # a system account has none of them.
            models.CheckConstraint(
                name="ledger_account_wallet_shape",
                condition=(models.Q(kind__in=sorted(USER_WALLET_KINDS), owner__isnull=False, balance__isnull=False,
                                    holder="")
                           | (models.Q(kind__in=sorted(HOLDER_KINDS), owner__isnull=True, balance__isnull=False)
                              & ~models.Q(holder=""))
                           | (~models.Q(kind__in=sorted(WALLET_KINDS)) & models.Q(owner__isnull=True,
                                                                                 balance__isnull=True, holder=""))),
            ),
            models.CheckConstraint(name="ledger_account_currency_iso",
                                   condition=models.Q(currency__regex=r"^[A-Z]{3}$")),
            models.UniqueConstraint(fields=["owner", "kind", "currency"], condition=models.Q(owner__isnull=False),
                                    name="ledger_one_wallet_per_owner_kind_currency"),
            models.UniqueConstraint(fields=["kind", "currency"], condition=models.Q(owner__isnull=True, holder=""),
                                    name="ledger_one_system_account_per_kind_currency"),
            models.UniqueConstraint(fields=["holder", "currency"], condition=~models.Q(holder=""),
                                    name="ledger_one_account_per_holder_currency"),
        ]

    def __str__(self) -> str:
        who = f"user {self.owner_id}" if self.owner_id else self.holder or "system"
        return f"{self.kind} {self.currency} ({who})"

    @property
    def is_wallet(self) -> bool:
        return self.kind in WALLET_KINDS

    @property
    def wallet_balance(self) -> int:
        """A wallet's cached balance (as loaded): every wallet has one (ledger_account_wallet_shape)."""
        if self.balance is None:
            raise ValueError(f"{self} is not a wallet: it has no cached balance")
        return self.balance


class JournalEntry(models.Model):
    """One business event; (entry_type, reference) is unique so an event posts once."""

    entry_type = models.CharField(max_length=40)
    reference = models.CharField(max_length=160)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    # Set by ledger.services.post_entry: False when the (entry_type, reference) had already been posted.
    created_now: bool = True

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry_type", "reference"], name="ledger_entry_once_per_reference"),
            models.CheckConstraint(name="ledger_entry_reference_not_blank", condition=~models.Q(reference="")),
        ]

    def __str__(self) -> str:
        return f"{self.entry_type}:{self.reference}"


class Posting(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    # The database's reference is the composite (account, currency) foreign key of migration 0002, which also
    # says the account exists: Django's own one checked it a second time per posting. Its index is the prefix
    # of ledger_posting_account_entry. (Both paid on every posting written; issue 18.)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings", db_index=False,
                                db_constraint=False)
    amount = models.BigIntegerField()  # minor units, signed: what the account gains
    currency = models.CharField(max_length=3)

    class Meta:
        indexes = [models.Index(fields=["account", "entry"], name="ledger_posting_account_entry")]
        constraints = [models.CheckConstraint(name="ledger_posting_amount_non_zero", condition=~models.Q(amount=0))]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} -> account {self.account_id}"


class HoldStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    SETTLED = "settled", _("Settled")
    RELEASED = "released", _("Released")


class Hold(models.Model):
    """Money moved from a wallet to the holds account, waiting to be settled or released.

    The money itself moves by journal entries; this row is the state machine
    (placed -> settled | released, each transition at most once).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wallet = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="holds",
                               db_index=False)  # ledger_hold_wallet_status leads with it
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=160, unique=True)
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.PLACED)
    settled_amount = models.BigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    place_entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")
    # Never looked up by, and entries are never deleted (append-only): no index to keep up on each settlement.
    close_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    db_index=False)

    class Meta:
        indexes = [
            models.Index(fields=["expires_at"], condition=models.Q(status="placed"), name="ledger_hold_expiring"),
            models.Index(fields=["wallet", "status"], name="ledger_hold_wallet_status"),
        ]
        constraints = [
            models.CheckConstraint(name="ledger_hold_amount_positive", condition=models.Q(amount__gt=0)),
            models.CheckConstraint(
                name="ledger_hold_settled_amount_in_range",
                condition=models.Q(settled_amount__isnull=True)
                | models.Q(settled_amount__gte=0, settled_amount__lte=models.F("amount")),
            ),
            models.CheckConstraint(
                name="ledger_hold_closed_shape",
                condition=(models.Q(status="placed", close_entry__isnull=True, closed_at__isnull=True)
                           | (~models.Q(status="placed") & models.Q(close_entry__isnull=False,
                                                                    closed_at__isnull=False))),
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.reference} {self.amount} {self.currency} ({self.status})"
