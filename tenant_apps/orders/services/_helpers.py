"""The purchase path's private helpers: its modules' shared steps (state transitions, provider attempts,
cached system accounts, task messages). Nothing outside ``tenant_apps.orders.services`` imports them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import requests
from django.db import connection, transaction
from django.utils import timezone

from provider_plugins.interfaces.observe import observed_session
from provider_plugins.interfaces.plugin import Capability
from provider_plugins.registry import get_plugin
from shared_apps.catalog.models import Product, ProductType
from shared_apps.core import metrics
from shared_apps.core.enqueue import enqueue
from shared_apps.core.errors import ApiError
from shared_apps.core.locks import lock_user
from shared_apps.providers.models import Provider
from shared_apps.providers.services import provider_config
from tenant_apps.agents.sales import Sale
from tenant_apps.ledger.services import system_account
from tenant_apps.pricing.quotes import PriceQuote, quote_price
from tenants.connection import current_schema

from .. import errors, routing
from ..models import TRANSITIONS, Order, OrderAttempt, OrderStatus, OrderTransition

logger = logging.getLogger(__name__)

BILL_TYPES = frozenset({ProductType.ELECTRICITY, ProductType.CABLE_TV, ProductType.WATER, ProductType.EDUCATION,
                        ProductType.INSURANCE})


class TaskName:
    """The registered names of ``tenant_apps.orders.tasks``: the services send them by name
    (:func:`_on_commit_task`, ``shared_apps.core.enqueue``) and never import the tasks module, which imports
    the services."""

    REQUERY = "orders.requery"
    NOTIFY = "orders.notify"
    SWEEP = "orders.sweep"


def _on_commit_task(name: str, *args: Any, countdown: float | None = None) -> None:
    """Enqueue the task ``name`` after commit, in the current tenant (tenant-schemas-celery reads the schema);
    the broker down: logged, never raised into the committed purchase (the sweeper picks the row up)."""
    def send() -> None:
        try:
            enqueue(name, *args, countdown=countdown)
        except Exception:  # the broker is down: the sweeper will pick the row up
            logger.exception("could not enqueue %s%s", name, args)

    transaction.on_commit(send)


def _http_session() -> requests.Session:
    """One pooled HTTP session per thread (keep-alive saves a TCP handshake per call), observed for the
    provider archive."""
    return observed_session()


def _country() -> str:
    tenant = getattr(connection, "tenant", None)
    country = getattr(tenant, "country", "")
    if country:
        return country
    from tenant_apps.accounts.country import current_country

    return current_country()


def _record(order: Order, to_status: str, *, reason: str = "", source: str = "",
            now: datetime | None = None, pending: list[OrderTransition] | None = None) -> OrderTransition:
    """Move the order (in memory) and record the transition row; the caller saves the order.

    With ``pending``, the row is appended there for one multi-row INSERT by the caller
    (in the same transaction) instead of being inserted now.
    """
    if to_status not in TRANSITIONS[order.status]:
        raise errors.IllegalTransition(f"{order.reference}: {order.status} -> {to_status}")
    now = now or timezone.now()
    transition = OrderTransition(order=order, from_status=order.status, to_status=to_status,
                                 reason=reason[:200], source=source, created_at=now)
    if pending is None:
        transition.save(force_insert=True)
    else:
        pending.append(transition)
    _count_purchase(order, from_status=transition.from_status, to_status=to_status)
    order.status = to_status
    order.updated_at = now
    if to_status in (OrderStatus.SETTLED, OrderStatus.RELEASED, OrderStatus.REVERSED):
        order.final_at = now
    return transition


def _count_purchase(order: Order, *, from_status: str, to_status: str) -> None:
    """nexustop_purchases_total{status, provider}, once the transaction commits (dashboards, failed-share alarm).

    succeeded: delivered; failed: the purchase ended failed and the hold went back; pending: the provider has no
    final answer yet; refunded: reversed by the provider after a success.
    """
    if to_status == OrderStatus.SUCCEEDED:
        status = "succeeded"
    elif to_status == OrderStatus.RELEASED and from_status == OrderStatus.FAILED:
        status = "failed"
    elif to_status == OrderStatus.PENDING:
        status = "pending"
    elif to_status == OrderStatus.REVERSED:
        status = "refunded"
    else:
        return
    provider = getattr(order, "_metrics_provider", "") or "none"
    transaction.on_commit(lambda: metrics.record_purchase(status=status, provider=provider))


def _sale(order: Order, quote: dict) -> Sale:
    """The sale as the reseller and agent hooks receive it (``tenant_apps.agents.sales``); ``quote``: the
    breakdown the step used (the order's at acceptance and release, the attempt's at settlement)."""
    return Sale(reference=str(order.public_id), quote=quote, seller=order.user, recipient=order.recipient_phone)


def _quote_dict(quote: PriceQuote) -> dict:
    return quote.breakdown()


def _connector(provider: Provider, capability: str):
    plugin = get_plugin(provider.plugin_key)
    config = provider_config(provider=provider, session=_http_session())
    return plugin, plugin.connector(capability)(config), config


def _capability(product_type: str) -> str:
    return Capability(product_type).value


def _start_attempt(order: Order, *, now: datetime, source: str, submitting: bool = False) -> OrderAttempt | None:
    """Pick the next provider that has not tried this order yet and whose price fits the hold.

    ``submitting``: the caller sends it right after commit (the row is created with submit_count 1).
    The dispatcher's claim does the same for a whole batch (``orders.dispatch.claims``): the same two steps,
    :func:`_pick_candidate` and :func:`_new_attempt`, with its rows written in one INSERT each.
    """
    product = Product.objects.select_related("provider").filter(pk=order.product_id).first()
    tried = set(order.attempts.values_list("provider_id", flat=True)) if order.attempt_count else set()
    picked = _pick_candidate(order, product=product, tried=tried)
    if picked is None:
        return None
    attempt = _new_attempt(order, *picked, now=now, source=source, submitting=submitting)
    attempt.save(force_insert=True)
    return attempt


def _pick_candidate(order: Order, *, product: Product | None, tried: set[int],
                    quotes: dict[tuple, Any] | None = None) -> tuple[Product, dict] | None:
    """The first routed product (``routing.route``) not tried yet whose price for the buyer fits the hold, with
    its quote; None when no provider can take the order. ``quotes``: a memo of prices by product, amount and
    buyer (a batch asks the same question for many orders)."""
    candidates = routing.route(product=product, amount_minor=order.face_value_minor, exclude_provider_ids=tried) \
        if product is not None else []
    for candidate in candidates:
        if candidate.pk == order.product_id:
            quote = order.quote
        else:
            amount = order.face_value_minor if candidate.is_open_amount else None
            key = (candidate.pk, amount, order.user_id)
            found = quotes.get(key) if quotes is not None else None
            if found is None:
                try:
                    found = _quote_dict(quote_price(product=candidate, amount_minor=amount, buyer=order.user))
                except ApiError as exc:
                    found = exc
                if quotes is not None:
                    quotes[key] = found
            if isinstance(found, ApiError):
                continue
            quote = dict(found)
            if quote["price_minor"] > order.price_minor or quote["currency"] != order.currency:
                continue  # never charge more than the customer agreed to
        if candidate.provider_fx:
            quote = {**quote, "provider_fx": dict(candidate.provider_fx)}
        return candidate, quote
    return None


def _new_attempt(order: Order, candidate: Product, quote: dict, *, now: datetime, source: str,
                 submitting: bool = False, pending: list[OrderTransition] | None = None) -> OrderAttempt:
    """The next attempt (not saved) with ``candidate``'s provider; the order moved to submitted in memory (the
    caller saves it), its transition recorded (or appended to ``pending``, see :func:`_record`)."""
    number = order.attempt_count + 1
    plugin = get_plugin(candidate.provider.plugin_key)
    request_id = plugin.new_request_id(f"nx{order.public_id.hex[:28]}a{number}", now)
    attempt = OrderAttempt(
        order=order, number=number, provider_id=candidate.provider_id, plugin_key=plugin.key,
        provider_product_id=candidate.pk, request_id=request_id, quote=quote, created_at=now,
        submit_count=1 if submitting else 0)
    attempt.product = candidate  # the dispatcher's call needs it: no second lookup
    order.attempt_count = number
    # A new attempt is a new conversation with another provider: its own requery schedule from the
    # first backoff step (issue 14: a fail-over inherited the previous attempt's count and waited
    # the longest backoff before its first requery, holding the customer's money for half an hour).
    order.requery_count, order.next_requery_at = 0, None
    _record(order, OrderStatus.SUBMITTED, reason=f"{candidate.provider.name} {request_id}", source=source, now=now,
            pending=pending)
    return attempt


def _current_attempt(order: Order) -> OrderAttempt | None:
    if not order.attempt_count:
        return None
    return OrderAttempt.objects.filter(order=order, number=order.attempt_count).first()


def _sent_attempt(order: Order) -> OrderAttempt:
    """The attempt of an order a provider has (submitted, pending): such an order has one."""
    attempt = _current_attempt(order)
    if attempt is None:
        raise ValueError(f"{order} has no provider attempt")
    return attempt


_accounts: dict[tuple[str, str, str], Any] = {}


def _system_account(kind: str, currency: str):
    """System accounts never change once made: cache them per process (saves a query per split)."""
    key = (current_schema(), kind, currency)
    account = _accounts.get(key)
    if account is None:
        account = system_account(kind=kind, currency=currency)
        # Only once committed: a row made in a transaction that rolls back must not stay cached.
        transaction.on_commit(lambda: _accounts.setdefault(key, account))
    return account


def _delete_outbox(order: Order) -> None:
    """One DELETE (the ORM's delete() would SELECT the rows first to run cascades we do not have)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM orders_orderoutbox WHERE order_id = %s", [order.pk])


# --- fault-injection fix (issue 11): refunds lock the buyer first, like purchases ----------------
def _lock_buyer(order: Order) -> None:
    """Lock the buyer's row before a refund touches the wallet.

    A purchase locks the buyer (``kyc_reserve``) and then the wallet; a refund used to update the
    wallet and then write the buyer's KYC release row, whose foreign-key check key-shares the buyer
    row at commit: opposite orders, so a purchase and a refund of the same buyer deadlocked and the
    purchase answered 500 (found by ``manage.py fault_inject``;
    tests/reliability/test_fault_injection.py::test_a_refund_and_a_purchase_of_the_same_buyer_do_not_deadlock).
    """
    lock_user(order.user_id)
# --- end of fault-injection fix -------------------------------------------------------------------
