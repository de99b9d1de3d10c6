"""Helpers: a sale through the purchase path's settlement shape, and ledger checks."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

from django.db import transaction
from django.db.models import Sum

from tenant_apps.agents import sales
from tenant_apps.agents.sales import Sale
from tenant_apps.ledger.models import Account, Posting
from tenant_apps.ledger.services import (
    Line,
    Split,
    place_hold,
    post_entry,
    release_hold,
    settle_hold,
    system_account,
    wallet_for,
)
from tenant_apps.pricing.quotes import quote_price
from tenant_apps.wallet.selectors import ledger_discrepancies
from tenants.connection import current_schema


def token_from(text: str) -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)


def sell(*, product, buyer, amount_minor=None, settle: bool = True, hooks: bool = True):
    """What the purchase path does, each step in one transaction with its tenant_apps.agents.sales hook:
    accept (buyer's hold + ``sale_accepted``), then settle (cost to provider settlement, each line to its
    account + ``sale_settled``). ``hooks=False`` leaves the hooks out (a sale settled without its float draw).

    Returns an order-like object carrying the stored breakdown, as tenant_apps.orders stores it, and the
    :class:`~tenant_apps.agents.sales.Sale` the hooks receive.
    """
    quote = quote_price(product=product, amount_minor=amount_minor, buyer=buyer)
    reference = uuid.uuid4()
    order = SimpleNamespace(public_id=reference, price_breakdown=quote.breakdown(), buyer=buyer, quote=quote,
                            hold=None)
    order.sale = Sale(reference=str(reference), quote=order.price_breakdown, seller=buyer)
    with transaction.atomic():
        order.hold = place_hold(wallet=wallet_for(user=buyer), amount=quote.price_minor,
                                reference=f"order:{reference}")
        if hooks:
            sales.sale_accepted(sale=order.sale)
    if settle:
        settle_sale(order, hooks=hooks)
    return order


def settle_sale(order, *, hooks: bool = True):
    quote = order.quote
    splits = [Split(system_account(kind="provider_settlement", currency=quote.currency), quote.cost_minor)]
    splits += [Split(system_account(kind=line.account_kind, currency=quote.currency), line.amount_minor)
               for line in quote.lines]
    with transaction.atomic():
        settle_hold(hold=order.hold, splits=splits)
        if hooks:
            sales.sale_settled(sale=order.sale)


def fail(order):
    """The purchase path's failure: the buyer's hold back, with ``sale_released``."""
    with transaction.atomic():
        release_hold(hold=order.hold)
        sales.sale_released(sale=order.sale)


def refund(order):
    """The purchase path's reversal: every settlement line back to the buyer's wallet, with ``sale_reversed``."""
    quote = order.quote
    lines = [Line(system_account(kind="provider_settlement", currency=quote.currency), -quote.cost_minor)]
    lines += [Line(system_account(kind=line.account_kind, currency=quote.currency), -line.amount_minor)
              for line in quote.lines]
    lines.append(Line(wallet_for(user=order.buyer), quote.price_minor))
    with transaction.atomic():
        post_entry(entry_type="order_reversal", reference=f"order:{order.public_id}", lines=lines)
        sales.sale_reversed(sale=order.sale)


# Committed tests elsewhere (the agent-sale browser journey) leave real sales in the shared tenants'
# books; totals here are measured from the start of each test (tests/agents/conftest.py snapshots them).
SYSTEM_BASELINE: dict[tuple[str, str, str], int] = {}


def _raw_system_total(kind: str, currency: str) -> int:
    account = Account.objects.filter(kind=kind, currency=currency, owner__isnull=True).first()
    if account is None:
        return 0
    return Posting.objects.filter(account=account).aggregate(t=Sum("amount"))["t"] or 0


def snapshot_system_totals(schemas: tuple[str, ...] = ("quickvend", "ng")) -> None:
    from django_tenants.utils import schema_context

    SYSTEM_BASELINE.clear()
    for schema in schemas:
        with schema_context(schema):
            for kind, currency in Account.objects.filter(owner__isnull=True).values_list("kind", "currency"):
                SYSTEM_BASELINE[(schema, kind, currency)] = _raw_system_total(kind, currency)


def system_total(kind: str, currency: str = "NGN") -> int:
    """A system account's total since the test began (in the current schema)."""

    return _raw_system_total(kind, currency) - SYSTEM_BASELINE.get((current_schema(), kind, currency), 0)


def balance(user) -> int:
    return Account.objects.get(pk=wallet_for(user=user).pk).wallet_balance


def assert_ledger_balanced() -> None:
    assert ledger_discrepancies() == []
    per_currency = Posting.objects.values("currency").annotate(t=Sum("amount"))
    assert all(row["t"] == 0 for row in per_currency), list(per_currency)
