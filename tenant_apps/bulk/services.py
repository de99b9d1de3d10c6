"""Bulk top-ups: upload (preview), confirm once, place one order per row, sweep, results.

* :func:`bulk_upload` reads the file (bounded), checks and prices every row the way a single purchase
  would (the country adapter's number rules and network detection, the catalogue, the strict money rule,
  ``pricing.quote_price``) and stores the batch and its rows: nothing is bought. The same file uploaded
  again by the same user is the same batch (SHA-256 of the content, unique per user).
* :func:`bulk_preview` re-prices the valid rows at today's prices (read-only) and checks the money for
  the whole batch: the buyer's wallet for the total price and, in a reseller brand, the reseller's float
  at its operation for the total cost. ``pricing_version`` names that pricing.
* :func:`bulk_confirm` (once: 409 afterwards) re-prices under the batch's row lock, refuses when the
  pricing is not the one the person saw (``pricing_version``) or the money does not cover the whole batch
  (422, nothing written), then marks the batch processing and enqueues :func:`bulk_process` on commit.
* :func:`bulk_process` (the Celery task's body) takes the next waiting row under ``SKIP LOCKED`` and places
  its order through ``orders.services.purchase_create`` — the API's purchase service, with a dedupe key per
  (batch, line), so a row is ordered once whatever runs it, however often — and records the result in the
  same transaction. A refusal (funds, limits, a product gone) is that row's result. The batch's heartbeat
  moves with every row; :func:`bulk_sweep` (beat) enqueues again a processing batch whose heartbeat stopped
  (its worker died): it resumes at the next waiting row.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status

from countries.errors import InvalidPhoneNumber
from countries.registry import display_minor, get_adapter
from shared_apps.catalog.models import Product, ProductType
from shared_apps.catalog.selectors import products_for_listing
from shared_apps.core.amounts import InvalidAmount, parse_amount
from shared_apps.core.enqueue import enqueue
from shared_apps.core.errors import ApiError
from tenant_apps.agents.floats import current_tenant, serving_tenant
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string
from tenant_apps.ledger.services import wallet_for
from tenant_apps.orders.routing import is_cross_network, operator_network
from tenant_apps.orders.serializers import PLAIN_STATUS
from tenant_apps.pricing.engine import TenantPricing, load_tenant_pricing
from tenant_apps.pricing.quotes import PriceQuote, quote_price

from .csvfile import CsvLine, read_topups, write_rows
from .models import BatchStatus, BulkBatch, BulkRow, RowStatus

logger = logging.getLogger(__name__)

SELLABLE = (ProductType.AIRTIME, ProductType.DATA)


class FileTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "file_too_large"
    message = gettext_lazy("The file is too large.")


class BatchAlreadyConfirmed(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "batch_already_confirmed"
    message = gettext_lazy("This batch was already confirmed.")


class NothingToBuy(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "nothing_to_buy"
    message = gettext_lazy("No row of this file can be bought.")


class PricesChanged(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "prices_changed"
    message = gettext_lazy("The prices changed since the preview. Look at the new total and confirm again.")


class BatchFundsShort(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "insufficient_funds"
    message = gettext_lazy("The wallet does not hold enough funds for the whole batch.")


class BatchFloatShort(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "insufficient_float"
    message = gettext_lazy("The reseller's float at its operator cannot cover the whole batch.")


# --- checking and pricing rows -------------------------------------------------------------------
@dataclass
class RowCheck:
    status: str
    recipient_phone: str = ""
    network: str = ""
    product: Product | None = None
    amount_minor: int | None = None
    quote: PriceQuote | None = None
    error_code: str = ""
    error_message: str = ""


def _refused(code: str, message: Any, **known: Any) -> RowCheck:
    return RowCheck(status=RowStatus.INVALID, error_code=code, error_message=str(message)[:200], **known)


class Pricer:
    """Everything a batch's rows need, loaded once: the adapter, the products on sale, the tenant's pricing
    (a reseller's with its parent's), and the quotes already made (files repeat the same products)."""

    def __init__(self, *, user) -> None:
        self.user = user
        self.country = serving_tenant().country
        self.adapter = get_adapter(self.country)
        self.pricing: TenantPricing = load_tenant_pricing()
        listing = [product for product in products_for_listing(country=self.country)
                   if product.product_type in SELLABLE]
        self.products = {product.pk: product for product in listing}
        self.airtime: dict[str, Product] = {}  # network -> its airtime product (first in routing order)
        self.any_network_airtime: Product | None = None
        for product in listing:
            if product.product_type != ProductType.AIRTIME or not product.is_open_amount:
                continue
            if is_cross_network(product):
                self.any_network_airtime = self.any_network_airtime or product
            else:
                self.airtime.setdefault(operator_network(product.operator), product)
        self._quotes: dict[tuple[int, int | None], PriceQuote | ApiError] = {}

    def quote(self, product: Product, amount_minor: int | None) -> PriceQuote:
        key = (product.pk, amount_minor)
        if key not in self._quotes:
            try:
                self._quotes[key] = quote_price(product=product, amount_minor=amount_minor, buyer=self.user,
                                                pricing=self.pricing)
            except ApiError as error:
                self._quotes[key] = error
        found = self._quotes[key]
        if isinstance(found, ApiError):
            raise found
        return found

    def check(self, line: CsvLine) -> RowCheck:
        """One line as the purchase service would see it: the number, its network, the product, the amount,
        the price. Refusals carry a stable code and a message in the uploader's language."""
        if line.too_long:
            return _refused("cell_too_long", _("A cell of this line is too long."))
        if not line.number:
            return _refused("number_required", _("The number is missing."))
        try:
            phone = self.adapter.normalize_phone(line.number)
        except InvalidPhoneNumber:
            return _refused("invalid_number", _("This is not a valid mobile number here."))
        network = self.adapter.detect_network(phone) or ""
        known: dict[str, Any] = {"recipient_phone": phone, "network": network}
        if line.product:
            product = self.products.get(int(line.product)) if line.product.isascii() and line.product.isdigit() \
                and len(line.product) <= 18 else None
            if product is None:
                return _refused("unknown_product", _("No airtime or data product on sale has this number."), **known)
            if not is_cross_network(product) and operator_network(product.operator) != network:
                name = self.adapter.network_name(network) or _("another network")
                return _refused("network_mismatch", _("This number is on %(network)s, not %(operator)s.")
                                % {"network": name, "operator": product.operator.upper()}, **known)
        else:
            if not line.amount:
                return _refused("product_or_amount_required", _("Give a product or an amount."), **known)
            product = self.airtime.get(network) or self.any_network_airtime
            if product is None:
                return _refused("no_airtime_for_network", _("No airtime is on sale for this number's network."),
                                **known)
        known["product"] = product
        amount = None
        if line.amount:
            try:
                amount = parse_amount(line.amount, currency=product.currency)
            except InvalidAmount as error:
                return _refused("invalid_amount", "; ".join(error.fields.get("amount", [str(error.message)])),
                                **known)
            if not product.is_open_amount:
                if amount != product.face_value_minor:
                    return _refused("amount_not_applicable",
                                    _("This bundle has a fixed price: leave the amount empty."), **known)
                amount = None
        elif product.is_open_amount:
            return _refused("amount_required", _("Give the amount to top up."), **known)
        known["amount_minor"] = amount
        try:
            quote = self.quote(product, amount)
        except ApiError as error:
            return _refused(error.code, _(str(error.message)), **known)
        return RowCheck(status=RowStatus.READY, quote=quote, **known)

    def recheck(self, row: BulkRow) -> RowCheck:
        """A stored valid row at today's catalogue and prices."""
        product = self.products.get(row.product_id) if row.product_id is not None else None
        known: dict[str, Any] = {"recipient_phone": row.recipient_phone, "network": row.network,
                                 "amount_minor": row.amount_minor}
        if product is None:
            return _refused("product_unavailable", _("This product is no longer on sale."), **known)
        try:
            quote = self.quote(product, row.amount_minor if product.is_open_amount else None)
        except ApiError as error:
            return _refused(error.code, _(str(error.message)), product=product, **known)
        return RowCheck(status=RowStatus.READY, product=product, quote=quote, **known)


def _apply(row: BulkRow, check: RowCheck) -> None:
    row.status, row.error_code, row.error_message = check.status, check.error_code, check.error_message
    row.recipient_phone, row.network = check.recipient_phone, check.network
    if check.product is not None:
        row.product_id, row.product_name = check.product.pk, check.product.name[:200]
    row.amount_minor = check.amount_minor
    quote = check.quote
    row.face_value_minor = quote.face_value_minor if quote else None
    row.price_minor = quote.price_minor if quote else None
    row.cost_minor = (quote.tenant_cost_minor if quote.tenant_cost_minor is not None else quote.cost_minor) \
        if quote else None


def _refuse_duplicates(rows: list[BulkRow]) -> None:
    """The same top-up twice in one file is almost always a copy-paste slip: the second one is refused."""
    seen: set[tuple] = set()
    for row in rows:
        if row.status != RowStatus.READY:
            continue
        key = (row.recipient_phone, row.product_id, row.amount_minor)
        if key in seen:
            row.status, row.error_code = RowStatus.INVALID, "duplicate_row"
            row.error_message = _("The same top-up is on an earlier line of this file.")[:200]
            row.price_minor = row.cost_minor = None
        seen.add(key)


def _totals(batch: BulkBatch, rows: list[BulkRow]) -> None:
    ready = [row for row in rows if row.status == RowStatus.READY]
    batch.row_count = len(rows)
    batch.valid_count = len(ready)
    batch.total_face_minor = sum(row.face_value_minor or 0 for row in ready)
    batch.total_price_minor = sum(row.price_minor or 0 for row in ready)
    batch.total_cost_minor = sum(row.cost_minor or 0 for row in ready)


# --- upload ---------------------------------------------------------------------------------------
def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def bulk_upload(*, user, file_name: str, content: bytes) -> tuple[BulkBatch, bool]:
    """Store the preview of a file; returns (batch, created). The same file again: the first batch, unchanged."""
    limit = settings.BULK_TOPUP_MAX_FILE_BYTES
    if len(content) > limit:
        raise FileTooLarge(fields={"file": [_("At most %(n)d KiB.") % {"n": limit // 1024}]})
    digest = file_digest(content)
    existing = BulkBatch.objects.filter(user=user, file_sha256=digest).first()
    if existing is not None:
        return existing, False
    lines = read_topups(content, max_rows=settings.BULK_TOPUP_MAX_ROWS)
    pricer = Pricer(user=user)
    now = timezone.now()
    batch = BulkBatch(user=user, file_sha256=digest, file_name=(file_name or "")[:200],
                      currency=tenant_currency().code, created_at=now)
    rows = []
    for line in lines:
        row = BulkRow(line=line.line, raw_number=line.number, raw_product=line.product, raw_amount=line.amount)
        _apply(row, pricer.check(line))
        rows.append(row)
    _refuse_duplicates(rows)
    _totals(batch, rows)
    try:
        with transaction.atomic():
            batch.save(force_insert=True)
            for row in rows:
                row.batch = batch
            BulkRow.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:  # the same file uploaded twice at once: the other upload made the batch
        existing = BulkBatch.objects.filter(user=user, file_sha256=digest).first()
        if existing is None:
            raise
        return existing, False
    return batch, True


# --- preview: today's prices and the money for the whole batch ---------------------------------------
@dataclass(frozen=True)
class FundsCheck:
    currency: str
    needed_minor: int
    wallet_minor: int
    float_needed_minor: int | None = None  # reseller brands: what the float at the operation must cover
    float_minor: int | None = None

    @property
    def enough_wallet(self) -> bool:
        return self.wallet_minor >= self.needed_minor

    @property
    def enough_float(self) -> bool:
        return self.float_needed_minor is None or (self.float_minor or 0) >= self.float_needed_minor

    @property
    def enough(self) -> bool:
        return self.enough_wallet and self.enough_float


@dataclass
class Preview:
    batch: BulkBatch
    rows: list[BulkRow]
    funds: FundsCheck
    pricing_version: str
    by_network: list[dict] = field(default_factory=list)


def funds_for(*, user, currency: str, price_minor: int, cost_minor: int) -> FundsCheck:
    """The buyer's available balance (holds already out) against the batch's total price; a reseller brand's
    float at its operation against the batch's total cost (what the sales would hold there)."""
    wallet = wallet_for(user=user, currency=currency, create=False)
    tenant = current_tenant()
    float_needed = float_minor = None
    if tenant is not None and tenant.kind == "reseller_brand":
        from tenant_apps.agents.floats import float_parent_balance

        float_needed, float_minor = cost_minor, float_parent_balance(reseller=tenant)
    return FundsCheck(currency=currency, needed_minor=price_minor, wallet_minor=wallet.wallet_balance if wallet else 0,
                      float_needed_minor=float_needed, float_minor=float_minor)


def pricing_version(rows: list[BulkRow]) -> str:
    """Names the pricing of the valid rows (line, product, amount, price): the confirmation must match it."""
    text = "|".join(f"{row.line}:{row.product_id}:{row.amount_minor}:{row.price_minor}"
                    for row in rows if row.status == RowStatus.READY)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


PRICED_FIELDS = ("status", "error_code", "error_message", "product_id", "product_name", "amount_minor",
                 "face_value_minor", "price_minor", "cost_minor")


def _reprice(batch: BulkBatch, rows: list[BulkRow], pricer: Pricer) -> list[BulkRow]:
    """Re-check the valid rows at today's catalogue and prices; returns the rows that changed."""
    changed = []
    for row in rows:
        if row.status == RowStatus.READY:
            before = tuple(getattr(row, name) for name in PRICED_FIELDS)
            _apply(row, pricer.recheck(row))
            if tuple(getattr(row, name) for name in PRICED_FIELDS) != before:
                changed.append(row)
    return changed


def _by_network(rows: list[BulkRow], adapter) -> list[dict]:
    groups: dict[str, dict] = defaultdict(lambda: {"rows": 0, "price_minor": 0})
    for row in rows:
        if row.status in (RowStatus.READY, RowStatus.ORDERED):
            group = groups[row.network]
            group["rows"] += 1
            group["price_minor"] += row.price_minor or 0
    return [{"network": key, "name": adapter.network_name(key) or key or "?", **value}
            for key, value in sorted(groups.items())]


def bulk_preview(*, batch: BulkBatch) -> Preview:
    """The batch as it would be bought now (read-only): rows re-priced while it waits for confirmation."""
    rows = list(batch.rows.select_related("order").order_by("line"))
    pricer = Pricer(user=batch.user) if batch.status == BatchStatus.PREVIEW else None
    if pricer is not None:
        _reprice(batch, rows, pricer)
        _totals(batch, rows)
    adapter = get_adapter(serving_tenant().country)
    funds = funds_for(user=batch.user, currency=batch.currency, price_minor=batch.total_price_minor,
                      cost_minor=batch.total_cost_minor)
    return Preview(batch=batch, rows=rows, funds=funds, pricing_version=pricing_version(rows),
                   by_network=_by_network(rows, adapter))


# --- confirm ----------------------------------------------------------------------------------------
def _enqueue(batch_id: int) -> None:
    def send() -> None:
        try:
            enqueue("bulk.process", batch_id)
        except Exception:  # the broker is down: the sweeper enqueues it again
            logger.exception("could not enqueue bulk batch %s", batch_id)

    transaction.on_commit(send)


def bulk_confirm(*, user, batch: BulkBatch, expected_pricing_version: str | None = None) -> BulkBatch:
    """Confirm a previewed batch once: re-price, check the money for the whole batch, start the orders.

    409 ``batch_already_confirmed`` after the first confirmation, 409 ``prices_changed`` when
    ``expected_pricing_version`` is not today's, 422 ``nothing_to_buy`` / ``insufficient_funds`` /
    ``insufficient_float``; nothing is written on a refusal. Call inside a transaction (the idempotency one).
    """
    with transaction.atomic():
        batch = BulkBatch.objects.select_for_update().get(pk=batch.pk, user=user)  # lock: subject
        if batch.status != BatchStatus.PREVIEW:
            raise BatchAlreadyConfirmed()
        rows = list(batch.rows.order_by("line"))
        changed = _reprice(batch, rows, Pricer(user=user))
        version = pricing_version(rows)
        if expected_pricing_version and expected_pricing_version != version:
            raise PricesChanged(fields={"pricing_version": [version]})
        _totals(batch, rows)
        if not batch.valid_count:
            raise NothingToBuy()
        funds = funds_for(user=user, currency=batch.currency, price_minor=batch.total_price_minor,
                          cost_minor=batch.total_cost_minor)
        if not funds.enough_wallet:
            raise BatchFundsShort(fields={"amount": [
                _("The batch costs %(needed)s; the wallet holds %(held)s.") % {
                    "needed": display_minor(funds.needed_minor, funds.currency),
                    "held": display_minor(funds.wallet_minor, funds.currency)}]})
        if not funds.enough_float:
            raise BatchFloatShort(fields={"amount": [_("Insufficient float.")]})
        now = timezone.now()
        if changed:  # usually none: the prices the person confirmed are the ones stored at the upload
            BulkRow.objects.bulk_update(changed, PRICED_FIELDS, batch_size=200)
        batch.status, batch.confirmed_at, batch.heartbeat_at = BatchStatus.PROCESSING, now, now
        batch.enqueue_count += 1
        batch.save()
        _enqueue(batch.pk)
    return batch


# --- processing (the task's body) ----------------------------------------------------------------------
def dedupe_key(batch: BulkBatch, row: BulkRow) -> str:
    return f"bulk:{batch.public_id.hex}:{row.line}"


def _place_order(batch: BulkBatch, row: BulkRow, now: datetime) -> None:
    from tenant_apps.notifications.messages import message_language

    # The worker has no request: a refusal's message is written in the uploader's language (their own, else the
    # brand's), as the preview's row errors are; it was English whatever the reseller spoke.
    with translation.override(message_language(user=batch.user)):
        _place_order_now(batch, row)
    row.processed_at = now
    row.save(update_fields=["status", "error_code", "error_message", "order", "price_minor", "processed_at"])


def _place_order_now(batch: BulkBatch, row: BulkRow) -> None:
    from tenant_apps.orders.services.create import purchase_create

    try:
        with transaction.atomic():  # a refusal rolls back this purchase only, never the row's result
            order = purchase_create(user=batch.user, product_id=row.product_id, recipient_phone=row.recipient_phone,
                                    amount_minor=row.amount_minor, confirm_duplicate=True,
                                    dedupe_key=dedupe_key(batch, row), source="bulk")
    except ApiError as error:
        row.status, row.error_code = RowStatus.FAILED, error.code[:40]
        row.error_message = str(error.message)[:200]
    except DatabaseError:
        raise  # the database itself: the task is retried (acks late) or swept; the row stays waiting
    except Exception:
        logger.exception("bulk batch %s line %s: the purchase failed unexpectedly", batch.public_id, row.line)
        row.status, row.error_code = RowStatus.FAILED, "internal_error"
        row.error_message = _("The order could not be placed.")
    else:
        row.status, row.order, row.price_minor = RowStatus.ORDERED, order, order.price_minor
        row.error_code = row.error_message = ""


def _tenant_suspended() -> bool:
    from tenants.connection import current_schema
    from tenants.selectors import tenant_is_suspended

    return tenant_is_suspended(schema_name=current_schema())


def _pause(batch_id: int) -> None:
    """Stop placing the batch's orders (the tenant is suspended); the rows not ordered yet stay ready."""
    if BulkBatch.objects.filter(pk=batch_id, status=BatchStatus.PROCESSING).update(status=BatchStatus.PAUSED):
        logger.info("bulk batch %s paused: the tenant is suspended", batch_id)


def bulk_process(*, batch_id: int, limit: int | None = None) -> BulkBatch | None:
    """Place the orders of a confirmed batch, row after row (at most ``limit`` now; the rest in a new task).

    Safe to run any number of times, concurrently too: each row is taken under ``SKIP LOCKED`` and ordered
    with its own dedupe key, and its result is written in the order's own transaction. A suspended tenant sends
    no new purchase: before each row the tenant is read again and, once it is suspended, the batch is paused
    (``bulk_sweep`` resumes it after the reactivation); orders already placed go on (settle, requery, expire).
    """
    batch = BulkBatch.objects.select_related("user").filter(pk=batch_id).first()
    if batch is None or batch.status != BatchStatus.PROCESSING:
        return batch
    done = 0
    while limit is None or done < limit:
        if _tenant_suspended():
            _pause(batch.pk)
            batch.refresh_from_db()
            return batch
        with transaction.atomic():
            row = (BulkRow.objects.select_for_update(skip_locked=True)  # lock: subject
                   .filter(batch_id=batch.pk, status=RowStatus.READY).order_by("line").first())
            if row is None:
                break
            now = timezone.now()
            _place_order(batch, row, now)
            BulkBatch.objects.filter(pk=batch.pk).update(heartbeat_at=now)
        done += 1
    with transaction.atomic():
        batch = BulkBatch.objects.select_for_update().select_related("user").get(pk=batch.pk)  # lock: subject
        if batch.status != BatchStatus.PROCESSING:
            return batch
        if BulkRow.objects.filter(batch_id=batch.pk, status=RowStatus.READY).exists():
            if limit is not None and done >= limit:  # more to do: a fresh task (others may run meanwhile)
                batch.enqueue_count += 1
                batch.save(update_fields=["enqueue_count"])
                _enqueue(batch.pk)
            return batch  # rows still locked by another worker: that worker finishes the batch
        batch.status, batch.completed_at = BatchStatus.COMPLETED, timezone.now()
        batch.save(update_fields=["status", "completed_at"])
    return batch


def bulk_sweep(*, now: datetime | None = None) -> int:
    """Enqueue again every processing batch of this schema whose heartbeat stopped (its worker died), and resume
    the batches paused while the tenant was suspended once it is active again. A suspended tenant's: nothing."""
    if _tenant_suspended():
        return 0
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.BULK_TOPUP_STALE_SECONDS)
    count = 0
    for batch_id in BulkBatch.objects.filter(status=BatchStatus.PAUSED).values_list("pk", flat=True)[:200]:
        with transaction.atomic():
            if BulkBatch.objects.filter(pk=batch_id, status=BatchStatus.PAUSED).update(
                    status=BatchStatus.PROCESSING, heartbeat_at=now, enqueue_count=F("enqueue_count") + 1):
                logger.info("bulk batch %s resumed: the tenant is active again", batch_id)
                _enqueue(batch_id)
                count += 1
    for batch_id in BulkBatch.objects.filter(status=BatchStatus.PROCESSING, heartbeat_at__lt=stale) \
            .values_list("pk", flat=True)[:200]:
        with transaction.atomic():
            updated = BulkBatch.objects.filter(pk=batch_id, status=BatchStatus.PROCESSING,
                                               heartbeat_at__lt=stale).update(heartbeat_at=now)
            if updated:
                _enqueue(batch_id)
                count += 1
    return count


# --- results -----------------------------------------------------------------------------------------
RESULT_HEADER = ["line", "number", "network", "product", "amount", "price", "currency", "result", "order_status",
                 "order", "error_code", "message"]


def _result(row: BulkRow) -> tuple[str, str]:
    if row.status == RowStatus.ORDERED and row.order is not None:
        return "ordered", PLAIN_STATUS[row.order.status]
    results: dict[str, tuple[str, str]] = {RowStatus.INVALID: ("invalid", ""), RowStatus.FAILED: ("refused", ""),
                                           RowStatus.READY: ("waiting", "")}
    return results.get(row.status, (row.status, ""))


def bulk_results_csv(*, batch: BulkBatch) -> str:
    """Every line of the file with its result (the order's current status once placed), spreadsheet-safe."""
    currency = batch.currency
    rows = batch.rows.select_related("order").order_by("line")

    def money(value: int | None) -> str:
        return to_decimal_string(value, currency) if value is not None else ""

    def lines():
        for row in rows:
            result, order_status = _result(row)
            face = row.amount_minor if row.amount_minor is not None else row.face_value_minor
            yield [row.line, row.recipient_phone or row.raw_number, row.network, row.product_name or row.raw_product,
                   money(face) if face is not None else row.raw_amount,
                   money(row.order.price_minor if row.order else row.price_minor), currency, result, order_status,
                   str(row.order.public_id) if row.order else "", row.error_code, row.error_message]

    return write_rows(RESULT_HEADER, lines())

