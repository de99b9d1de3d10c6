"""Money between a reseller brand and its country operation: the reseller float.

The float is one wallet in the PARENT schema (ledger kind ``reseller_float``,
owned by an inactive "account holder" user standing for the reseller, so the
database's ``balance >= 0`` check refuses any overdraft) and its mirror in the
RESELLER schema (system account ``float_at_parent``: an asset, so its postings
are exactly the negative of the parent's). Every movement posts one balanced
entry on each side inside ONE ``transaction.atomic``: ``schema_context`` only
changes the connection's search_path, so both schemas are written by the same
connection and commit (or roll back) together.

Entries (``+`` = the account gains):

* funding X   parent: gateway_clearing -X, reseller_float +X
              reseller: float_at_parent -X, float_funding +X
* sale draw D (D = the reseller's cost = the parent's price = provider cost c + operator margin m)
              reseller: provider_settlement -D, float_at_parent +D
              parent:   reseller_float -D, provider_settlement +c, revenue +m
* reversal of a draw: the same lines negated.

A sale moves the float in the SAME transaction as the sale itself (``tenant_apps.agents.sales``):

* accepted (inside the purchase transaction, after the buyer's hold):
              parent:   a ``Hold`` on the reseller_float wallet (reseller_float -D, holds +D; the
                        conditional UPDATE refuses an overdraft: 422 ``insufficient_float``)
              reseller: provider_settlement -D, float_at_parent +D   (``reseller_float_hold``)
* settled (inside the settlement transaction): the parent's hold is settled into
  provider_settlement +c, revenue +m (the reseller's own settlement credits its provider_settlement +D);
  a fail-over provider with another cost adjusts both sides by the difference;
* released (the sale failed): the parent's hold is released; reseller: provider_settlement +D,
  float_at_parent -D (``reseller_float_release``);
* reversed after settlement: a draw reversal (above).

So the reseller's provider_settlement always equals minus the parent's open float holds:
``reconcile_resellers`` checks exactly that.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from typing import NotRequired, TypedDict, Unpack

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext, gettext_lazy
from django_tenants.utils import schema_context

from shared_apps.core import rows
from shared_apps.core.errors import ApiError
from tenant_apps.ledger.errors import InsufficientFunds
from tenant_apps.ledger.models import Account, AccountKind, Hold, HoldStatus, JournalEntry, Posting
from tenant_apps.ledger.services import (
    Line,
    Split,
    WholeSettlement,
    place_hold,
    post_entry,
    release_hold,
    settle_hold,
    settle_holds_whole,
    system_account,
    wallet_for,
)
from tenant_apps.tax.entries import tax_entry_metadata
from tenants.connection import current_schema
from tenants.models import Tenant, TenantKind

from .models import ResellerFloat


class FloatEntry:
    FUND = "reseller_float_fund"
    DRAW = "reseller_float_draw"
    DRAW_REVERSAL = "reseller_float_draw_reversal"
    HOLD = "reseller_float_hold"  # reseller side of a sale's hold at acceptance
    RELEASE = "reseller_float_release"  # reseller side of a released hold (the sale failed)
    ADJUST = "reseller_float_adjust"  # reseller side: the settled cost was below the held one (fail-over)
    OWED = "reseller_float_owed"  # a late delivery the float could not cover: receivable/payable, for review
    OWED_REVERSAL = "reseller_float_owed_reversal"


class InsufficientFloat(ApiError):
    status_code = 422
    code = "insufficient_float"
    message = gettext_lazy("The reseller's float at its operator cannot cover this sale.")

    def __init__(self) -> None:
        super().__init__(fields={"amount": ["Insufficient float."]})


class NotAReseller(ApiError):
    code = "not_a_reseller"
    message = gettext_lazy("This tenant is not a reseller brand.")


def current_tenant() -> Tenant | None:
    tenant = getattr(connection, "tenant", None)
    # Routing middleware / tenant-schemas-celery already loaded it: no query.
    if isinstance(tenant, Tenant) and tenant.pk and tenant.schema_name == current_schema():
        return tenant
    return Tenant.objects.select_related("parent").filter(schema_name=current_schema()).first()


def serving_tenant() -> Tenant:
    """:func:`current_tenant` where a tenant schema is being served (a request, a tenant's task): its row."""
    tenant = current_tenant()
    if tenant is None:
        raise LookupError(f"no tenant row for schema {current_schema()!r}")
    return tenant


def _operator_income(reseller: Tenant, operator_margin_minor: int, currency: str) -> tuple[list[tuple[str, int]], dict]:
    """The operator's margin on a reseller's sale split into its revenue and the country's taxes on it (VAT and
    levies carved out, countries/tax.py, docs/tax.md), as ``[(account kind, amount)]``, and the entry metadata
    for the tax report (``tax_bases``). Deterministic: a reversal computes the same split to undo it."""
    from django.utils import timezone

    from countries.registry import get_adapter

    if operator_margin_minor <= 0 or not reseller.country:
        return [(AccountKind.REVENUE, operator_margin_minor)], {}
    split = get_adapter(reseller.country).sale_taxes(income_minor=operator_margin_minor, on=timezone.localdate())
    if split.added_minor:  # an exclusive tax would have to be in the reseller's price: keep the margin whole
        return [(AccountKind.REVENUE, operator_margin_minor)], {}
    parts = [(AccountKind.REVENUE, split.net_minor)] + [(tax.account_kind, tax.amount_minor) for tax in split.taxes]
    return parts, tax_entry_metadata(split.taxes)


def _parent_schema(reseller: Tenant) -> str:
    if reseller.kind != TenantKind.RESELLER_BRAND or reseller.parent is None:
        raise NotAReseller()
    return reseller.parent.schema_name


def float_gateway_schema() -> str:
    """The schema whose gateway clearing a reseller's float payments reach: its country operation's (where
    :func:`fund_float_from_gateway` debits it). Raises ``NotAReseller`` outside a reseller's schema."""
    reseller = current_tenant()
    if reseller is None:
        raise NotAReseller()
    return _parent_schema(reseller)


def open_float(*, reseller: Tenant) -> ResellerFloat:
    """Create (once) the reseller's account holder and float wallet in the parent schema."""
    with schema_context(_parent_schema(reseller)), transaction.atomic():
        existing = ResellerFloat.objects.select_related("account").filter(reseller_tenant_id=reseller.pk).first()
        if existing is not None:
            return existing
        holder = get_user_model().objects.create_user(
            email=f"float+{reseller.schema_name}@resellers.invalid", role="agent", is_active=False)
        account = wallet_for(user=holder, kind=AccountKind.RESELLER_FLOAT)
        return ResellerFloat.objects.create(reseller_tenant_id=reseller.pk, reseller_schema=reseller.schema_name,
                                            holder=holder, account=account)


def _float_row(reseller: Tenant) -> ResellerFloat:
    with schema_context(_parent_schema(reseller)):
        return _float_row_here(reseller)


def _float_row_here(reseller: Tenant) -> ResellerFloat:
    """:func:`_float_row` when the connection is in the parent's schema already (opened on first use)."""
    row = ResellerFloat.objects.select_related("account").filter(reseller_tenant_id=reseller.pk).first()
    return row if row is not None else open_float(reseller=reseller)


@dataclass(frozen=True)
class FloatMovement:
    reference: str
    amount_minor: int
    currency: str
    created_now: bool
    reseller_entry: JournalEntry | None = None


def fund_float(*, reseller: Tenant, amount_minor: int, reference: str,
               source_kind: str = AccountKind.GATEWAY_CLEARING, metadata: dict | None = None) -> FloatMovement:
    """The operator credits the reseller's float (bank transfer, cash or gateway): both schemas, one transaction."""
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise ApiError(gettext("The amount must be positive."), code="invalid_amount",
                       fields={"amount": [gettext("Must be positive.")]})
    row = _float_row(reseller)
    parent_schema = _parent_schema(reseller)
    with transaction.atomic():
        with schema_context(parent_schema):
            currency = row.account.currency
            parent_entry = post_entry(
                entry_type=FloatEntry.FUND, reference=reference,
                lines=[Line(system_account(kind=source_kind, currency=currency), -amount_minor),
                       Line(row.account, amount_minor)],
                metadata={"reseller": reseller.schema_name, **(metadata or {})})
        with schema_context(reseller.schema_name):
            reseller_entry = post_entry(
                entry_type=FloatEntry.FUND, reference=reference,
                lines=[Line(system_account(kind=AccountKind.FLOAT_AT_PARENT, currency=currency), -amount_minor),
                       Line(system_account(kind=AccountKind.FLOAT_FUNDING, currency=currency), amount_minor)],
                metadata={"parent": parent_schema, **(metadata or {})})
    return FloatMovement(reference, amount_minor, currency, parent_entry.created_now, reseller_entry)


def fund_float_from_gateway(*, intent) -> JournalEntry:
    """A verified gateway payment for a reseller-float funding intent (``tenant_apps.wallet.funding``, which
    holds the intent's row lock): credit the float on both schemas in the caller's transaction, once (ledger
    reference ``<gateway>:<intent reference>`` on each side). Returns the reseller-side entry (the intent's
    ``credit_entry``)."""
    reseller = current_tenant()
    if reseller is None:
        raise NotAReseller()
    movement = fund_float(reseller=reseller, amount_minor=intent.amount_minor, reference=intent.ledger_reference,
                          source_kind=AccountKind.GATEWAY_CLEARING,
                          metadata={"intent": str(intent.public_id), "gateway": intent.gateway,
                                    "provider_transaction_id": intent.provider_transaction_id})
    assert movement.reseller_entry is not None  # fund_float posts both sides
    return movement.reseller_entry


def draw_float(*, reseller: Tenant, order_ref: str, provider_cost_minor: int, operator_margin_minor: int,
               currency: str, reverse: bool = False) -> FloatMovement:
    """A reseller sale (or its reversal) moves the reseller's cost between the two schemas, once per order.

    Raises ``insufficient_funds`` (nothing written on either side) when the float cannot cover it.
    """
    amount = provider_cost_minor + operator_margin_minor
    sign = -1 if reverse else 1
    entry_type = FloatEntry.DRAW_REVERSAL if reverse else FloatEntry.DRAW
    row = _float_row(reseller)
    parent_schema = _parent_schema(reseller)
    created = False
    if amount == 0:
        return FloatMovement(order_ref, 0, currency, False)
    with transaction.atomic():
        with schema_context(reseller.schema_name):
            reseller_lines = [Line(system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency=currency),
                                   -sign * amount),
                              Line(system_account(kind=AccountKind.FLOAT_AT_PARENT, currency=currency), sign * amount)]
            entry = post_entry(entry_type=entry_type, reference=order_ref, lines=reseller_lines,
                               metadata={"parent": parent_schema})
            created = entry.created_now
        with schema_context(parent_schema):
            parent_lines = [Line(row.account, -sign * amount),
                            Line(system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency=currency),
                                 sign * provider_cost_minor)]
            income, taxed = _operator_income(reseller, operator_margin_minor, currency)
            parent_lines += [Line(system_account(kind=kind, currency=currency), sign * part) for kind, part in income
                             if part]
            post_entry(entry_type=entry_type, reference=f"{reseller.schema_name}:{order_ref}",
                       lines=[line for line in parent_lines if line.amount],
                       metadata={"reseller": reseller.schema_name, "order": order_ref, **taxed})
    return FloatMovement(order_ref, amount, currency, created)


def _owed(*, reseller: Tenant, order_ref: str, provider_cost_minor: int, operator_margin_minor: int,
          currency: str, reverse: bool = False) -> None:
    """A delivery the float cannot cover (a late success after a refund): the provider was paid, so book it as
    a receivable at the parent (suspense) and a payable at the reseller (suspense); ``reconcile_resellers``
    lists it until the operator collects."""
    amount, sign = provider_cost_minor + operator_margin_minor, (-1 if reverse else 1)
    entry_type = FloatEntry.OWED_REVERSAL if reverse else FloatEntry.OWED
    parent_schema = _parent_schema(reseller)
    with transaction.atomic():
        with schema_context(reseller.schema_name):
            post_entry(entry_type=entry_type, reference=order_ref, metadata={"parent": parent_schema},
                       lines=[Line(system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency=currency),
                                   -sign * amount),
                              Line(system_account(kind=AccountKind.SUSPENSE, currency=currency), sign * amount)])
        with schema_context(parent_schema):
            income, taxed = _operator_income(reseller, operator_margin_minor, currency)
            lines = [Line(system_account(kind=AccountKind.SUSPENSE, currency=currency), -sign * amount),
                     Line(system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency=currency),
                          sign * provider_cost_minor)]
            lines += [Line(system_account(kind=kind, currency=currency), sign * part) for kind, part in income]
            post_entry(entry_type=entry_type, reference=f"{reseller.schema_name}:{order_ref}",
                       lines=[line for line in lines if line.amount],
                       metadata={"reseller": reseller.schema_name, "order": order_ref, **taxed})


def _has_entry(schema: str, entry_type: str, reference: str) -> bool:
    with schema_context(schema):
        return JournalEntry.objects.filter(entry_type=entry_type, reference=reference).exists()


def hold_reference(reseller: Tenant, order_ref: str) -> str:
    return f"float:{reseller.schema_name}:{order_ref}"


def _parent_hold(reseller: Tenant, order_ref: str, *, lock: bool = False) -> Hold | None:
    with schema_context(_parent_schema(reseller)):
        holds = Hold.objects.select_for_update() if lock else Hold.objects  # lock: hold
        return holds.select_related("wallet").filter(reference=hold_reference(reseller, order_ref)).first()


def hold_float(*, reseller: Tenant, order_ref: str, amount_minor: int, currency: str,
               savepoint: bool = True) -> Hold | None:
    """A sale is accepted: hold its cost on the parent's float wallet, mirrored in the reseller, in the caller's
    transaction (the purchase's). Raises 422 ``insufficient_float`` (nothing written) when the float is short:
    the parent wallet's conditional UPDATE serialises concurrent sales, so the float is never overdrawn.

    ``savepoint=False``: the caller rolls its whole transaction back on any error (the purchase's acceptance):
    no SAVEPOINT / RELEASE round trips; a refusal then leaves the caller's transaction to roll back."""
    if amount_minor <= 0:
        return None
    parent_schema = _parent_schema(reseller)
    # ONE savepoint (a refused float leaves the caller's transaction usable) for the hold and its mirror, and
    # the parent's rows read and written in one visit of its schema (each schema change is a SET search_path).
    with transaction.atomic(savepoint=savepoint):
        with schema_context(parent_schema):
            accounts = _hold_accounts(reseller, currency)
            try:
                hold = place_hold(wallet=accounts.wallet, amount=amount_minor, holds=accounts.holds,
                                  reference=hold_reference(reseller, order_ref),
                                  metadata={"reseller": reseller.schema_name, "order": order_ref}, savepoint=False)
            except InsufficientFunds:
                raise InsufficientFloat() from None
        # The sale's schema is the reseller's (its purchase transaction): no second visit to it then.
        with nullcontext() if current_schema() == reseller.schema_name else schema_context(reseller.schema_name):
            settlement = accounts.provider_settlement or system_account(kind=AccountKind.PROVIDER_SETTLEMENT,
                                                                         currency=currency)
            at_parent = accounts.float_at_parent or system_account(kind=AccountKind.FLOAT_AT_PARENT,
                                                                   currency=currency)
            post_entry(entry_type=FloatEntry.HOLD, reference=order_ref, metadata={"parent": parent_schema},
                       lines=[Line(settlement, -amount_minor), Line(at_parent, amount_minor)], savepoint=False)
    return hold


@dataclass(frozen=True)
class _HoldAccounts:
    """The accounts a sale's float hold writes: the float wallet and the holds account at the parent, the
    reseller's provider_settlement and float_at_parent (None: not made yet, :func:`system_account` makes it)."""

    wallet: Account
    holds: Account | None
    provider_settlement: Account | None
    float_at_parent: Account | None


def _hold_accounts(reseller: Tenant, currency: str) -> _HoldAccounts:
    """:func:`hold_float`'s accounts in ONE read, the connection in the parent's schema: the float's row and wallet
    (as ``_float_row_here``), the parent's holds account (as ``place_hold`` looks it up) and the reseller's two
    mirror accounts (its schema named in the statement: no visit). Read every sale, never cached: the rows of
    this transaction. A float not opened yet goes the long way (``open_float``)."""
    quote = connection.ops.quote_name
    table = quote(Account._meta.db_table)
    reseller_accounts = f"{quote(reseller.schema_name)}.{table}"
    columns = ", ".join(rows.columns(Account, alias) for alias in ("w", "h", "s", "m"))
    system = "{alias}.kind = %s AND {alias}.currency = {currency} AND {alias}.owner_id IS NULL AND {alias}.holder = ''"
    sql = (f"SELECT {columns} FROM {quote(ResellerFloat._meta.db_table)} f "  # noqa: S608 (identifiers quoted)
           f"JOIN {table} w ON w.id = f.account_id "
           f"LEFT JOIN {table} h ON {system.format(alias='h', currency='w.currency')} "
           f"LEFT JOIN {reseller_accounts} s ON {system.format(alias='s', currency='%s')} "
           f"LEFT JOIN {reseller_accounts} m ON {system.format(alias='m', currency='%s')} "
           "WHERE f.reseller_tenant_id = %s ORDER BY f.id LIMIT 1")
    with connection.cursor() as cursor:
        cursor.execute(sql, [AccountKind.HOLDS, AccountKind.PROVIDER_SETTLEMENT, currency, AccountKind.FLOAT_AT_PARENT,
                             currency, reseller.pk])
        row = cursor.fetchone()
    if row is None:
        return _HoldAccounts(_float_row_here(reseller).account, None, None, None)
    width = rows.width(Account)
    parts = [row[index:index + width] for index in range(0, len(row), width)]
    # A left join's miss is a row of NULLs (the id first): not made yet.
    wallet, holds, settlement, at_parent = (rows.instances(Account, [part])[0] if part[0] is not None else None
                                            for part in parts)
    assert wallet is not None  # an inner join
    return _HoldAccounts(wallet, holds, settlement, at_parent)


def _reseller_give_back(reseller: Tenant, order_ref: str, entry_type: str, amount: int, currency: str) -> None:
    """Reseller side of float coming back from a hold: provider_settlement +amount, float_at_parent -amount."""
    if not amount:
        return
    with schema_context(reseller.schema_name):
        post_entry(entry_type=entry_type, reference=order_ref, metadata={"parent": _parent_schema(reseller)},
                   lines=[Line(system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency=currency), amount),
                          Line(system_account(kind=AccountKind.FLOAT_AT_PARENT, currency=currency), -amount)])


@dataclass(frozen=True)
class FloatDraw:
    """A reseller sale's cost at settlement, as :func:`settle_float` receives it."""

    order_ref: str
    provider_cost_minor: int
    operator_margin_minor: int
    currency: str


# The sales' float holds at the parent, locked in ascending id (the settlement's hold rank, after the buyers' holds).
_LOCK_FLOAT_HOLDS = ("SELECT id, amount, currency, status, reference FROM ledger_hold "
                     "WHERE reference = ANY(%s) ORDER BY id FOR UPDATE")  # lock: hold


def float_holds_settleable(*, reseller: Tenant, draws: list[FloatDraw]) -> dict[str, WholeSettlement]:
    """The float holds of ``draws`` that the set-based settlement may settle whole, by order reference, locked
    (row locks in the parent schema, in the caller's transaction): :func:`settle_float`'s common case, a
    placed hold whose amount is exactly the settled cost (provider cost + operator margin, neither negative), so
    nothing goes back to the float and the reseller's side has nothing to mirror. Every other shape (no hold, a
    released or settled one, a fail-over's other cost) is left to :func:`settle_float`."""
    if not draws:
        return {}
    parent_schema = _parent_schema(reseller)
    by_reference = {hold_reference(reseller, draw.order_ref): draw for draw in draws}
    settleable: dict[str, WholeSettlement] = {}
    with schema_context(parent_schema):
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_FLOAT_HOLDS, [sorted(by_reference)])
            rows = cursor.fetchall()
        accounts: dict[tuple[str, str], int] = {}
        for hold_id, amount, currency, status, reference in rows:
            draw = by_reference[reference]
            cost, margin = draw.provider_cost_minor, draw.operator_margin_minor
            if status != HoldStatus.PLACED or currency != draw.currency or cost < 0 or margin < 0 \
                    or cost + margin != amount or amount <= 0:
                continue
            income, taxed = _operator_income(reseller, margin, currency)
            splits = [(AccountKind.PROVIDER_SETTLEMENT, cost), *income]
            if any(part < 0 for _kind, part in splits):
                continue
            for kind, _part in splits:
                if (kind, currency) not in accounts:
                    accounts[kind, currency] = system_account(kind=kind, currency=currency).pk
            settleable[draw.order_ref] = WholeSettlement(
                hold_id=hold_id, reference=reference, amount=amount, currency=currency,
                splits=[(accounts[kind, currency], part) for kind, part in splits],
                metadata={"reseller": reseller.schema_name, "order": draw.order_ref, **taxed})
    return settleable


def settle_floats_whole(*, reseller: Tenant, settlements: list[WholeSettlement], now) -> int:
    """:func:`settle_float` for the holds :func:`float_holds_settleable` found (still locked, in the same
    transaction): one statement at the parent for all of them. Returns the holds settled (fewer: roll back)."""
    if not settlements:
        return 0
    with schema_context(_parent_schema(reseller)):
        return settle_holds_whole(settlements=settlements, now=now)


def release_float(*, reseller: Tenant, order_ref: str) -> bool:
    """The sale failed: the held cost goes back to the float, both sides, in the caller's transaction. Once."""
    with transaction.atomic():
        hold = _parent_hold(reseller, order_ref, lock=True)
        if hold is None or hold.status != HoldStatus.PLACED:
            return False
        with schema_context(_parent_schema(reseller)):
            release_hold(hold=hold, metadata={"reseller": reseller.schema_name, "order": order_ref})
        _reseller_give_back(reseller, order_ref, FloatEntry.RELEASE, hold.amount, hold.currency)
    return True


def settle_float(*, reseller: Tenant, order_ref: str, provider_cost_minor: int, operator_margin_minor: int,
                 currency: str) -> None:
    """The sale was delivered: its float hold becomes the draw (parent: provider settlement + operator margin),
    in the caller's transaction (the settlement's). Once per order.

    The settled cost may differ from the held one (a fail-over provider): less comes back to the float; more is
    drawn on top (or, when the float cannot cover it, booked as owed). No hold (a late success after the refund
    released it): a plain draw, or owed when the float is short."""
    amount = provider_cost_minor + operator_margin_minor
    parent_schema = _parent_schema(reseller)
    with transaction.atomic():
        hold = _parent_hold(reseller, order_ref, lock=True)
        if hold is not None and hold.status == HoldStatus.SETTLED:
            return
        if hold is None or hold.status == HoldStatus.RELEASED:
            if _has_entry(reseller.schema_name, FloatEntry.DRAW, order_ref) \
                    or _has_entry(reseller.schema_name, FloatEntry.OWED, order_ref):
                return
            _draw_or_owe(reseller=reseller, order_ref=order_ref, provider_cost_minor=provider_cost_minor,
                         operator_margin_minor=operator_margin_minor, currency=currency)
            return
        with schema_context(parent_schema):
            if provider_cost_minor >= 0 and operator_margin_minor >= 0 and amount <= hold.amount:
                income, taxed = _operator_income(reseller, operator_margin_minor, currency)
                settle_hold(hold=hold, splits=[
                    Split(system_account(kind=AccountKind.PROVIDER_SETTLEMENT, currency=currency), provider_cost_minor),
                    *[Split(system_account(kind=kind, currency=currency), part) for kind, part in income]],
                    metadata={"reseller": reseller.schema_name, "order": order_ref, **taxed})
                # What was held beyond the settled cost went back to the float wallet: mirror it.
                _reseller_give_back(reseller, order_ref, FloatEntry.ADJUST, hold.amount - amount, currency)
                return
            # Unusual shapes (cost above the hold, a negative margin): give the hold back and draw, same transaction.
            release_hold(hold=hold, metadata={"reseller": reseller.schema_name, "order": order_ref})
        _reseller_give_back(reseller, order_ref, FloatEntry.RELEASE, hold.amount, currency)
        _draw_or_owe(reseller=reseller, order_ref=order_ref, provider_cost_minor=provider_cost_minor,
                     operator_margin_minor=operator_margin_minor, currency=currency)


class _DrawArgs(TypedDict):
    """``draw_float``'s (and ``_owed``'s) keyword arguments."""

    reseller: Tenant
    order_ref: str
    provider_cost_minor: int
    operator_margin_minor: int
    currency: str
    reverse: NotRequired[bool]


def _draw_or_owe(**kwargs: Unpack[_DrawArgs]) -> None:
    try:
        with transaction.atomic():
            draw_float(**kwargs)
    except InsufficientFunds:
        _owed(**kwargs)


def reverse_float(*, reseller: Tenant, order_ref: str, provider_cost_minor: int, operator_margin_minor: int,
                  currency: str) -> None:
    """A delivered sale was reversed by the provider: its draw (or what was owed) comes back. Once."""
    kwargs = _DrawArgs(reseller=reseller, order_ref=order_ref, provider_cost_minor=provider_cost_minor,
                       operator_margin_minor=operator_margin_minor, currency=currency, reverse=True)
    if _has_entry(reseller.schema_name, FloatEntry.OWED, order_ref):
        _owed(**kwargs)
        return
    hold = _parent_hold(reseller, order_ref)
    if hold is not None and hold.status == HoldStatus.PLACED:  # never settled: nothing was drawn
        release_float(reseller=reseller, order_ref=order_ref)
        return
    draw_float(**kwargs)


def check_float(*, reseller: Tenant, amount_minor: int) -> None:
    """For the purchase path before calling the provider: 422 ``insufficient_float`` when the float is short."""
    if float_parent_balance(reseller=reseller) < amount_minor:
        raise InsufficientFloat()


@dataclass(frozen=True)
class FloatBalances:
    reseller_schema: str
    currency: str
    parent_balance: int  # the reseller_float wallet in the parent schema
    mirror_balance: int  # minus the postings of float_at_parent in the reseller schema

    @property
    def agrees(self) -> bool:
        return self.parent_balance == self.mirror_balance


def _postings_sum(kind: str, currency: str) -> int:
    account = Account.objects.filter(kind=kind, currency=currency, owner__isnull=True).first()
    if account is None:
        return 0
    return Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0


def float_parent_balance(*, reseller: Tenant) -> int:
    """The float wallet's cached balance at the parent: one row read (0 for a float never opened).

    What a sale's pre-check needs. ``float_balances`` also sums the reseller's mirror postings, a read that grows
    with the reseller's history: fine on a dashboard, not on every purchase."""
    quote = connection.ops.quote_name
    parent = quote(_parent_schema(reseller))
    # The parent's tables named with their schema: no visit (two SET search_path and django-tenants' Python).
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a.balance FROM {parent}.{quote(ResellerFloat._meta.db_table)} f "  # noqa: S608
                       f"JOIN {parent}.{quote(Account._meta.db_table)} a ON a.id = f.account_id "
                       "WHERE f.reseller_tenant_id = %s ORDER BY f.id LIMIT 1", [reseller.pk])
        row = cursor.fetchone()
    return (row[0] if row is not None else None) or 0


def float_balances(*, reseller: Tenant) -> FloatBalances:
    """Read both sides; a float never opened reads as zero (a read never creates rows)."""
    with schema_context(_parent_schema(reseller)):
        row = ResellerFloat.objects.select_related("account").filter(reseller_tenant_id=reseller.pk).first()
    if row is None:
        from countries.registry import get_adapter

        return FloatBalances(reseller.schema_name, str(get_adapter(reseller.country).currency), 0, 0)
    with schema_context(_parent_schema(reseller)):
        parent_balance = Account.objects.values_list("balance", flat=True).get(pk=row.account_id)
    assert parent_balance is not None  # the float is a wallet: it has a cached balance
    with schema_context(reseller.schema_name):
        mirror = -_postings_sum(AccountKind.FLOAT_AT_PARENT, row.account.currency)
    return FloatBalances(reseller.schema_name, row.account.currency, parent_balance, mirror)


def reconcile_reseller_floats() -> list[dict]:
    """Every reseller: the parent's float wallet (cached balance and postings) against the reseller's mirror."""
    problems = []
    for reseller in Tenant.objects.select_related("parent").filter(kind=TenantKind.RESELLER_BRAND):
        with schema_context(reseller.parent.schema_name):
            row = ResellerFloat.objects.select_related("account").filter(reseller_tenant_id=reseller.pk).first()
        if row is None:  # never funded: nothing to compare (a report never creates accounts)
            continue
        with schema_context(reseller.parent.schema_name):
            cached = Account.objects.values_list("balance", flat=True).get(pk=row.account_id)
            postings = Posting.objects.filter(account_id=row.account_id).aggregate(t=Sum("amount"))["t"] or 0
        with schema_context(reseller.schema_name):
            mirror = -_postings_sum(AccountKind.FLOAT_AT_PARENT, row.account.currency)
        if not (cached == postings == mirror):
            problems.append({"reseller": reseller.schema_name, "parent_cached": cached, "parent_postings": postings,
                             "reseller_mirror": mirror})
        with schema_context(reseller.schema_name):
            settlement = _postings_sum(AccountKind.PROVIDER_SETTLEMENT, row.account.currency)
            owed = list(JournalEntry.objects.filter(entry_type=FloatEntry.OWED)
                        .exclude(reference__in=JournalEntry.objects.filter(entry_type=FloatEntry.OWED_REVERSAL)
                                 .values("reference")).values_list("reference", flat=True))
        with schema_context(reseller.parent.schema_name):
            held = Hold.objects.filter(wallet_id=row.account_id, status=HoldStatus.PLACED) \
                .aggregate(t=Sum("amount"))["t"] or 0
        # Each open sale has -D in the reseller's provider_settlement and a D hold at the parent; a settled sale
        # nets to zero on the reseller side. Anything else: a sale settled without its float draw (or the reverse).
        if settlement + held:
            problems.append({"reseller": reseller.schema_name, "undrawn_provider_settlement": settlement + held,
                             "open_float_holds": held})
        if owed:  # deliveries the float could not cover: the operator must collect them
            problems.append({"reseller": reseller.schema_name, "owed_to_parent": owed})
    return problems


def new_reference() -> str:
    return uuid.uuid4().hex


__all__ = [
    "FloatBalances",
    "FloatEntry",
    "FloatMovement",
    "InsufficientFloat",
    "check_float",
    "current_tenant",
    "draw_float",
    "float_balances",
    "float_parent_balance",
    "fund_float",
    "hold_float",
    "new_reference",
    "open_float",
    "reconcile_reseller_floats",
    "release_float",
    "reverse_float",
    "settle_float",
]
