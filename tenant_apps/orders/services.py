"""Purchases: create (hold + outbox), submit, requery, apply provider results, webhooks, sweep.

The money path (docs/architecture.md, "Money, in one picture"):

* ``purchase_create`` runs inside the caller's transaction (the idempotency row's):
  order row + hold (wallet -> holds) + recorded transitions + outbox row; the submit
  task is enqueued on commit.
* ``order_submit`` makes (once) or reuses the attempt's provider request id, commits it,
  then calls the provider: a crash after the call is harmless, because the retry sends
  the *same* request id and the provider deduplicates on it.
* Every provider answer (submit, requery, webhook, staff) goes through
  ``order_apply_provider_result``: row-locked, idempotent by (order, final status).
  Success settles the hold (cost -> provider settlement, each quote line -> its
  account); a definite failure fails over to the next provider or releases the hold;
  anything unclear stays pending and is requeried with backoff, then goes to manual
  review — never auto-failed.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from countries.errors import InvalidPhoneNumber
from countries.registry import get_adapter
from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    BillPaymentRequest,
    CustomerVerificationRequest,
    DataTopupRequest,
    OutcomeStatus,
    ProductUnavailable,
    ProviderError,
    ProviderFault,
    SignatureError,
    UserFixableError,
)
from provider_plugins.interfaces.common import DuplicateRequest, ProviderTimeout
from provider_plugins.interfaces.observe import observed_session
from provider_plugins.interfaces.plugin import Capability
from provider_plugins.registry import get_plugin
from shared_apps.catalog.models import Product, ProductType
from shared_apps.catalog.selectors import sellable_product
from shared_apps.core import metrics
from shared_apps.core.errors import ApiError
from shared_apps.core.locks import lock_user
from shared_apps.providers.callbacks import authenticate, bound, callback_providers, refuse
from shared_apps.providers.models import Provider
from shared_apps.providers.services import provider_config
from tenant_apps.agents import sales as reseller_hooks  # call-outs in the sale's transactions (see below)
from tenant_apps.agents.services import sale_preflight
from tenant_apps.idempotency.services import OneCall, StoredResponse
from tenant_apps.ledger.errors import InsufficientFunds
from tenant_apps.ledger.models import AccountKind, Hold
from tenant_apps.ledger.services import (
    Line,
    Split,
    post_entry,
    release_hold,
    settle_hold,
    system_account,
)
from tenant_apps.pricing.quotes import PriceQuote, quote_price
from tenant_apps.provider_archive.services import archived_call
from tenant_apps.risk.gate import MoneyMove
from tenant_apps.risk.models import Flow
from tenant_apps.tax.entries import tax_entry_metadata

from . import acceptance, errors, routing
from .models import (
    FINAL_STATUSES,
    TRANSITIONS,
    AttemptStatus,
    Order,
    OrderAttempt,
    OrderOutbox,
    OrderStatus,
    OrderTransition,
)
from .signals import order_reversed, order_settled

logger = logging.getLogger(__name__)

BILL_TYPES = frozenset({ProductType.ELECTRICITY, ProductType.CABLE_TV, ProductType.WATER, ProductType.EDUCATION,
                        ProductType.INSURANCE})
# Pending reasons that say the provider is struggling (they count against its circuit breaker).
FAULTY_PENDING_REASONS = frozenset({"timeout", "no_response", "http_5xx", "unexpected_reply"})


class EntryTypes:
    LATE_CHARGE = "order_late_charge"
    REVERSAL = "order_reversal"


# --- small helpers ---------------------------------------------------------------------------
_local = threading.local()


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


def _on_commit_task(task, *args: Any, countdown: float | None = None) -> None:
    """Enqueue a task after commit, in the current tenant (tenant-schemas-celery reads the schema)."""
    def send() -> None:
        try:
            task.apply_async(args=args, countdown=countdown)
        except Exception:  # the broker is down: the sweeper will pick the row up
            logger.exception("could not enqueue %s%s", task.name, args)

    transaction.on_commit(send)


def _tasks():
    from . import tasks

    return tasks


def _notify(order: Order, event: str) -> None:
    if settings.ORDERS_SMS_NOTIFICATIONS:
        _on_commit_task(_tasks().order_notify_task, order.pk, event)


def _quote_dict(quote: PriceQuote) -> dict:
    return quote.breakdown()


# --- recipient validation and verification -----------------------------------------------------
def _active_product(product_id: Any) -> Product:
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        raise errors.ProductNotFound(fields={"product_id": ["Unknown product."]}) from None
    product = sellable_product(product_id=product_id)  # per-process memo, invalidated by the catalogue version
    if product is None or product.country != _country():
        raise errors.ProductNotFound(fields={"product_id": ["Unknown product."]})
    return product


def _sandbox_recipient(product: Product, recipient_phone: str) -> str:
    """A provider's documented test number, let through only for a tenant in sandbox mode and only for
    that provider's own products (VTPass 08011111111, 201000000000, ...); ``""`` otherwise."""
    tenant = getattr(connection, "tenant", None)
    if not getattr(tenant, "sandbox_mode", False):
        return ""
    number = "".join(ch for ch in str(recipient_phone or "") if ch.isdigit())
    return number if number and number in get_plugin(product.provider.plugin_key).sandbox_recipients else ""


def _validate_recipient(product: Product, recipient_phone: str) -> str:
    sandbox_number = _sandbox_recipient(product, recipient_phone)
    if sandbox_number:
        return sandbox_number
    adapter = get_adapter(product.country)
    try:
        phone = adapter.normalize_phone(recipient_phone or "")
    except InvalidPhoneNumber as exc:
        raise errors.InvalidRecipient(fields={"recipient_phone": [str(exc) or "Enter a valid phone number."]}) \
            from None
    if product.product_type in (ProductType.AIRTIME, ProductType.DATA) and not routing.is_cross_network(product):
        network = adapter.detect_network(phone)
        expected = routing.operator_network(product.operator)
        if network != expected:
            name = adapter.network_name(network) if network else "an unknown network"
            raise errors.RecipientNetworkMismatch(
                f"This number is on {name}, not {product.operator.upper()}; choose a product of that network.",
                fields={"recipient_phone": [f"Not a {product.operator.upper()} number."]})
    return phone


def _connector(provider: Provider, capability: str):
    plugin = get_plugin(provider.plugin_key)
    config = provider_config(provider=provider, session=_http_session())
    return plugin, plugin.connector(capability)(config), config


@dataclass(frozen=True)
class CustomerCheck:
    customer_number: str
    name: str
    address: str
    minimum_amount_minor: int | None
    extra: dict


def purchase_verify(*, product_id: Any, customer_number: str) -> CustomerCheck:
    """Ask the biller who the meter/smartcard belongs to (name, address), before any money moves."""
    product = _active_product(product_id)
    if product.product_type not in BILL_TYPES:
        raise ApiError("Only meters and smartcards are verified.", code="verification_not_applicable",
                       fields={"product_id": ["Not a bill product."]})
    number = "".join(ch for ch in str(customer_number or "") if ch.isalnum())
    if not number:
        raise errors.CustomerNumberRequired(fields={"customer_number": ["Required."]})
    _, connector, _ = _connector(product.provider, product.product_type)
    try:
        details = connector.verify_customer(CustomerVerificationRequest(
            biller_code=product.biller_code, customer_number=number, variation=product.variation))
    except UserFixableError as exc:
        raise errors.InvalidCustomer(str(exc), fields={"customer_number": ["Not found by the biller."]}) from None
    except ProviderError:
        logger.warning("verification unavailable at provider %s", product.provider_id, exc_info=True)
        raise errors.VerificationUnavailable() from None
    return CustomerCheck(customer_number=details.customer_number or number, name=details.name,
                         address=details.address, minimum_amount_minor=details.minimum_amount_minor,
                         extra=dict(details.extra))


# --- creating a purchase ----------------------------------------------------------------------
def _purchase_target(product_id: Any, recipient_phone: str, customer_number: str) -> tuple[Product, str, str]:
    """The product, the normalised recipient phone and customer number of a purchase (ApiError: the buyer fixes)."""
    product = _active_product(product_id)
    phone = _validate_recipient(product, recipient_phone)
    if product.product_type not in BILL_TYPES:
        return product, phone, ""
    customer_number = "".join(ch for ch in str(customer_number or "") if ch.isalnum())
    if not customer_number and not product.customer_number_label:
        customer_number = "".join(ch for ch in phone if ch.isdigit())  # e.g. a WAEC PIN sent to the phone
    if not customer_number:
        raise errors.CustomerNumberRequired(fields={"customer_number": ["Required."]})
    return product, phone, customer_number


def purchase_needs_verification(*, product_id: Any) -> bool:
    """Whether a purchase of ``product_id`` asks the biller who the customer is (no statement: memoised product)."""
    try:
        product = _active_product(product_id)
    except ApiError:
        return False  # purchase_create answers the error
    return product.product_type in BILL_TYPES and product.requires_verification


def purchase_verified_name(*, product_id: Any, recipient_phone: str, customer_number: str) -> str:
    """The biller's name for the customer of a purchase, asked BEFORE its money transaction opens.

    No outbound HTTP inside an open money transaction (issue 20): a slow biller would hold the idempotency
    advisory lock, the buyer's row and a database connection for its whole timeout. Pass the answer to
    ``purchase_create(verified_name=...)``. Same checks, in the same order, as ``purchase_create`` up to the
    verification, so the same errors come out (unknown product, bad recipient, missing number, unknown meter).
    """
    product, _phone, number = _purchase_target(product_id, recipient_phone, customer_number)
    if product.product_type not in BILL_TYPES or not product.requires_verification:
        return ""
    return purchase_verify(product_id=product.pk, customer_number=number).name


def purchase_create(*, user, product_id: Any, recipient_phone: str, amount_minor: int | None = None,
                    customer_number: str = "", confirm_duplicate: bool = False, dedupe_key: str | None = None,
                    subscription_id: int | None = None, source: str = "api",
                    details: dict[str, str] | None = None, verified_name: str | None = None,
                    once: OneCall | None = None, render: Callable[[Order], StoredResponse] | None = None,
                    ) -> Order | None:
    """Validate, price, hold and queue one purchase.

    Validation and pricing run here (memos: no statement); everything that needs a lock or a row runs in the
    server-side ``purchase_accept`` (``acceptance``: the duplicate guard, the KYC limits, the risk decision,
    the no-overdraft hold, the order with its transitions and outbox row), in one call unless a risk rule,
    an agent or a reseller float needs Python in the middle. Call it inside the caller's transaction (the
    idempotency one), or outside any with ``once`` (the API's Idempotency-Key, answered in the same call with
    ``render(order)``; None is returned when the key's stored answer was replayed: ``once.replayed``).

    Raises ApiError subclasses (nothing written) for anything the buyer can fix, and InsufficientFunds
    (422) when the wallet cannot cover the price; the risk gate's rules may answer 403 ``risk_blocked`` /
    428 ``step_up_required``; a held purchase keeps its money on hold and is not sent until an operator
    releases it. ``verified_name``: the biller's answer for this customer number, asked before the
    transaction (:func:`purchase_verified_name`); None: asked here (a caller not moved yet).
    """
    product, phone, customer_number = _purchase_target(product_id, recipient_phone, customer_number)
    customer_name = ""
    if product.product_type in BILL_TYPES and product.requires_verification:
        customer_name = verified_name if verified_name is not None else \
            purchase_verify(product_id=product.pk, customer_number=customer_number).name
    receipt_details = {}
    if product.product_type == ProductType.INSURANCE:
        receipt_details["request"] = _insurance_details(details)
    quote = quote_price(product=product, amount_minor=amount_minor if product.is_open_amount else None, buyer=user)
    sale_preflight(user=user, quote=quote)  # a reseller's float covers its cost (a read; the hold is in the hooks)
    now = timezone.now()
    public_id = uuid.uuid4()
    order = Order(public_id=public_id, user=user, product_id=product.pk, product_type=product.product_type,
                  product_name=product.name, operator=product.operator, recipient_phone=phone,
                  customer_number=customer_number, customer_name=customer_name, currency=quote.currency,
                  face_value_minor=quote.face_value_minor, price_minor=quote.price_minor,
                  quote=_quote_dict(quote), status=OrderStatus.HELD, dedupe_key=dedupe_key,
                  receipt_details=receipt_details, tax_lines=list(order_quote_taxes(quote.breakdown())),
                  subscription_id=subscription_id, needs_review=False, created_at=now, updated_at=now)
    move = MoneyMove(
        flow=Flow.PURCHASE, user=user, amount_minor=quote.price_minor, currency=quote.currency,
        reference=order.reference, recipient=customer_number if product.product_type in BILL_TYPES else phone,
        recipient_label=_masked(customer_number or phone), product_id=product.pk,
        product_type=product.product_type, subject_type="order", subject_id=str(public_id))
    accepted = acceptance.accept(
        user=user, order=order, move=move, python=acceptance.needs_python(user=user, quote=quote, move=move),
        holds=_system_account(AccountKind.HOLDS, quote.currency), source=source,
        confirm_duplicate=confirm_duplicate, dedupe_key=dedupe_key, now=now, once=once, render=render,
        hooks=lambda accepted_order: reseller_hooks.sale_accepted(order=accepted_order, quote=accepted_order.quote))
    if accepted.order is not None and not accepted.existed and not accepted.held_for_review:
        _on_commit_task(_tasks().order_submit_task, accepted.order.pk)
    return accepted.order


def _masked(value: str) -> str:
    return value[:4] + "*" * max(len(value) - 7, 0) + value[-3:] if len(value) > 7 else value


def order_risk_release(*, order_id: int) -> Order:
    """An operator released a purchase a risk rule held: it is queued for its provider now (outbox + task)."""
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)  # lock: subject
        if order.status != OrderStatus.HELD or not order.needs_review:
            raise ApiError("This purchase is not held for review.", code="review_closed", status_code=409)
        order.needs_review = False
        order.save(update_fields=["needs_review", "updated_at"])
        OrderOutbox.objects.create(order=order, created_at=now, enqueued_at=now)
        _on_commit_task(_tasks().order_submit_task, order.pk)
    return order


INSURANCE_DETAILS = ("Insured_Name", "engine_capacity", "Chasis_Number", "vehicle_make", "vehicle_color",
                     "vehicle_model", "YearofMake", "state", "lga", "email")


def _insurance_details(details: dict[str, str] | None) -> dict[str, str]:
    """The vehicle and owner a third-party motor policy covers (names as VTPass documents them)."""
    details = details or {}
    clean = {name: str(details.get(name) or "").strip()[:80] for name in INSURANCE_DETAILS}
    missing = [name for name, value in clean.items() if not value]
    if missing:
        raise ApiError("The policy needs the vehicle and its owner.", code="details_required",
                       fields={f"details.{name}": ["Required."] for name in missing})
    return clean


def order_risk_reject(*, order_id: int, note: str = "") -> Order:
    """An operator rejected a held purchase: the hold goes back to the buyer (refunded, never sent)."""
    now = timezone.now()
    with transaction.atomic():
        # lock: subject
        order = Order.objects.select_for_update(of=("self",)).select_related("user", "hold").get(pk=order_id)
        if order.status != OrderStatus.HELD or not order.needs_review:
            raise ApiError("This purchase is not held for review.", code="review_closed", status_code=409)
        order.needs_review = False
        _fail_and_release(order, reason=("risk_rejected: " + note)[:60] if note else "risk_rejected",
                          source="staff", now=now)
        order.save()
    return order


# --- submitting ---------------------------------------------------------------------------------
def _capability(product_type: str) -> str:
    return Capability(product_type).value


def _start_attempt(order: Order, *, now: datetime, source: str, submitting: bool = False) -> OrderAttempt | None:
    """Pick the next provider that has not tried this order yet and whose price fits the hold.

    ``submitting``: the caller sends it right after commit (the row is created with submit_count 1).
    """
    product = Product.objects.select_related("provider").filter(pk=order.product_id).first()
    tried = set(order.attempts.values_list("provider_id", flat=True)) if order.attempt_count else set()
    candidates = routing.route(product=product, amount_minor=order.face_value_minor, exclude_provider_ids=tried) \
        if product is not None else []
    for candidate in candidates:
        if candidate.pk == order.product_id:
            quote = order.quote
        else:
            try:
                quote = _quote_dict(quote_price(product=candidate, amount_minor=order.face_value_minor
                                                if candidate.is_open_amount else None, buyer=order.user))
            except ApiError:
                continue
            if quote["price_minor"] > order.price_minor or quote["currency"] != order.currency:
                continue  # never charge more than the customer agreed to
        if candidate.provider_fx:
            quote = {**quote, "provider_fx": dict(candidate.provider_fx)}
        number = order.attempt_count + 1
        plugin = get_plugin(candidate.provider.plugin_key)
        request_id = plugin.new_request_id(f"nx{order.public_id.hex[:28]}a{number}", now)
        attempt = OrderAttempt.objects.create(
            order=order, number=number, provider_id=candidate.provider_id, plugin_key=plugin.key,
            provider_product_id=candidate.pk, request_id=request_id, quote=quote, created_at=now,
            submit_count=1 if submitting else 0)
        attempt.product = candidate  # _call_provider needs it: no second lookup
        order.attempt_count = number
        # A new attempt is a new conversation with another provider: its own requery schedule from the
        # first backoff step (issue 14: a fail-over inherited the previous attempt's count and waited
        # the longest backoff before its first requery, holding the customer's money for half an hour).
        order.requery_count, order.next_requery_at = 0, None
        _record(order, OrderStatus.SUBMITTED, reason=f"{candidate.provider.name} {request_id}", source=source, now=now)
        return attempt
    return None


def _current_attempt(order: Order) -> OrderAttempt | None:
    if not order.attempt_count:
        return None
    return OrderAttempt.objects.filter(order=order, number=order.attempt_count).first()


def order_submit(*, order_id: int) -> Order | None:
    """Send the order to its provider (task body). Safe to run any number of times, concurrently too."""
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("user").filter(pk=order_id).first()  # lock: subject
        if order is None:
            return None
        if order.status == OrderStatus.HELD and order.needs_review:
            return order  # held by a risk rule: only an operator's release (order_risk_release) sends it
        if order.status == OrderStatus.HELD:
            attempt = _start_attempt(order, now=now, source="submit", submitting=True)
            if attempt is None:
                _fail_and_release(order, reason="no_provider_available", source="submit", now=now)
                order.save()
                return order
            order.save()
        elif order.status == OrderStatus.SUBMITTED:
            attempt = _current_attempt(order)  # a retry: same request id, the provider deduplicates
            OrderAttempt.objects.filter(pk=attempt.pk).update(submit_count=attempt.submit_count + 1)
        else:
            _delete_outbox(order)
            return order
    # Committed: from here on a crash leaves a SUBMITTED order with a stored request id for the sweeper.
    outcome = _call_provider(order, attempt)
    return order_apply_provider_result(request_id=attempt.request_id, outcome=outcome, source="submit")


@dataclass(frozen=True)
class Outcome:
    """A provider answer in the core's words (from a result, an update, or an exception)."""

    status: OutcomeStatus
    provider_reference: str = ""
    token: str = ""
    units: str = ""
    reason: str = ""
    provider_code: str = ""
    failover: bool = True  # a definite failure another provider may fix
    fault: bool = False  # counts against the provider's circuit breaker
    fx: dict | None = None  # what the provider charged in its own currency (FulfilmentResult.fx)
    receipt: dict | None = None  # more for the receipt (BillPaymentResult.receipt: PINs, certificate)


def _outcome_from_result(result: Any) -> Outcome:
    reason = getattr(result, "reason", "") or ""
    return Outcome(status=OutcomeStatus(result.status), provider_reference=result.provider_reference or "",
                   token=getattr(result, "token", "") or "", units=getattr(result, "units", "") or "",
                   reason=reason, provider_code=getattr(result, "provider_code", "") or "",
                   fault=result.status == OutcomeStatus.PENDING and reason in FAULTY_PENDING_REASONS,
                   fx=dict(getattr(result, "fx", None) or {}) or None,
                   receipt=dict(getattr(result, "receipt", None) or {}) or None)


def _receipt_details(order: Order, attempt: OrderAttempt, outcome: Outcome) -> dict:
    """The order's receipt extras once a provider delivered: the rate it quoted (from the product the
    attempt was priced on) and what it charged in its own currency; PINs or a certificate."""
    details = dict(order.receipt_details or {})
    fx = {**(attempt.quote.get("provider_fx") or {}), **(outcome.fx or {})}
    if fx:
        details["fx"] = {key: str(value) for key, value in fx.items()}
    if outcome.receipt:
        details.update(outcome.receipt)
    return details


def _call_provider(order: Order, attempt: OrderAttempt) -> Outcome:
    product = getattr(attempt, "product", None)
    if product is None or product.pk != attempt.provider_product_id:
        product = Product.objects.select_related("provider").get(pk=attempt.provider_product_id)
    face = order.face_value_minor
    plugin = product.provider.plugin_key
    try:
        with _archived(order, attempt, product.provider, "purchase"), \
                metrics.time_provider_call(provider=plugin, operation="purchase"):  # the archive write: after
            result = _submit_to_connector(order, attempt, product, face)
    except (ProviderTimeout, DuplicateRequest) as exc:
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="timeout")
        return Outcome(OutcomeStatus.PENDING, reason=exc.code, provider_code=exc.provider_code, fault=True)
    except ProductUnavailable as exc:
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="unavailable")
        return Outcome(OutcomeStatus.FAILED, reason=exc.code, provider_code=exc.provider_code)
    except UserFixableError as exc:  # the request itself is wrong: no other provider will take it either
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="rejected")
        return Outcome(OutcomeStatus.FAILED, reason=exc.code, provider_code=exc.provider_code, failover=False)
    except ProviderFault as exc:  # raised only when the provider did not act: try the next one
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="error")
        return Outcome(OutcomeStatus.FAILED, reason=exc.code, provider_code=exc.provider_code, fault=True)
    except Exception:  # we cannot know whether the request left: requery decides
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="error")
        logger.exception("order %s: unexpected error calling the provider", order.reference)
        return Outcome(OutcomeStatus.PENDING, reason="internal_error")
    metrics.record_provider_request(provider=plugin, operation="purchase", outcome="ok")
    return _outcome_from_result(result)


def _archived(order: Order, attempt: OrderAttempt, provider: Provider, operation: str):
    """The provider call's exchanges go to the archive (redacted) under the order, after the call."""
    return archived_call(subject_type="order", subject_id=order.pk, attempt_ref=attempt.request_id,
                         operation=operation, plugin_key=provider.plugin_key, provider=provider,
                         personal=[order.recipient_phone, order.customer_number, order.customer_name])


def _submit_to_connector(order: Order, attempt: OrderAttempt, product: Product, face: int) -> Any:
    """The connector call for the order's product type (timed and counted by the caller)."""
    _, connector, _ = _connector(product.provider, _capability(product.product_type))
    if product.product_type == ProductType.AIRTIME:
        result = connector.airtime(AirtimeTopupRequest(
            request_id=attempt.request_id, recipient_phone=order.recipient_phone, amount_minor=face,
            currency=order.currency, country=product.country, operator_code=product.provider_product_code))
    elif product.product_type == ProductType.DATA:
        result = connector.data(DataTopupRequest(
            request_id=attempt.request_id, recipient_phone=order.recipient_phone,
            product_code=product.provider_product_code, amount_minor=face, currency=order.currency,
            country=product.country, operator_code=product.biller_code))
    else:
        result = connector.pay(BillPaymentRequest(
            request_id=attempt.request_id, biller_code=product.biller_code,
            customer_number=order.customer_number, amount_minor=face, currency=order.currency,
            variation=product.variation or product.provider_product_code, phone=order.recipient_phone,
            details=dict((order.receipt_details or {}).get("request") or {})))
    return result


# --- applying a provider answer ---------------------------------------------------------------
def _splits(quote: dict, currency: str) -> list[Split]:
    splits = [Split(_system_account(AccountKind.PROVIDER_SETTLEMENT, currency), int(quote["cost_minor"]))]
    for line in quote.get("lines", ()):
        if int(line["amount_minor"]):
            splits.append(Split(_system_account(line["account_kind"], currency), int(line["amount_minor"])))
    return splits


def order_quote_taxes(quote: dict) -> list[dict]:
    """The tax lines of a stored quote (countries.tax.TaxAmount dicts; none in quotes made before taxes)."""
    return [dict(tax) for tax in quote.get("taxes") or ()]


def _tax_metadata(quote: dict) -> dict:
    """What the settlement entry records about its taxes: the base each tax account's amount was computed on
    (the tax report sums them; tenant_apps.tax.selectors)."""
    return tax_entry_metadata(order_quote_taxes(quote))


_accounts: dict[tuple[str, str, str], Any] = {}


def _system_account(kind: str, currency: str):
    """System accounts never change once made: cache them per process (saves a query per split)."""
    key = (connection.schema_name, kind, currency)
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


def _fail_and_release(order: Order, *, reason: str, source: str, now: datetime) -> None:
    from tenant_apps.kyc.services import kyc_release_spend

    _lock_buyer(order)  # fault-injection fix (issue 11): buyer, then wallet, as in purchase_create
    if order.status != OrderStatus.FAILED:
        _record(order, OrderStatus.FAILED, reason=reason, source=source, now=now)
    release_hold(hold=order.hold, metadata={"order": str(order.public_id), "reason": reason},
                 holds=_system_account(AccountKind.HOLDS, order.currency), savepoint=False)
    kyc_release_spend(user=order.user, reference=order.reference)
    reseller_hooks.sale_released(order=order)  # HOOK: float hold and velocity count back
    order.failure_reason = reason[:60]
    order.next_requery_at = None
    _record(order, OrderStatus.RELEASED, reason="hold released to the wallet", source=source, now=now)
    _delete_outbox(order)
    _notify(order, "refunded")


def _settle(order: Order, attempt: OrderAttempt, outcome: Outcome, *, source: str, now: datetime) -> None:
    pending: list[OrderTransition] = []
    _record(order, OrderStatus.SUCCEEDED, reason=outcome.provider_reference, source=source, now=now, pending=pending)
    # Inside order_apply_provider_result's transaction, which any error rolls back whole: no savepoint.
    settle_hold(hold=order.hold, splits=_splits(attempt.quote, order.currency),
                metadata={"order": str(order.public_id), "provider_id": attempt.provider_id,
                          **_tax_metadata(attempt.quote)},
                holds=_system_account(AccountKind.HOLDS, order.currency), savepoint=False)
    order.tax_lines = order_quote_taxes(attempt.quote)  # saved with the order by the caller
    _record(order, OrderStatus.SETTLED, reason="hold settled", source=source, now=now, pending=pending)
    OrderTransition.objects.bulk_create(pending)
    reseller_hooks.sale_settled(order=order, quote=attempt.quote)  # HOOK: float draw, commissions, webhooks
    order.next_requery_at = None
    _delete_outbox(order)
    transaction.on_commit(lambda: order_settled.send(sender=Order, order=order, schema_name=connection.schema_name))
    _notify(order, "delivered")


def _late_charge(order: Order, attempt: OrderAttempt, *, source: str, now: datetime) -> None:
    """Delivered after we refunded: charge the wallet again (or book a receivable in suspense for review)."""
    quote = attempt.quote
    price = int(quote["price_minor"])
    wallet = order.hold.wallet
    credit = [Line(split.account, split.amount) for split in _splits(quote, order.currency) if split.amount]
    try:
        with transaction.atomic():
            post_entry(entry_type=EntryTypes.LATE_CHARGE, reference=order.reference,
                       lines=[Line(wallet, -price), *credit],
                       metadata={"order": str(order.public_id), **_tax_metadata(quote)})
    except InsufficientFunds:
        suspense = _system_account(AccountKind.SUSPENSE, order.currency)
        post_entry(entry_type=EntryTypes.LATE_CHARGE, reference=order.reference,
                   lines=[Line(suspense, -price), *credit],
                   metadata={"order": str(order.public_id), "receivable": True, **_tax_metadata(quote)})
        order.needs_review = True
    order.tax_lines = order_quote_taxes(quote)
    _record(order, OrderStatus.SETTLED, reason="late success after refund", source=source, now=now)
    reseller_hooks.sale_settled(order=order, quote=quote)  # HOOK
    transaction.on_commit(lambda: order_settled.send(sender=Order, order=order, schema_name=connection.schema_name))
    _notify(order, "delivered")


def _reverse(order: Order, attempt: OrderAttempt, *, reason: str, source: str, now: datetime) -> None:
    """The provider reversed a delivered order: undo the settlement, money back to the wallet."""
    _lock_buyer(order)  # fault-injection fix (issue 11): buyer, then wallet, as in purchase_create
    quote = attempt.quote
    debit = [Line(split.account, -split.amount) for split in _splits(quote, order.currency) if split.amount]
    post_entry(entry_type=EntryTypes.REVERSAL, reference=order.reference,
               lines=[*debit, Line(order.hold.wallet, int(quote["price_minor"]))],
               metadata={"order": str(order.public_id), "reason": reason, **_tax_metadata(quote)})
    from tenant_apps.kyc.services import kyc_release_spend

    kyc_release_spend(user=order.user, reference=order.reference)  # refunded: it no longer counts today
    _record(order, OrderStatus.REVERSED, reason=reason or "reversed by the provider", source=source, now=now)
    reseller_hooks.sale_reversed(order=order, quote=quote)  # HOOK: claw back, float draw reversed
    transaction.on_commit(lambda: order_reversed.send(sender=Order, order=order, schema_name=connection.schema_name))
    _notify(order, "reversed")


def _schedule_requery(order: Order, *, now: datetime, decide_at: datetime | None = None) -> None:
    """Next requery of the current attempt, from its own backoff step (``requery_count`` counts the
    current attempt's requeries only). ``decide_at``: the moment the next answer becomes decisive (the
    end of the unknown-request grace): the requery is not put off past it."""
    backoff = settings.ORDERS_REQUERY_BACKOFF_SECONDS
    delay = backoff[min(order.requery_count, len(backoff) - 1)]
    if decide_at is not None and decide_at > now:
        delay = min(delay, (decide_at - now).total_seconds() + 1)
    order.next_requery_at = now + timedelta(seconds=delay)
    _on_commit_task(_tasks().order_requery_task, order.pk, countdown=delay)


def order_apply_provider_result(*, request_id: str, outcome: Outcome, source: str) -> Order | None:
    """Apply one provider answer to its order, under the order's row lock.

    Idempotent by (order, final status): repeating an answer changes nothing; answers
    may arrive in any order (submit reply, requery, webhooks, staff).
    """
    now = timezone.now()
    with transaction.atomic():
        order = (Order.objects.select_for_update(of=("self",)).select_related("user", "hold__wallet")  # lock: subject
                 .filter(attempts__request_id=request_id).first())
        if order is None:
            logger.warning("provider result for unknown request id %s (%s)", request_id, source)
            return None
        attempt = OrderAttempt.objects.get(request_id=request_id)
        order._metrics_provider = attempt.plugin_key  # type: ignore[attr-defined]
        current = attempt.number == order.attempt_count
        open_states = (OrderStatus.SUBMITTED, OrderStatus.PENDING, OrderStatus.MANUAL_REVIEW)
        attempt_fields = ["status", "answered_at", "reason", "provider_code", "provider_reference"]
        attempt.answered_at = now
        attempt.provider_code = outcome.provider_code[:20]
        if outcome.provider_reference:
            attempt.provider_reference = outcome.provider_reference[:100]

        if outcome.status == OutcomeStatus.PENDING:
            if attempt.status == AttemptStatus.SUBMITTING:
                attempt.status, attempt.reason = AttemptStatus.PENDING, outcome.reason[:60]
                attempt.save(update_fields=attempt_fields)
            if current and order.status == OrderStatus.SUBMITTED:
                _record(order, OrderStatus.PENDING, reason=outcome.reason, source=source, now=now)
                _delete_outbox(order)
                _schedule_requery(order, now=now)
                order.save()
            if outcome.fault:
                transaction.on_commit(lambda: routing.breaker_record_failure(attempt.provider_id))
            return order

        if outcome.status == OutcomeStatus.SUCCESS:
            was_final = attempt.status == AttemptStatus.SUCCEEDED
            attempt.status, attempt.reason = AttemptStatus.SUCCEEDED, ""
            attempt.save(update_fields=attempt_fields)
            transaction.on_commit(lambda: routing.breaker_record_success(attempt.provider_id))
            order.provider_reference = outcome.provider_reference or order.provider_reference
            order.token, order.units = outcome.token or order.token, outcome.units or order.units
            order.receipt_details = _receipt_details(order, attempt, outcome)
            if order.status in open_states and current:
                _settle(order, attempt, outcome, source=source, now=now)
            elif order.status == OrderStatus.RELEASED and not was_final:
                _late_charge(order, attempt, source=source, now=now)
            elif order.status in open_states and not current:
                order.needs_review = True  # an earlier provider delivered after failing: two deliveries?
                logger.error("order %s: attempt %s succeeded after fail-over", order.reference, attempt.number)
            order.save()
            return order

        # FAILED (definite)
        was_success = attempt.status == AttemptStatus.SUCCEEDED
        if attempt.status != AttemptStatus.FAILED:
            attempt.status, attempt.reason = AttemptStatus.FAILED, outcome.reason[:60]
            attempt.save(update_fields=attempt_fields)
        if outcome.fault:
            transaction.on_commit(lambda: routing.breaker_record_failure(attempt.provider_id))
        if order.status in open_states and current:
            _record(order, OrderStatus.FAILED, reason=outcome.reason or "provider_failed", source=source, now=now)
            next_attempt = _start_attempt(order, now=now, source=source) if outcome.failover else None
            if next_attempt is not None:
                order.next_requery_at = None
                OrderOutbox.objects.update_or_create(order=order, defaults={"created_at": now, "enqueued_at": now})
                _on_commit_task(_tasks().order_submit_task, order.pk)
            else:
                _fail_and_release(order, reason=outcome.reason or "provider_failed", source=source, now=now)
            order.save()
        elif order.status == OrderStatus.SETTLED and was_success:
            _reverse(order, attempt, reason=outcome.reason, source=source, now=now)
            order.save()
        return order


# --- requery ------------------------------------------------------------------------------------
def _requery_outcome(order: Order, attempt: OrderAttempt, *, now: datetime, unknown_fails: bool = True) -> Outcome:
    """Ask the provider about the attempt; an unknown request id past the grace is a definite failure
    (``unknown_fails``; a webhook's confirmation never decides that: the order may already be settled)."""
    product = Product.objects.select_related("provider").get(pk=attempt.provider_product_id)
    plugin = product.provider.plugin_key
    try:
        _, connector, _ = _connector(product.provider, _capability(product.product_type))
        with _archived(order, attempt, product.provider, "requery"), \
                metrics.time_provider_call(provider=plugin, operation="requery"):
            outcome = _outcome_from_result(connector.requery(attempt.request_id))
        metrics.record_provider_request(provider=plugin, operation="requery", outcome="ok")
    except ProviderError as exc:
        metrics.record_provider_request(provider=plugin, operation="requery",
                                        outcome="timeout" if isinstance(exc, ProviderTimeout) else "error")
        outcome = Outcome(OutcomeStatus.PENDING, reason=exc.code)
    except Exception:
        metrics.record_provider_request(provider=plugin, operation="requery", outcome="error")
        logger.exception("order %s: requery crashed", order.reference)
        outcome = Outcome(OutcomeStatus.PENDING, reason="internal_error")
    grace = timedelta(seconds=settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS)
    if unknown_fails and outcome.status == OutcomeStatus.PENDING and outcome.reason == "unknown_request_id" \
            and attempt.created_at < now - grace:
        # The provider never received it (and the grace covers a submit still in flight): a definite failure.
        outcome = Outcome(OutcomeStatus.FAILED, reason="not_received_by_provider", provider_code=outcome.provider_code)
    return outcome


def order_requery(*, order_id: int) -> Order | None:
    """Ask the provider again about a pending order (task body); schedules the next try or manual review."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.PENDING:
        return order
    attempt = _current_attempt(order)
    now = timezone.now()
    outcome = _requery_outcome(order, attempt, now=now)
    order = order_apply_provider_result(request_id=attempt.request_id, outcome=outcome, source="requery")
    if outcome.status != OutcomeStatus.PENDING:
        return order
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)  # lock: subject
        if order.status != OrderStatus.PENDING:
            return order
        order.requery_count += 1
        age = (now - order.created_at).total_seconds()
        if order.requery_count >= settings.ORDERS_REQUERY_MAX or age >= settings.ORDERS_MANUAL_REVIEW_AFTER_SECONDS:
            _record(order, OrderStatus.MANUAL_REVIEW, reason=f"still pending after {order.requery_count} requeries",
                    source="requery", now=now)
            order.needs_review, order.next_requery_at = True, None
        else:
            decide_at = None
            if outcome.reason == "unknown_request_id" and order.attempt_count == attempt.number:
                # Never received so far: the first requery after the grace decides (fail-over or refund).
                decide_at = attempt.created_at + timedelta(seconds=settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS)
            _schedule_requery(order, now=now, decide_at=decide_at)
        order.save()
    return order


def order_resolve_manually(*, order: Order, delivered: bool, note: str = "") -> Order | None:
    """Staff decision on a manual-review order after checking the provider's statement."""
    attempt = _current_attempt(order)
    if attempt is None:
        raise ApiError("This order never reached a provider.", code="not_submitted")
    outcome = Outcome(OutcomeStatus.SUCCESS if delivered else OutcomeStatus.FAILED,
                      reason=("staff: " + note)[:60] if note else "staff_decision", failover=False)
    return order_apply_provider_result(request_id=attempt.request_id, outcome=outcome, source="staff")


# --- staff (the manual-review queue) ------------------------------------------------------------
class StaffAction:
    """Audit actions of the staff order API (``audit.AuditEvent.action``)."""

    REQUERY = "order_staff_requery"
    RESOLVE = "order_staff_resolved"


REQUERYABLE = (OrderStatus.SUBMITTED, OrderStatus.PENDING, OrderStatus.MANUAL_REVIEW)


def order_staff_requery(*, order: Order, actor: Any, request: Any = None) -> Order:
    """Staff: ask the provider now and apply its answer (a pending answer changes nothing; never a failure).

    Works on submitted, pending and manual-review orders; 409 ``order_not_open`` otherwise. Audited.
    """
    from tenant_apps.audit.services import audit_record

    if order.status not in REQUERYABLE:
        raise ApiError("This order is already final.", code="order_not_open", status_code=409)
    attempt = _current_attempt(order)
    if attempt is None:
        raise ApiError("This order never reached a provider.", code="not_submitted", status_code=409)
    before = order.status
    outcome = _requery_outcome(order, attempt, now=timezone.now())
    # An answer for a manual-review order is final (success or a definite failure): no fail-over to
    # another provider after this long, the money comes back instead.
    if outcome.status == OutcomeStatus.FAILED and before == OrderStatus.MANUAL_REVIEW:
        outcome = Outcome(OutcomeStatus.FAILED, reason=outcome.reason, provider_code=outcome.provider_code,
                          failover=False, fault=outcome.fault)
    updated = order_apply_provider_result(request_id=attempt.request_id, outcome=outcome, source="staff_requery")
    if updated.status in FINAL_STATUSES and updated.needs_review and before == OrderStatus.MANUAL_REVIEW:
        updated.needs_review = False
        updated.save(update_fields=["needs_review"])
    audit_record(action=StaffAction.REQUERY, request=request, actor=actor, subject_type="order",
                 subject_id=str(order.public_id),
                 details={"answer": str(outcome.status), "reason": outcome.reason,
                          "provider_code": outcome.provider_code, "from": before, "to": updated.status})
    return updated


def order_staff_resolve(*, order: Order, delivered: bool, note: str, actor: Any, request: Any = None) -> Order:
    """Staff decision on a manual-review order, after checking the provider's statement. Audited.

    ``delivered``: the hold is settled (the customer paid, the provider is owed); otherwise the
    hold goes back to the wallet. Only for ``manual_review`` orders (409 ``order_not_in_review``),
    checked under the order's row lock so two staff decisions (or a webhook) cannot both apply.
    """
    from tenant_apps.audit.services import audit_record

    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)  # lock: subject
        if locked.status != OrderStatus.MANUAL_REVIEW:
            raise ApiError("This order is not waiting for a staff decision.", code="order_not_in_review",
                           status_code=409, fields={"status": [locked.status]})
        resolved = order_resolve_manually(order=locked, delivered=delivered, note=note)
        resolved.needs_review = False
        resolved.save(update_fields=["needs_review"])
        audit_record(action=StaffAction.RESOLVE, request=request, actor=actor, subject_type="order",
                     subject_id=str(order.public_id),
                     details={"delivered": delivered, "note": note[:200], "to": resolved.status,
                              "price_minor": resolved.price_minor, "currency": resolved.currency})
    return resolved


# --- webhooks -----------------------------------------------------------------------------------
class WebhookRejected(Exception):
    def __init__(self, status_code: int, code: str) -> None:
        super().__init__(code)
        self.status_code, self.code = status_code, code


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def order_handle_callback(*, plugin_key: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """Authenticate a provider webhook, find what we sent to THAT provider, verify, apply; returns (status, body).

    The callback binding (shared_apps.providers.callbacks; issue 14): the signature is checked with the
    credentials of this plugin's registry rows in the tenant's country; the attempt is looked up among
    those sent to the rows that authenticated it (an MTN-signed body naming a VTPass request id finds
    nothing); and whatever the callback says, the provider that received the attempt is asked (requery)
    before anything moves: a callback is a hint, the requery's answer is what gets applied.
    """
    providers = callback_providers(plugin_key=plugin_key, country=_country())
    if not providers:
        refuse(plugin_key, "unknown_provider")
        raise WebhookRejected(404, "unknown_provider")
    plugin = get_plugin(plugin_key)

    def check(provider: Provider) -> tuple[Any, Any]:
        parser = plugin.callbacks(provider_config(provider=provider, session=_http_session()))
        return parser, parser.parse(body=body, headers=headers)

    try:
        (parser, update), source = authenticate(plugin_key=plugin_key, providers=providers, check=check)
    except SignatureError:
        logger.warning("webhook %s: bad signature (tenant %s)", plugin_key, connection.schema_name)
        raise WebhookRejected(401, "bad_signature") from None
    except ProviderError as exc:
        logger.warning("webhook %s: unreadable (%s)", plugin_key, exc.code)
        raise WebhookRejected(400, "bad_payload") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Whatever a plugin's parser trips on (a refused amount is an AmountError, a ValueError) is the
        # sender's malformed body, never a 500: the same rule as the gateway webhooks.
        logger.warning("webhook %s: unreadable (%s)", plugin_key, type(exc).__name__)
        raise WebhookRejected(400, "bad_payload") from None
    ack = parser.acknowledgement()
    if update is None:
        return ack.status_code, ack.body
    attempt = bound(OrderAttempt.objects.select_related("order"), source=source, request_id=update.request_id)
    if attempt is None:
        logger.warning("webhook %s: no attempt of this provider has that request id", plugin_key)
        return ack.status_code, ack.body
    if update.provider_reference and attempt.provider_reference \
            and update.provider_reference != attempt.provider_reference:
        logger.warning("webhook %s: the callback's provider reference is not the attempt's", plugin_key)
        refuse(plugin_key, "reference_mismatch", kind="orders.orderattempt")
        raise WebhookRejected(400, "reference_mismatch")
    order = attempt.order
    if update.recipient and plugin_key != "vtpass":
        expected = _digits(order.recipient_phone) if order.product_type not in BILL_TYPES else order.customer_number
        got = _digits(update.recipient)
        if got and expected and not (expected.endswith(got[-9:]) or got.endswith(expected[-9:])):
            refuse(plugin_key, "recipient_mismatch", kind="orders.orderattempt")
            raise WebhookRejected(400, "recipient_mismatch")
    # Verify with the provider that received the attempt (its own registry row) before value moves.
    outcome = _requery_outcome(order, attempt, now=timezone.now(), unknown_fails=False)
    if outcome.status != OutcomeStatus.PENDING and outcome.status != OutcomeStatus(update.status):
        logger.info("webhook %s: the provider's status lookup differs from the callback; applying the lookup",
                    plugin_key)
    if update.provider_reference and outcome.provider_reference \
            and outcome.provider_reference != update.provider_reference:
        # The provider's own record of our request id is another transaction: the callback lied.
        logger.warning("webhook %s: provider reference not confirmed by the status lookup", plugin_key)
        refuse(plugin_key, "reference_mismatch", kind="orders.orderattempt")
        raise WebhookRejected(400, "reference_mismatch")
    order_apply_provider_result(request_id=attempt.request_id, outcome=outcome, source="webhook+requery")
    return ack.status_code, ack.body


# --- sweeper ------------------------------------------------------------------------------------
def orders_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Re-enqueue stranded outbox rows and overdue requeries in the current schema."""
    now = now or timezone.now()
    tasks = _tasks()
    stale = now - timedelta(seconds=settings.ORDERS_OUTBOX_STALE_SECONDS)
    resent = 0
    for row in OrderOutbox.objects.filter(enqueued_at__lt=stale).order_by("enqueued_at")[:500]:
        OrderOutbox.objects.filter(pk=row.pk).update(enqueued_at=now, enqueue_count=row.enqueue_count + 1)
        tasks.order_submit_task.apply_async(args=(row.order_id,))
        resent += 1
    overdue = now - timedelta(seconds=settings.ORDERS_OUTBOX_STALE_SECONDS)
    requeried = 0
    for order_id in Order.objects.filter(status=OrderStatus.PENDING, next_requery_at__lt=overdue) \
            .values_list("pk", flat=True)[:500]:
        Order.objects.filter(pk=order_id).update(next_requery_at=now)
        tasks.order_requery_task.apply_async(args=(order_id,))
        requeried += 1
    return {"resubmitted": resent, "requeried": requeried}


def orders_sweep_all_tenants(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    from django_tenants.utils import schema_context

    from tenants.selectors import tenant_list

    results = {}
    for tenant in tenant_list():
        with schema_context(tenant.schema_name):
            results[tenant.schema_name] = orders_sweep(now=now)
    return results


# --- notifications ---------------------------------------------------------------------------------
# Texts: tenant_apps/notifications/templates/notifications/order_<event>.sms.txt (branded, per language).
ORDER_EVENTS = frozenset({"delivered", "refunded", "reversed"})


def order_notify(*, order_id: int, event: str) -> None:
    """Text the buyer about an order's outcome (task body; never on the purchase hot path)."""
    from tenant_apps.notifications.messages import notify_sms

    order = Order.objects.select_related("user").filter(pk=order_id).first()
    phone = getattr(order.user, "phone", "") if order else ""
    if not phone or event not in ORDER_EVENTS:
        return
    notify_sms(to=phone, template=f"order_{event}", purpose=f"order_{event}", user=order.user,
               secrets=[order.token] if order.token else None,
               context={"product": order.product_name, "recipient": order.customer_number or order.recipient_phone,
                        "token": order.token, "units": order.units, "ref": order.public_id.hex[:10],
                        "amount": order.price_minor, "currency": order.currency})


def hold_of(order: Order) -> Hold | None:
    return order.hold
