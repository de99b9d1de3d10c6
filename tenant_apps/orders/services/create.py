"""Creating a purchase: the product and recipient checked, the biller's verification (asked before any money
transaction), then, inside the caller's transaction (the idempotency row's): the price, the risk gate, the
order row + hold (wallet -> holds) + recorded transitions + outbox row in one INSERT, the reseller hook; the
outbox row wakes the dispatchers at commit (tenant_apps.orders.dispatch). A purchase a risk rule held waits
for an operator (release or reject)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from countries.errors import InvalidPhoneNumber
from countries.registry import get_adapter
from provider_plugins.interfaces import CustomerVerificationRequest, ProviderError, UserFixableError
from provider_plugins.registry import get_plugin
from shared_apps.catalog.models import Product, ProductType
from shared_apps.catalog.selectors import sellable_product
from shared_apps.core.errors import ApiError
from shared_apps.providers.messages import user_message
from tenant_apps.agents import sales as reseller_hooks  # call-outs in the sale's transactions
from tenant_apps.agents.services import sale_preflight
from tenant_apps.idempotency.services import OneCall, StoredResponse
from tenant_apps.ledger.models import AccountKind
from tenant_apps.pricing.quotes import quote_price
from tenant_apps.risk.gate import MoneyMove
from tenant_apps.risk.models import Flow

from .. import acceptance, errors, routing
from ..models import Order, OrderOutbox, OrderStatus
from ._helpers import BILL_TYPES, _connector, _country, _quote_dict, _sale, _system_account
from .outcomes import _fail_and_release, order_quote_taxes

logger = logging.getLogger(__name__)


def active_product(*, product_id: Any) -> Product:
    """The sellable product ``product_id`` of the tenant's country (ProductNotFound otherwise): a purchase's and a
    subscription's first check."""
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        raise errors.ProductNotFound(fields={"product_id": [gettext("Unknown product.")]}) from None
    product = sellable_product(product_id=product_id)  # per-process memo, invalidated by the catalogue version
    if product is None or product.country != _country():
        raise errors.ProductNotFound(fields={"product_id": [gettext("Unknown product.")]})
    return product


def _sandbox_recipient(product: Product, recipient_phone: str) -> str:
    """A provider's documented test number, let through only for a tenant in sandbox mode and only for
    that provider's own products (VTPass 08011111111, 201000000000, ...); ``""`` otherwise."""
    tenant = getattr(connection, "tenant", None)
    if not getattr(tenant, "sandbox_mode", False):
        return ""
    number = "".join(ch for ch in str(recipient_phone or "") if ch.isdigit())
    return number if number and number in get_plugin(product.provider.plugin_key).sandbox_recipients else ""


def validated_recipient(*, product: Product, recipient_phone: str) -> str:
    """The recipient phone of a sale of ``product``, normalised by the product's country (a sandbox tenant's test
    number as is); InvalidRecipient, or RecipientNetworkMismatch when it is on another network than the product's."""
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
            # Networks by their display name (Orange, MTN, Moov Africa), never the catalogue's key upper-cased.
            names = {"network": adapter.network_name(network) if network else gettext("an unknown network"),
                     "operator": adapter.network_name(expected) or product.operator}
            raise errors.RecipientNetworkMismatch(
                gettext("This number is on %(network)s, not %(operator)s; choose a product of that network.") % names,
                fields={"recipient_phone": [gettext("This number is not on the %(operator)s network.") % names]})
    return phone


@dataclass(frozen=True)
class CustomerCheck:
    customer_number: str
    name: str
    address: str
    minimum_amount_minor: int | None
    extra: dict


def purchase_check(*, product_id: Any, customer_number: str) -> CustomerCheck:
    """What a page shows before "Pay": the biller's answer where the product is verified (:func:`purchase_verify`),
    else the number as typed with no name (the biller has no lookup, e.g. Reloadly's Utility Payments API; the
    purchase then goes ahead without one, as ``POST /api/purchase`` does)."""
    if purchase_needs_verification(product_id=product_id):
        return purchase_verify(product_id=product_id, customer_number=customer_number)
    active_product(product_id=product_id)  # unknown or withdrawn: product_not_found, as the verified path
    number = "".join(ch for ch in str(customer_number or "") if ch.isalnum())
    if not number:
        raise errors.CustomerNumberRequired(fields={"customer_number": [gettext("Required.")]})
    return CustomerCheck(customer_number=number, name="", address="", minimum_amount_minor=None, extra={})


def purchase_verify(*, product_id: Any, customer_number: str) -> CustomerCheck:
    """Ask the biller who the meter/smartcard belongs to (name, address), before any money moves."""
    product = active_product(product_id=product_id)
    if product.product_type not in BILL_TYPES:
        raise ApiError(gettext("Only meters and smartcards are verified."), code="verification_not_applicable",
                       fields={"product_id": [gettext("Not a bill product.")]})
    number = "".join(ch for ch in str(customer_number or "") if ch.isalnum())
    if not number:
        raise errors.CustomerNumberRequired(fields={"customer_number": [gettext("Required.")]})
    _, connector, _ = _connector(product.provider, product.product_type)
    try:
        details = connector.verify_customer(CustomerVerificationRequest(
            biller_code=product.biller_code, customer_number=number, variation=product.variation))
    except UserFixableError as exc:
        raise errors.InvalidCustomer(user_message(exc),
                                     fields={"customer_number": [gettext("Not found by the biller.")]}) from None
    except ProviderError as exc:
        if exc.code == "verification_not_offered":  # a property of the biller's API, not an outage
            raise errors.VerificationNotOffered(fields={"customer_number": [
                gettext("The biller cannot confirm the customer: check the number.")]}) from None
        logger.warning("verification unavailable at provider %s", product.provider_id, exc_info=True)
        raise errors.VerificationUnavailable() from None
    return CustomerCheck(customer_number=details.customer_number or number, name=details.name,
                         address=details.address, minimum_amount_minor=details.minimum_amount_minor,
                         extra=dict(details.extra))


def _purchase_target(product_id: Any, recipient_phone: str, customer_number: str, *,
                     product: Product | None = None) -> tuple[Product, str, str]:
    """The product, the normalised recipient phone and customer number of a purchase (ApiError: the buyer fixes).

    ``product``: what :func:`purchase_product` answered for ``product_id`` earlier in the same request (else read)."""
    if product is None or product.pk != product_id:
        product = active_product(product_id=product_id)
    phone = validated_recipient(product=product, recipient_phone=recipient_phone)
    if product.product_type not in BILL_TYPES:
        return product, phone, ""
    customer_number = "".join(ch for ch in str(customer_number or "") if ch.isalnum())
    if not customer_number and not product.customer_number_label:
        customer_number = "".join(ch for ch in phone if ch.isdigit())  # e.g. a WAEC PIN sent to the phone
    if not customer_number:
        raise errors.CustomerNumberRequired(fields={"customer_number": [gettext("Required.")]})
    return product, phone, customer_number


def purchase_product(*, product_id: Any) -> Product | None:
    """:func:`active_product`, None for an error (``purchase_create`` answers it): the API reads the product once
    per request, for the name check's question and then for ``purchase_create(product=...)``."""
    try:
        return active_product(product_id=product_id)
    except ApiError:
        return None


def product_needs_verification(product: Product) -> bool:
    """Whether a purchase of ``product`` asks the biller who the customer is."""
    return product.product_type in BILL_TYPES and product.requires_verification


def purchase_needs_verification(*, product_id: Any) -> bool:
    """Whether a purchase of ``product_id`` asks the biller who the customer is (no statement: memoised product)."""
    product = purchase_product(product_id=product_id)
    return product is not None and product_needs_verification(product)


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


@overload
def purchase_create(*, user, product_id: Any, recipient_phone: str, amount_minor: int | None = None,
                    customer_number: str = "", confirm_duplicate: bool = False, dedupe_key: str | None = None,
                    subscription_id: int | None = None, source: str = "api",
                    details: dict[str, str] | None = None, verified_name: str | None = None,
                    once: None = None, render: Callable[[Order], StoredResponse] | None = None,
                    product: Product | None = None) -> Order: ...


@overload
def purchase_create(*, user, product_id: Any, recipient_phone: str, amount_minor: int | None = None,
                    customer_number: str = "", confirm_duplicate: bool = False, dedupe_key: str | None = None,
                    subscription_id: int | None = None, source: str = "api",
                    details: dict[str, str] | None = None, verified_name: str | None = None,
                    once: OneCall, render: Callable[[Order], StoredResponse] | None = None,
                    product: Product | None = None) -> Order | None: ...


def purchase_create(*, user, product_id: Any, recipient_phone: str, amount_minor: int | None = None,
                    customer_number: str = "", confirm_duplicate: bool = False, dedupe_key: str | None = None,
                    subscription_id: int | None = None, source: str = "api",
                    details: dict[str, str] | None = None, verified_name: str | None = None,
                    once: OneCall | None = None, render: Callable[[Order], StoredResponse] | None = None,
                    product: Product | None = None) -> Order | None:
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
    transaction (:func:`purchase_verified_name`); None: asked here (a caller not moved yet). ``product``: what
    :func:`purchase_product` answered for ``product_id`` earlier in the same request (None: read here).
    """
    product, phone, customer_number = _purchase_target(product_id, recipient_phone, customer_number,
                                                       product=product)
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
    breakdown = _quote_dict(quote)  # once: the order keeps it, its tax lines come from it
    order = Order(public_id=public_id, user=user, product_id=product.pk, product_type=product.product_type,
                  product_name=product.name, operator=product.operator, recipient_phone=phone,
                  customer_number=customer_number, customer_name=customer_name, currency=quote.currency,
                  face_value_minor=quote.face_value_minor, price_minor=quote.price_minor,
                  quote=breakdown, status=OrderStatus.HELD, dedupe_key=dedupe_key,
                  receipt_details=receipt_details, tax_lines=list(order_quote_taxes(breakdown)),
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
        hooks=(lambda accepted_order: reseller_hooks.sale_accepted(sale=_sale(accepted_order, accepted_order.quote)))
        if acceptance.needs_hooks(user=user, quote=quote) else None)
    # A new outbox row NOTIFYs the dispatchers at commit (trigger orders_outbox_ready): they send it.
    return accepted.order


def _masked(value: str) -> str:
    return value[:4] + "*" * max(len(value) - 7, 0) + value[-3:] if len(value) > 7 else value


def order_risk_release(*, order_id: int) -> Order:
    """An operator released a purchase a risk rule held: it is queued for its provider now (the outbox row
    wakes the dispatchers at commit)."""
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)  # lock: subject
        if order.status != OrderStatus.HELD or not order.needs_review:
            raise ApiError(gettext("This purchase is not held for review."), code="review_closed", status_code=409)
        order.needs_review = False
        order.save(update_fields=["needs_review", "updated_at"])
        OrderOutbox.objects.create(order=order, created_at=now, enqueued_at=now)
    return order


INSURANCE_DETAILS = ("Insured_Name", "engine_capacity", "Chasis_Number", "vehicle_make", "vehicle_color",
                     "vehicle_model", "YearofMake", "state", "lga", "email")


def _insurance_details(details: dict[str, str] | None) -> dict[str, str]:
    """The vehicle and owner a third-party motor policy covers (names as VTPass documents them)."""
    details = details or {}
    clean = {name: str(details.get(name) or "").strip()[:80] for name in INSURANCE_DETAILS}
    missing = [name for name, value in clean.items() if not value]
    if missing:
        raise ApiError(gettext("The policy needs the vehicle and its owner."), code="details_required",
                       fields={f"details.{name}": ["Required."] for name in missing})
    return clean


def order_risk_reject(*, order_id: int, note: str = "") -> Order:
    """An operator rejected a held purchase: the hold goes back to the buyer (refunded, never sent)."""
    now = timezone.now()
    with transaction.atomic():
        # lock: subject
        order = Order.objects.select_for_update(of=("self",)).select_related("user", "hold").get(pk=order_id)
        if order.status != OrderStatus.HELD or not order.needs_review:
            raise ApiError(gettext("This purchase is not held for review."), code="review_closed", status_code=409)
        order.needs_review = False
        _fail_and_release(order, reason=("risk_rejected: " + note)[:60] if note else "risk_rejected",
                          source="staff", now=now)
        order.save()
    return order
