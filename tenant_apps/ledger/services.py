"""The only code that moves money.

Every movement is one balanced journal entry (:func:`post_entry`). Wallet
balances change by conditional UPDATEs taken in ascending account-id order, so
two transactions touching the same wallets lock them in the same order (no
deadlock) and a debit that would take a wallet below zero changes nothing and
raises :class:`InsufficientFunds`. System accounts are never updated: their
balance is the sum of their postings, so they are not a hot row.

Idempotent by design: ``(entry_type, reference)`` posts once; posting it again
with the same lines returns the first entry (``created_now`` False), with other
lines raises. Holds move placed -> settled | released once; repeating the same
final step is a no-op, the opposite step raises :class:`HoldClosed`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Literal, cast, overload

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shared_apps.core import metrics
from shared_apps.core.db_refusals import Refusal, refusals
from shared_apps.core.locks import lock_ledger_account

from .currency import tenant_currency
from .errors import (
    BalanceLimitExceeded,
    CurrencyMismatch,
    EntryReferenceConflict,
    HoldClosed,
    InsufficientFunds,
    InvalidAmount,
    UnbalancedEntry,
)
from .guards import debit_check
from .models import (
    HOLDER_KINDS,
    TAX_KINDS,
    USER_WALLET_KINDS,
    WALLET_KINDS,
    Account,
    AccountKind,
    Hold,
    HoldStatus,
    JournalEntry,
)

logger = logging.getLogger(__name__)


class EntryType:
    """Entry types posted by this app (other apps may use their own strings)."""

    FUNDING = "funding"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"
    HOLD_PLACE = "hold_place"
    HOLD_SETTLE = "hold_settle"
    HOLD_RELEASE = "hold_release"


@dataclass(frozen=True)
class Line:
    """One side of an entry: ``amount`` minor units that ``account`` gains (negative: gives).

    ``ceiling`` (wallets only): the most the wallet may hold after this entry, counting its balance AND
    its placed holds (money on hold is still the owner's): a credit past it changes nothing and raises
    :class:`BalanceLimitExceeded`. Give it on every credit that brings new money to a customer's wallet
    (``balance_ceiling``); never on refunds and releases of the customer's own money.
    """

    account: Account
    amount: int
    ceiling: int | None = None

    @property
    def currency(self) -> str:
        return self.account.currency


@dataclass(frozen=True)
class Split:
    """Where part of a settled hold goes. ``ceiling``: as on :class:`Line`, when the part is new money for a
    customer's wallet (an agent's float settled into a customer's wallet: cash-in)."""

    account: Account
    amount: int
    ceiling: int | None = None


def _check_amount(value: object, *, allow_zero: bool = False, positive: bool = False) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidAmount(gettext("Amounts are integers in minor units."))
    if (value == 0 and not allow_zero) or (positive and value < 0):
        raise InvalidAmount(fields={"amount": ["Must be positive."]} if positive else None)
    return value


def _validate_lines(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise UnbalancedEntry(gettext("A journal entry needs at least two lines."))
    totals: Counter[str] = Counter()
    for line in lines:
        _check_amount(line.amount)
        if line.account.pk is None:
            raise ValueError("line account is not saved")
        totals[line.currency] += line.amount
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        raise UnbalancedEntry(fields={"lines": [f"{c} is off by {t}" for c, t in sorted(unbalanced.items())]})


def _same_lines(entry: JournalEntry, lines: Sequence[Line]) -> bool:
    stored = Counter(entry.postings.values_list("account_id", "amount"))
    return stored == Counter((line.account.pk, line.amount) for line in lines)


def _apply_wallet_deltas(cursor, lines: Sequence[Line]) -> None:
    """Change cached wallet balances, locking rows in ascending id order; refuse going below zero,
    and past a line's ``ceiling`` (balance + placed holds)."""
    deltas: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    ceilings: dict[int, int] = {}
    for line in lines:
        if line.account.kind in WALLET_KINDS:
            deltas[line.account.pk] += line.amount
            accounts[line.account.pk] = line.account
            if line.ceiling is not None:
                ceilings[line.account.pk] = min(line.ceiling, ceilings.get(line.account.pk, line.ceiling))
    check = debit_check()
    if check is not None:  # a guarded block (e.g. the transaction PIN): vetted before any row changes
        for account_id in sorted(deltas):
            if deltas[account_id] < 0:
                check(accounts[account_id], -deltas[account_id])
    for account_id in sorted(deltas):
        delta = deltas[account_id]
        if delta == 0:
            continue
        if delta > 0 and account_id in ceilings:
            _credit_under_ceiling(cursor, accounts[account_id], delta, ceilings[account_id])
            continue
        cursor.execute(
            "UPDATE ledger_account SET balance = balance + %s "
            "WHERE id = %s AND balance + %s >= 0 RETURNING balance",
            [delta, account_id, delta],
        )
        row = cursor.fetchone()
        if row is None:
            raise InsufficientFunds()  # no account id in the answer: internal ids never leave the platform
        accounts[account_id].balance = row[0]


def _credit_under_ceiling(cursor, account: Account, delta: int, ceiling: int) -> None:
    """Credit ``delta`` unless balance + placed holds would pass ``ceiling`` (BalanceLimitExceeded).

    The row lock comes first, in its own statement: the UPDATE then runs on a snapshot taken after
    it, so the holds it sums include every committed hold of this wallet (a hold placement holds
    the same row lock), and two concurrent credits cannot both fit under the ceiling.
    """
    lock_ledger_account(cursor, account.pk)
    cursor.execute(
        "UPDATE ledger_account SET balance = balance + %s WHERE id = %s AND balance + %s + "
        "COALESCE((SELECT SUM(h.amount) FROM ledger_hold h WHERE h.wallet_id = %s AND h.status = %s), 0) <= %s "
        "RETURNING balance",
        [delta, account.pk, delta, account.pk, HoldStatus.PLACED, ceiling],
    )
    row = cursor.fetchone()
    if row is None:
        raise BalanceLimitExceeded(fields={"amount": [gettext("Over the wallet's maximum balance.")]})
    account.balance = row[0]


def balance_ceiling(wallet: Account) -> int | None:
    """The most ``wallet`` may hold (balance + placed holds), from ``settings.LEDGER_BALANCE_CEILING``
    (the owner's KYC tier: ``tenant_apps.kyc.services.kyc_balance_cap``); None: no ceiling."""
    if wallet.kind != AccountKind.USER_WALLET or wallet.owner_id is None:
        return None  # agent wallets and reseller floats are business money: no personal ceiling
    from django.conf import settings
    from django.utils.module_loading import import_string

    path = getattr(settings, "LEDGER_BALANCE_CEILING", "")
    return import_string(path)(user=wallet.owner) if path else None


def post_entry(*, entry_type: str, reference: str, lines: Sequence[Line],
               metadata: Mapping | None = None, savepoint: bool = True) -> JournalEntry:
    """Post one balanced entry atomically; the same (entry_type, reference) posts at most once.

    Raises InsufficientFunds (nothing written) when a wallet would go below zero.
    One cursor for the whole entry: django-tenants sets the search_path once per cursor.
    ``savepoint=False`` (a caller that already holds the transaction and rolls all of it back
    on any error, e.g. a purchase) saves the SAVEPOINT/RELEASE round trips; an error then
    marks the caller's transaction for rollback (Django refuses further queries in it).
    """
    _validate_lines(lines)
    if not reference:
        raise ValueError("reference is required")
    metadata_json = json.dumps(dict(metadata or {}), cls=DjangoJSONEncoder)
    created_at = timezone.now()
    with transaction.atomic(savepoint=savepoint), connection.cursor() as cursor:
        # ON CONFLICT waits for a concurrent insert of the same reference, then skips: no savepoint needed.
        cursor.execute(
            "INSERT INTO ledger_journalentry (entry_type, reference, metadata, created_at) "
            "VALUES (%s, %s, %s::jsonb, %s) ON CONFLICT (entry_type, reference) DO NOTHING RETURNING id",
            [entry_type, reference, metadata_json, created_at],
        )
        row = cursor.fetchone()
        if row is None:
            existing = JournalEntry.objects.get(entry_type=entry_type, reference=reference)
            if not _same_lines(existing, lines):
                raise EntryReferenceConflict(fields={"reference": [reference]})
            existing.created_now = False
            return existing
        entry_id = row[0]
        _apply_wallet_deltas(cursor, lines)
        placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(lines))
        params = [value for line in lines for value in (entry_id, line.account.pk, line.amount, line.currency)]
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, currency) VALUES " + placeholders,  # noqa: S608
            params,
        )
    _count_postings(lines)
    entry = JournalEntry(pk=entry_id, entry_type=entry_type, reference=reference, metadata=json.loads(metadata_json),
                         created_at=created_at)
    entry._state.adding = False
    entry.created_now = True
    return entry


def _count_postings(lines) -> None:
    """nexustop_ledger_postings_total{currency}, once the entry is committed."""
    _count_currencies([line.currency for line in lines])


def _count_currencies(currencies: Sequence[str]) -> None:
    """nexustop_ledger_postings_total{currency}: one posting per item, counted once the transaction commits."""
    per_currency = Counter(currencies)

    def count() -> None:
        for currency, number in per_currency.items():
            metrics.record_ledger_postings(currency=currency, count=number)

    transaction.on_commit(count)


def _get_or_create_account(*, kind: str, currency: str, owner=None, holder: str = "") -> Account:
    lookup = {"kind": kind, "currency": currency, "owner": owner, "holder": holder}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    balance = 0 if kind in WALLET_KINDS else None
    # ON CONFLICT DO NOTHING: a concurrent creator wins quietly, then we read its row.
    Account.objects.bulk_create([Account(balance=balance, **lookup)], ignore_conflicts=True)
    return Account.objects.get(**lookup)


def _check_currency(currency: str) -> str:
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise CurrencyMismatch(fields={"currency": [gettext("Use an ISO 4217 code such as NGN.")]})
    return currency


@overload
def wallet_for(*, user, currency: str | None = None, create: Literal[True] = True, kind: str | None = None) -> Account:
    ...


@overload
def wallet_for(*, user, currency: str | None = None, create: bool, kind: str | None = None) -> Account | None:
    ...


def wallet_for(*, user, currency: str | None = None, create: bool = True, kind: str | None = None) -> Account | None:
    """The user's wallet in ``currency`` (default: the tenant's); agents get an agent wallet."""
    currency = _check_currency(currency or tenant_currency().code)
    if kind is None:
        kind = AccountKind.AGENT_WALLET if getattr(user, "role", "") == "agent" else AccountKind.USER_WALLET
    if kind not in USER_WALLET_KINDS:
        raise ValueError(f"{kind} is not a wallet kind")
    if not create:
        return Account.objects.filter(owner=user, kind=kind, currency=currency).first()
    return _get_or_create_account(kind=kind, currency=currency, owner=user)


def system_account(*, kind: str, currency: str | None = None) -> Account:
    """The tenant's system account of ``kind`` in ``currency`` (created on first use)."""
    if kind in WALLET_KINDS or kind not in AccountKind.values:
        raise ValueError(f"{kind} is not a system account kind")
    return _get_or_create_account(kind=kind, currency=_check_currency(currency or tenant_currency().code))


def holder_account(*, kind: str, holder: str, currency: str | None = None) -> Account:
    """The account of a business object (a merchant, a savings circle or goal), created on first use.

    ``holder`` names the object ("merchant:<uuid>"); its balance is cached and never negative, like a
    wallet's, but it belongs to nobody's wallet list or statement: the owning app decides who may move it.
    """
    if kind not in HOLDER_KINDS:
        raise ValueError(f"{kind} is not a holder account kind")
    if not holder or len(holder) > 64:
        raise ValueError("holder must name the object in at most 64 characters")
    return _get_or_create_account(kind=kind, currency=_check_currency(currency or tenant_currency().code),
                                  holder=holder)


def transfer(*, source: Account, destination: Account, amount: int, reference: str,
             entry_type: str = EntryType.TRANSFER, fee: int = 0, metadata: Mapping | None = None,
             capped: bool = False, taxes: Sequence[tuple[str, int]] = ()) -> JournalEntry:
    """Move ``amount`` from source to destination; ``fee`` (also paid by the source) goes to the fees account.

    ``taxes``: ``(tax account kind, amount)`` levies the source also pays, each to its tax account (Nigeria's
    stamp duty on a transfer): the source's one conditional debit covers amount + fee + taxes, so a sender
    who cannot pay the levy cannot send (InsufficientFunds, nothing written).
    ``capped``: new money for the destination (a P2P receive, a cash-in): refused with
    BalanceLimitExceeded, nothing written, past the destination's ``balance_ceiling``.
    """
    _check_amount(amount, positive=True)
    _check_amount(fee, allow_zero=True, positive=True)
    for kind, tax in taxes:
        _check_amount(tax, positive=True)
        if kind not in TAX_KINDS:
            raise ValueError(f"{kind} is not a tax account kind")
    if source.currency != destination.currency:
        raise CurrencyMismatch()
    ceiling = balance_ceiling(destination) if capped else None
    levied = sum(tax for _kind, tax in taxes)
    lines = [Line(source, -(amount + fee + levied)), Line(destination, amount, ceiling=ceiling)]
    if fee:
        lines.append(Line(system_account(kind=AccountKind.FEES, currency=source.currency), fee))
    for kind, tax in taxes:
        lines.append(Line(system_account(kind=kind, currency=source.currency), tax))
    return post_entry(entry_type=entry_type, reference=reference, lines=lines, metadata=metadata)


def fund_wallet(*, wallet: Account, amount: int, reference: str, source_kind: str = AccountKind.GATEWAY_CLEARING,
                metadata: Mapping | None = None, capped: bool = False) -> JournalEntry:
    """Credit a wallet from a system account (gateway clearing by default), once per reference.

    ``capped``: refused (BalanceLimitExceeded, nothing written) past the wallet's ``balance_ceiling``.
    """
    _check_amount(amount, positive=True)
    source = system_account(kind=source_kind, currency=wallet.currency)
    ceiling = balance_ceiling(wallet) if capped else None
    return post_entry(entry_type=EntryType.FUNDING, reference=reference,
                      lines=[Line(source, -amount), Line(wallet, amount, ceiling=ceiling)], metadata=metadata)


def place_hold(*, wallet: Account, amount: int, reference: str, expires_at: datetime | None = None,
               metadata: Mapping | None = None, holds: Account | None = None, savepoint: bool = True) -> Hold:
    """Move ``amount`` from the wallet to the holds account; one hold per reference.

    One call of the server-side ``ledger_place_hold`` (migration 0007: the one implementation, the purchase's
    ``purchase_accept`` calls it too): the entry once per reference, the no-overdraft conditional debit
    (InsufficientFunds, nothing written), the balanced postings and the hold row. Placing the same reference
    again with the same wallet and amount returns the first hold; another wallet or amount raises
    EntryReferenceConflict. A guarded block's debit check (the transaction PIN) vets the debit first.
    ``holds``: the holds account if the caller has it cached; ``savepoint``: see ``post_entry``.
    """
    _check_amount(amount, positive=True)
    if not wallet.is_wallet:
        raise ValueError("holds are placed on wallets")
    check = debit_check()
    if check is not None:
        check(wallet, amount)
    holds = _holds_account(holds, wallet.currency)
    now = timezone.now()
    public_id = uuid.uuid4()
    metadata_json = json.dumps(dict(metadata or {}), cls=DjangoJSONEncoder)
    with transaction.atomic(savepoint=savepoint), refusals(LEDGER_REFUSALS), connection.cursor() as cursor:
        cursor.execute("SELECT hold_id, entry_id, created, wallet_balance "
                       "FROM ledger_place_hold(%s, %s, %s, %s, %s::jsonb, %s, %s, %s)",
                       [wallet.pk, holds.pk, amount, reference, metadata_json, expires_at, public_id, now])
        hold_id, entry_id, created, balance = cursor.fetchone()
    if not created:
        return Hold.objects.get(pk=hold_id)
    wallet.balance = balance
    count_hold_postings(wallet.currency)
    hold = Hold(pk=hold_id, public_id=public_id, wallet=wallet, amount=amount, currency=wallet.currency,
                reference=reference, status=HoldStatus.PLACED, expires_at=expires_at, created_at=now,
                place_entry_id=entry_id)
    hold._state.adding = False
    return hold


def count_hold_postings(currency: str) -> None:
    """The metrics of a hold placed by ``ledger_place_hold`` (its two postings), once committed (as
    ``_count_currencies([currency, currency])``, without its Counter and closure: once per purchase)."""
    transaction.on_commit(partial(metrics.record_ledger_postings, currency=currency, count=2))


# The refusals of the ledger's server-side functions, in the ledger's words (shared_apps.core.db_refusals).
LEDGER_REFUSALS: dict[str, Callable[[Refusal], BaseException]] = {
    "insufficient_funds": lambda refusal: InsufficientFunds(),
    "entry_reference_conflict": lambda refusal: EntryReferenceConflict(
        fields={"reference": [str(refusal.detail.get("reference", ""))]}),
    "invalid_amount": lambda refusal: InvalidAmount(fields={"amount": [gettext("Must be positive.")]}),
}


def _holds_account(holds: Account | None, currency: str) -> Account:
    if holds is None:
        return system_account(kind=AccountKind.HOLDS, currency=currency)
    if holds.kind != AccountKind.HOLDS or holds.currency != currency:
        raise CurrencyMismatch()
    return holds


def _lock_hold(hold: Hold) -> Hold:
    return Hold.objects.select_for_update().select_related("wallet").get(pk=hold.pk)  # lock: hold


def settle_hold(*, hold: Hold, amount: int | None = None, to_account: Account | None = None,
                splits: Sequence[Split] = (), metadata: Mapping | None = None, holds: Account | None = None,
                savepoint: bool = True) -> Hold:
    """Settle a hold once: ``amount`` (default: all) goes to ``to_account`` (or ``splits``), the rest to the wallet.

    Settling a settled hold again is a no-op (a different amount raises); settling a released hold raises.
    """
    if (to_account is None) == (not splits):
        raise ValueError("give exactly one of to_account or splits")
    requested = amount
    with transaction.atomic(savepoint=savepoint):
        locked = _lock_hold(hold)
        if splits:
            total = sum(_check_amount(split.amount, allow_zero=True, positive=True) for split in splits)
            if amount is not None and amount != total:
                raise InvalidAmount(gettext("The splits do not add up to the amount."))
            amount = total
            targets = [(split.account, split.amount, split.ceiling) for split in splits]
        else:
            amount = locked.amount if amount is None else _check_amount(amount, allow_zero=True, positive=True)
            targets = [(cast(Account, to_account), amount, None)]
        if locked.status == HoldStatus.SETTLED:
            if (requested is not None or splits) and amount != locked.settled_amount:
                raise HoldClosed(_closed_message(locked))
            return _sync(hold, locked)
        if locked.status == HoldStatus.RELEASED:
            raise HoldClosed(_closed_message(locked))
        if amount > locked.amount:
            raise InvalidAmount(fields={"amount": [gettext("Cannot settle more than the hold.")]})
        if any(account.currency != locked.currency for account, _, _ in targets):
            raise CurrencyMismatch()
        holds = _holds_account(holds, locked.currency)
        lines = [Line(holds, -locked.amount)]
        lines += [Line(account, part, ceiling=ceiling) for account, part, ceiling in targets if part]
        if locked.amount - amount:
            lines.append(Line(locked.wallet, locked.amount - amount))
        entry = post_entry(entry_type=EntryType.HOLD_SETTLE, reference=locked.reference, lines=lines,
                           metadata=metadata, savepoint=False)
        _close(locked, status=HoldStatus.SETTLED, entry=entry, settled_amount=amount)
        return _sync(hold, locked)


@dataclass(frozen=True)
class WholeSettlement:
    """One placed hold settled whole by :func:`settle_holds_whole`: ``splits`` are ``(system account id,
    amount)`` adding up to the hold's amount (nothing goes back to the wallet)."""

    hold_id: int
    reference: str  # the hold's reference: the hold_settle entry's
    amount: int
    currency: str
    splits: list[tuple[int, int]]
    metadata: Mapping


# The first CTEs of a set-based write (the dispatcher's batch settlement, commissions, float holds): ``e`` the
# journal entries (one per reference, in order; an entry already posted is skipped, so a caller compares the
# count of ``e`` with what it asked for and rolls back), ``p`` their postings, joined to their entry by its
# reference. Parameters: :func:`entries_and_postings`. Later CTEs join ``e`` by reference too.
ENTRIES_AND_POSTINGS = """
e AS (
    INSERT INTO ledger_journalentry (entry_type, reference, metadata, created_at)
    SELECT %(entry_type)s, x.reference, x.metadata::jsonb, %(now)s
      FROM unnest(%(references)s::text[], %(metadata)s::text[]) WITH ORDINALITY AS x(reference, metadata, n)
     ORDER BY x.n
    ON CONFLICT (entry_type, reference) DO NOTHING RETURNING id, reference
), p AS (
    INSERT INTO ledger_posting (entry_id, account_id, amount, currency)
    SELECT e.id, l.account_id, l.amount, l.currency
      FROM unnest(%(line_references)s::text[], %(line_accounts)s::bigint[], %(line_amounts)s::bigint[],
                  %(line_currencies)s::text[]) WITH ORDINALITY AS l(reference, account_id, amount, currency, n)
      JOIN e ON e.reference = l.reference
     ORDER BY l.n
)"""


def entries_and_postings(*, entry_type: str, now: datetime, entries: Sequence[tuple[str, Mapping]],
                         lines: Sequence[tuple[str, int, int, str]]) -> dict:
    """The parameters of :data:`ENTRIES_AND_POSTINGS`: ``entries`` as ``(reference, metadata)``, ``lines`` as
    ``(entry reference, account id, amount, currency)`` in posting order. The postings are counted
    (``nexustop_ledger_postings_total``) once committed."""
    _count_currencies([currency for _reference, _account, _amount, currency in lines])
    return {"entry_type": entry_type, "now": now,
            "references": [reference for reference, _metadata in entries],
            "metadata": [json.dumps(dict(metadata), cls=DjangoJSONEncoder) for _reference, metadata in entries],
            "line_references": [line[0] for line in lines], "line_accounts": [line[1] for line in lines],
            "line_amounts": [line[2] for line in lines], "line_currencies": [line[3] for line in lines]}


# The hold_settle entries of several holds, their postings and the holds closed, in ONE statement (an entry already
# posted is skipped: the count returned tells). Only system accounts are posted to: no balance changes.
_SETTLE_WHOLE = "WITH " + ENTRIES_AND_POSTINGS + """, h AS (
    UPDATE ledger_hold h SET status = %(settled)s, settled_amount = h.amount, close_entry_id = e.id, closed_at = %(now)s
      FROM unnest(%(holds)s::bigint[], %(references)s::text[]) AS d(hold_id, reference)
      JOIN e ON e.reference = d.reference
     WHERE h.id = d.hold_id AND h.status = %(placed)s
    RETURNING h.id
)
SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM h)
"""  # noqa: S608 (a constant fragment)


def settle_holds_whole(*, settlements: Sequence[WholeSettlement], now: datetime) -> int:
    """:func:`settle_hold` with ``splits`` for many placed holds at once, each settled whole into system accounts,
    in the caller's transaction, which holds the holds' row locks (taken in ascending id) and has checked
    they are placed. Returns the entries posted: fewer than the holds means one was already posted, and the caller
    must roll back (also when a hold was not placed any more). The same entries, postings and hold rows as
    :func:`settle_hold` (holds account first, then each non-zero split)."""
    if not settlements:
        return 0
    for item in settlements:
        if any(amount < 0 for _account, amount in item.splits) or sum(a for _, a in item.splits) != item.amount:
            raise InvalidAmount(gettext("The splits do not add up to the hold."))
    holds_accounts = {currency: _holds_account(None, currency).pk for currency in {s.currency for s in settlements}}
    lines = [(item.reference, account_id, amount, item.currency) for item in settlements
             for account_id, amount in [(holds_accounts[item.currency], -item.amount),
                                        *[(account, part) for account, part in item.splits if part]]]
    with connection.cursor() as cursor:
        cursor.execute(_SETTLE_WHOLE, {
            **entries_and_postings(entry_type=EntryType.HOLD_SETTLE, now=now, lines=lines,
                                   entries=[(item.reference, item.metadata) for item in settlements]),
            "settled": HoldStatus.SETTLED, "placed": HoldStatus.PLACED,
            "holds": [item.hold_id for item in settlements]})
        posted, closed = cursor.fetchone()
    return int(min(posted, closed))


def release_hold(*, hold: Hold, metadata: Mapping | None = None, holds: Account | None = None,
                 savepoint: bool = True) -> Hold:
    """Give the held money back to the wallet, once. Releasing again is a no-op; releasing a settled hold raises."""
    with transaction.atomic(savepoint=savepoint):
        locked = _lock_hold(hold)
        if locked.status == HoldStatus.RELEASED:
            return _sync(hold, locked)
        if locked.status == HoldStatus.SETTLED:
            raise HoldClosed(_closed_message(locked))
        holds = _holds_account(holds, locked.currency)
        entry = post_entry(entry_type=EntryType.HOLD_RELEASE, reference=locked.reference,
                           lines=[Line(holds, -locked.amount), Line(locked.wallet, locked.amount)], metadata=metadata,
                           savepoint=False)
        _close(locked, status=HoldStatus.RELEASED, entry=entry, settled_amount=None)
        return _sync(hold, locked)


def _close(hold: Hold, *, status: str, entry: JournalEntry, settled_amount: int | None) -> None:
    hold.status = status
    hold.settled_amount = settled_amount
    hold.close_entry = entry
    hold.closed_at = timezone.now()
    hold.save(update_fields=["status", "settled_amount", "close_entry", "closed_at"])


def _sync(target: Hold, source: Hold) -> Hold:
    """Bring the caller's Hold object up to date with the locked row (so ``hold.status`` is current)."""
    if target is not source:
        for field in ("status", "settled_amount", "close_entry_id", "closed_at"):
            setattr(target, field, getattr(source, field))
    return source


def _closed_message(hold: Hold) -> str:
    return f"Hold {hold.reference} is already {hold.status}."


def release_expired_holds(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Release placed holds whose ``expires_at`` has passed (current schema); returns how many were released."""
    now = now or timezone.now()
    released = 0
    expired = Hold.objects.filter(status=HoldStatus.PLACED, expires_at__lte=now).order_by("expires_at")
    for hold in expired[:limit]:
        try:
            result = release_hold(hold=hold, metadata={"reason": "expired"})
        except HoldClosed:
            continue  # settled concurrently: nothing to release
        released += result.status == HoldStatus.RELEASED
    return released


def release_expired_holds_in_all_tenants(*, now: datetime | None = None) -> dict[str, int]:
    """Run :func:`release_expired_holds` in every tenant schema (what the beat task calls)."""
    from tenants.runner import for_each_tenant

    return for_each_tenant(lambda: release_expired_holds(now=now))
