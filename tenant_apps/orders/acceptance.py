"""The purchase accepted in ONE server-side call: ``purchase_accept`` (migration 0005; issue 18).

``purchase_create`` validates and prices in Python (the product and pricing memos: no statement), builds the
order in memory, then hands everything that needs a lock or a row to :func:`accept`:

* **one call** (the common case: a customer, no risk rule that applies to this purchase, not a reseller
  brand): ``purchase_accept(stage all)`` does the Idempotency-Key (when the API passes ``once``: lock, replay,
  422), the dedupe key, the buyer's lock and check, the duplicate guard, the KYC limits and spend row, the
  risk decision's record, the wallet's conditional debit into the hold with its postings, the order with its
  transitions and outbox row, and the key row with the answer rendered beforehand. Outside a transaction (the
  API) that is the whole acceptance in one round trip; inside one (pages, USSD, subscriptions, bulk) it is
  one statement of the caller's transaction.
* **two stages** when Python must judge in the middle (a tenant risk rule applies: the rule engine, step-up,
  review holds): ``stage screen`` (key, dedupe, buyer, duplicate, KYC), then
  ``risk.gate.screen`` without its KYC step, then ``stage hold`` (debit, hold, order), then the reseller hooks,
  in one transaction. Same rules, same functions.
* **one call, then the hooks** (an agent's sale, a reseller brand's customer, no rule applies):
  ``purchase_accept(stage all)`` then the agent's velocity count and the float hold at the parent
  (``agents.sales.sale_accepted``), in one transaction: the same rows as the two stages
  (``tests/agents/test_float_in_the_sale.py``), three statements fewer; a
  refused hook (429 ``agent_velocity_exceeded``, 422 ``insufficient_float``) rolls the call back, its
  Idempotency-Key answer with it.

Refusals come back as ``NX001`` errors (``shared_apps.core.db_refusals``) and leave as the same ApiErrors as
ever: 422 ``insufficient_funds``, 409 ``duplicate_purchase``, 403 ``kyc_limit_exceeded``, 409
``idempotency_in_flight``, 422 ``idempotency_key_reused``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils.translation import gettext

from shared_apps.core.db_refusals import json_value, refusals
from shared_apps.core.errors import Forbidden
from tenant_apps.idempotency.services import IDEMPOTENCY_REFUSALS, OneCall, StoredResponse
from tenant_apps.idempotency.services import complete as idempotency_complete
from tenant_apps.kyc.selectors import today_start
from tenant_apps.kyc.services import kyc_refusals, kyc_rules_json
from tenant_apps.ledger.guards import debit_check
from tenant_apps.ledger.models import Account, AccountKind, Hold, HoldStatus
from tenant_apps.ledger.services import LEDGER_REFUSALS, count_hold_postings
from tenant_apps.risk import gate
from tenant_apps.risk.gate import MoneyMove

from . import errors
from .models import Order, OrderStatus

# Every refusal the function can raise, in the owning app's words.
REFUSALS = {
    **IDEMPOTENCY_REFUSALS, **LEDGER_REFUSALS,
    "duplicate_purchase": lambda refusal: errors.DuplicatePurchase(),
    "account_inactive": lambda refusal: Forbidden(gettext("This account is not active."), code="account_inactive"),
}


@dataclass
class Accepted:
    """What :func:`accept` did: the order (None: ``once`` was replayed), whether a risk rule held it."""

    order: Order | None
    held_for_review: bool = False
    existed: bool = False  # the dedupe key's order, made before


def call(payload: dict[str, Any], *, adapter: Any = None) -> dict[str, Any]:
    """``SELECT purchase_accept(payload)``: one statement (the caller's transaction, or its own).

    ``adapter``: the tenant's country (read before: a refused call leaves no transaction to query in)."""
    with refusals({**REFUSALS, **kyc_refusals(adapter or _adapter())}), connection.cursor() as cursor:
        cursor.execute("SELECT purchase_accept(%s::jsonb)", [json.dumps(payload, cls=DjangoJSONEncoder)])
        return json_value(cursor.fetchone()[0])


def needs_python(*, user: Any, quote: Any, move: MoneyMove) -> bool:
    """Whether this purchase needs Python between the screen and the hold (two stages instead of one call): a
    tenant risk rule that applies to it (the rule engine, step-up, review holds).

    Neither an agent's sale nor a reseller brand's needs it alone: the velocity count and the float hold run
    after the hold (``hooks``), and :func:`needs_hooks` runs the one call and the hooks in one transaction."""
    return gate.rules_apply(move)


def needs_hooks(*, user: Any, quote: Any) -> bool:
    """Whether the reseller/agent hooks move anything for this purchase (an agent's velocity, a reseller brand's
    float): then they run after the hold, in the acceptance's transaction, whichever way it is accepted."""
    return getattr(user, "role", "") == "agent" or quote.tenant_kind == "reseller_brand"


def _order_json(order: Order) -> dict[str, Any]:
    return {
        "public_id": str(order.public_id), "product_id": order.product_id, "product_type": order.product_type,
        "product_name": order.product_name, "operator": order.operator, "recipient_phone": order.recipient_phone,
        "customer_number": order.customer_number, "customer_name": order.customer_name, "currency": order.currency,
        "face_value_minor": order.face_value_minor, "price_minor": order.price_minor, "quote": order.quote,
        "receipt_details": order.receipt_details, "tax_lines": order.tax_lines,
        "subscription_id": order.subscription_id, "needs_review": order.needs_review,
    }


def _vet_debit(user: Any, wallet_kind: str, order: Order) -> None:
    """The guarded block's check of the wallet debit (the transaction PIN), before anything is sent."""
    check = debit_check()
    if check is not None:
        check(Account(owner_id=user.pk, kind=wallet_kind, currency=order.currency), order.price_minor)


def accept(*, user: Any, order: Order, move: MoneyMove, python: bool, holds: Account, source: str,
           confirm_duplicate: bool, dedupe_key: str | None, now: datetime, once: OneCall | None = None,
           render: Callable[[Order], StoredResponse] | None = None, hooks: Callable[[Order], None] | None = None,
           ) -> Accepted:
    """Accept ``order`` (built in memory, priced) for ``user``: one call, or two stages when ``python``.

    ``once`` + ``render``: the request's Idempotency-Key, answered in the same call (the API); ``hooks`` (given
    when :func:`needs_hooks`): the reseller/agent hooks, run after the hold in the same transaction, whichever
    way; after the one call, the Idempotency-Key's answer it stored is rolled back with it if a hook refuses.
    """
    hold_public_id = uuid.uuid4()
    adapter = _adapter()
    wallet_kind = AccountKind.AGENT_WALLET if getattr(user, "role", "") == "agent" else AccountKind.USER_WALLET
    _vet_debit(user, wallet_kind, order)
    window = timedelta(seconds=settings.ORDERS_DUPLICATE_WINDOW_SECONDS)
    held = f"hold {order.price_minor} {order.currency}"
    payload: dict[str, Any] = {
        "now": now.isoformat(), "user": user.pk, "order": _order_json(order), "dedupe_key": dedupe_key,
        "duplicate": None if confirm_duplicate else {
            "product": order.product_id, "phone": order.recipient_phone, "customer_number": order.customer_number,
            "since": (now - window).isoformat()},
        "kyc": {"rules": json.loads(kyc_rules_json(adapter)), "day_start": today_start().isoformat()},
        "wallet_kind": wallet_kind, "holds": holds.pk, "source": source, "hold_public_id": str(hold_public_id),
        "held_reason": held, "outbox": True,
    }
    if once is not None:
        payload["idempotency"] = once.payload(render(order) if render is not None else StoredResponse(202, {}, {}))
    # With ``once`` the request's transaction is this call's own (``run_idempotently``'s role): inside another
    # one (a test's), a savepoint keeps a refusal from breaking it. Without, the caller's transaction rolls
    # back on any error: no savepoint round trips.
    own = once is not None and connection.in_atomic_block
    outer = connection.in_atomic_block and not own
    if not python:
        payload["decision"] = gate.allowed_without_rules(move)
        if once is not None:
            once.called = True
        if hooks is None:
            with transaction.atomic() if own else nullcontext():
                result = call(payload, adapter=adapter)
            return _answer(result, order=order, once=once, hold_public_id=hold_public_id)
        # The two-stage path's transaction (below), its stages in one call: the hooks after the hold.
        with transaction.atomic(savepoint=False) if outer else transaction.atomic():
            accepted = _answer(call(payload, adapter=adapter), order=order, once=once,
                               hold_public_id=hold_public_id)
            if accepted.order is not None and not accepted.existed:
                hooks(order)
        return accepted
    with transaction.atomic(savepoint=False) if outer else transaction.atomic():
        if once is not None:
            once.called = True  # its answer is stored below, after the hooks (stage screen only reads it)
        result = call({**payload, "stage": "screen"}, adapter=adapter)
        if "replay" in result or "existing_order" in result:
            return _answer(result, order=order, once=once, hold_public_id=hold_public_id)
        screening = gate.screen(replace(move, kyc=False), savepoint=False)  # KYC: done in stage screen
        order.needs_review = screening.held
        if screening.held:
            held += f"; risk review: {screening.rule_name}"
        payload.update(order=_order_json(order), held_reason=held, outbox=not screening.held)
        result = call({**payload, "stage": "hold"}, adapter=adapter)
        accepted = _answer(result, order=order, once=once, hold_public_id=hold_public_id,
                           held=screening.held)
        if hooks is not None:
            hooks(order)
        if once is not None and render is not None:
            idempotency_complete(user_id=once.user_id, key=once.key, fingerprint=once.fingerprint,
                                 response=render(order))
    return accepted


def _adapter() -> Any:
    from tenant_apps.accounts.country import current_adapter

    return current_adapter()


def _answer(result: dict[str, Any], *, order: Order, once: OneCall | None, hold_public_id: uuid.UUID,
            held: bool = False) -> Accepted:
    if "replay" in result:
        if once is not None:
            once.replay(result["replay"])
        return Accepted(order=None)
    if "existing_order" in result:
        return Accepted(order=Order.objects.get(pk=result["existing_order"]), existed=True)
    order.pk = result["order"]
    order.status = OrderStatus.HELD
    order._state.adding = False
    order._state.db = connection.alias
    hold = Hold(pk=result["hold"], public_id=hold_public_id, wallet_id=result["wallet"],
                amount=order.price_minor, currency=order.currency, reference=order.reference,
                status=HoldStatus.PLACED, created_at=order.created_at, place_entry_id=result["hold_entry"])
    hold._state.adding = False
    order.hold = hold
    if result.get("hold_created"):
        count_hold_postings(order.currency)
    return Accepted(order=order, held_for_review=held)
