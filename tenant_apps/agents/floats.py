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
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Sum
from django_tenants.utils import schema_context

from shared_apps.core.errors import ApiError
from tenant_apps.ledger.models import Account, AccountKind, Posting
from tenant_apps.ledger.services import Line, post_entry, system_account, wallet_for
from tenants.models import Tenant, TenantKind

from .models import ResellerFloat


class FloatEntry:
    FUND = "reseller_float_fund"
    DRAW = "reseller_float_draw"
    DRAW_REVERSAL = "reseller_float_draw_reversal"


class NotAReseller(ApiError):
    code = "not_a_reseller"
    message = "This tenant is not a reseller brand."


def current_tenant() -> Tenant | None:
    tenant = getattr(connection, "tenant", None)
    # Routing middleware / tenant-schemas-celery already loaded it: no query.
    if isinstance(tenant, Tenant) and tenant.pk and tenant.schema_name == connection.schema_name:
        return tenant
    return Tenant.objects.select_related("parent").filter(schema_name=connection.schema_name).first()


def _parent_schema(reseller: Tenant) -> str:
    if reseller.kind != TenantKind.RESELLER_BRAND or reseller.parent is None:
        raise NotAReseller()
    return reseller.parent.schema_name


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
        row = ResellerFloat.objects.select_related("account").filter(reseller_tenant_id=reseller.pk).first()
    return row if row is not None else open_float(reseller=reseller)


@dataclass(frozen=True)
class FloatMovement:
    reference: str
    amount_minor: int
    currency: str
    created_now: bool


def fund_float(*, reseller: Tenant, amount_minor: int, reference: str,
               source_kind: str = AccountKind.GATEWAY_CLEARING) -> FloatMovement:
    """The operator credits the reseller's float (bank transfer, cash or gateway): both schemas, one transaction."""
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise ApiError("The amount must be positive.", code="invalid_amount", fields={"amount": ["Must be positive."]})
    row = _float_row(reseller)
    parent_schema = _parent_schema(reseller)
    with transaction.atomic():
        with schema_context(parent_schema):
            currency = row.account.currency
            parent_entry = post_entry(
                entry_type=FloatEntry.FUND, reference=reference,
                lines=[Line(system_account(kind=source_kind, currency=currency), -amount_minor),
                       Line(row.account, amount_minor)],
                metadata={"reseller": reseller.schema_name})
        with schema_context(reseller.schema_name):
            post_entry(entry_type=FloatEntry.FUND, reference=reference,
                       lines=[Line(system_account(kind=AccountKind.FLOAT_AT_PARENT, currency=currency), -amount_minor),
                              Line(system_account(kind=AccountKind.FLOAT_FUNDING, currency=currency), amount_minor)],
                       metadata={"parent": parent_schema})
    return FloatMovement(reference, amount_minor, currency, parent_entry.created_now)


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
            if operator_margin_minor:
                parent_lines.append(Line(system_account(kind=AccountKind.REVENUE, currency=currency),
                                         sign * operator_margin_minor))
            post_entry(entry_type=entry_type, reference=f"{reseller.schema_name}:{order_ref}",
                       lines=[line for line in parent_lines if line.amount],
                       metadata={"reseller": reseller.schema_name, "order": order_ref})
    return FloatMovement(order_ref, amount, currency, created)


def check_float(*, reseller: Tenant, amount_minor: int) -> None:
    """For the purchase path before calling the provider: 422 ``insufficient_float`` when the float is short."""
    balance = float_balances(reseller=reseller).parent_balance
    if balance < amount_minor:
        raise ApiError("The reseller's float at its operator cannot cover this sale.", code="insufficient_float",
                       status_code=422, fields={"amount": ["Insufficient float."]})


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


def float_balances(*, reseller: Tenant) -> FloatBalances:
    """Read both sides; a float never opened reads as zero (a read never creates rows)."""
    with schema_context(_parent_schema(reseller)):
        row = ResellerFloat.objects.select_related("account").filter(reseller_tenant_id=reseller.pk).first()
    if row is None:
        from countries.registry import get_adapter

        return FloatBalances(reseller.schema_name, str(get_adapter(reseller.country).currency), 0, 0)
    with schema_context(_parent_schema(reseller)):
        parent_balance = Account.objects.values_list("balance", flat=True).get(pk=row.account_id)
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
            undrawn = _postings_sum(AccountKind.PROVIDER_SETTLEMENT, row.account.currency)
        if undrawn:  # settled sales whose cost was never drawn from the float (a receiver failed)
            problems.append({"reseller": reseller.schema_name, "undrawn_provider_settlement": undrawn})
    return problems


def new_reference() -> str:
    return uuid.uuid4().hex


__all__ = ["FloatBalances", "FloatEntry", "FloatMovement", "check_float", "current_tenant", "draw_float",
           "float_balances", "fund_float", "new_reference", "open_float", "reconcile_reseller_floats"]
