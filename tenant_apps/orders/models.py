"""Orders: one purchase, its provider attempts, its recorded transitions and its outbox row."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shared_apps.providers.callbacks import ProviderBinding

if TYPE_CHECKING:
    from shared_apps.catalog.models import Product
    from tenant_apps.ledger.models import Hold


class OrderStatus(models.TextChoices):
    CREATED = "created", _("Created")
    HELD = "held", _("Money held")
    SUBMITTED = "submitted", _("Submitted to the provider")
    PENDING = "pending", _("Pending at the provider")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    SETTLED = "settled", _("Delivered")
    RELEASED = "released", _("Refunded")
    REVERSED = "reversed", _("Reversed by the provider and refunded")
    MANUAL_REVIEW = "manual_review", _("Waiting for manual review")


# The state machine: every move an order may make (anything else raises IllegalTransition).
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.CREATED: frozenset({OrderStatus.HELD}),
    OrderStatus.HELD: frozenset({OrderStatus.SUBMITTED, OrderStatus.FAILED}),
    OrderStatus.SUBMITTED: frozenset({OrderStatus.SUCCEEDED, OrderStatus.FAILED, OrderStatus.PENDING}),
    OrderStatus.PENDING: frozenset({OrderStatus.SUCCEEDED, OrderStatus.FAILED, OrderStatus.MANUAL_REVIEW}),
    OrderStatus.MANUAL_REVIEW: frozenset({OrderStatus.SUCCEEDED, OrderStatus.FAILED}),
    OrderStatus.SUCCEEDED: frozenset({OrderStatus.SETTLED}),
    # failed -> submitted: fail-over to the next provider (only after a definite failure).
    OrderStatus.FAILED: frozenset({OrderStatus.RELEASED, OrderStatus.SUBMITTED}),
    # settled -> reversed: the provider reversed a delivered order later (refund).
    OrderStatus.SETTLED: frozenset({OrderStatus.REVERSED}),
    # released -> settled: the provider delivered after all (late success): charged again.
    OrderStatus.RELEASED: frozenset({OrderStatus.SETTLED}),
    OrderStatus.REVERSED: frozenset(),
}
FINAL_STATUSES = frozenset({OrderStatus.SETTLED, OrderStatus.RELEASED, OrderStatus.REVERSED})
OPEN_STATUSES = frozenset({OrderStatus.CREATED, OrderStatus.HELD, OrderStatus.SUBMITTED, OrderStatus.PENDING,
                           OrderStatus.SUCCEEDED, OrderStatus.FAILED, OrderStatus.MANUAL_REVIEW})


class Order(models.Model):
    """A customer's purchase. ``quote`` is the price breakdown (pricing.quote_price) the hold was sized from."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: order_user_created and order_duplicate_guard lead with user_id (every order writes
    # each index; issue 18).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders",
                             db_index=False)
    product_id = models.BigIntegerField()  # shared_apps.catalog.Product (public schema)
    product_type = models.CharField(max_length=16)
    product_name = models.CharField(max_length=200)
    operator = models.CharField(max_length=60, blank=True)
    recipient_phone = models.CharField(max_length=20)
    customer_number = models.CharField(max_length=40, blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=3)
    face_value_minor = models.BigIntegerField()
    price_minor = models.BigIntegerField()
    quote = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    hold = models.OneToOneField("ledger.Hold", on_delete=models.PROTECT, null=True, related_name="order")
    # Unique when set: a subscription run (or any other caller without an HTTP key) creates an order once.
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)  # unique when set: order_dedupe_key_once
    subscription_id = models.BigIntegerField(null=True, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    token = models.CharField(max_length=100, blank=True)
    units = models.CharField(max_length=40, blank=True)
    # Shown on the receipt besides token/units: "fx" (the rate the provider quoted and what it charged in
    # its own currency, when that is not the order's), "pins" (exam PINs), "certificate" (insurance), ...
    receipt_details = models.JSONField(default=dict, blank=True)
    # The taxes in the price (countries.tax.TaxAmount dicts): the accepted quote's, then the settling
    # attempt's (a fail-over may re-price); what the receipt shows and the settlement entry posted.
    tax_lines = models.JSONField(default=list, blank=True)
    failure_reason = models.CharField(max_length=60, blank=True)
    needs_review = models.BooleanField(default=False)
    attempt_count = models.PositiveSmallIntegerField(default=0)  # number of the current OrderAttempt
    requery_count = models.PositiveIntegerField(default=0)  # of the CURRENT attempt (a fail-over starts at 0)
    next_requery_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    final_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_created"),
            models.Index(fields=["user", "product_id", "recipient_phone", "created_at"], name="order_duplicate_guard"),
            models.Index(fields=["status", "next_requery_at"], name="order_status_requery"),
        ]
        constraints = [
            models.CheckConstraint(name="order_amounts_positive",
                                   condition=models.Q(price_minor__gt=0, face_value_minor__gt=0)),
            # Only the orders made under a caller's key (subscription runs, bulk rows) are indexed: most orders
            # have none, and a NULL entry per order was pure write cost.
            models.UniqueConstraint(fields=["dedupe_key"], condition=models.Q(dedupe_key__isnull=False),
                                    name="order_dedupe_key_once"),
        ]

    def __str__(self) -> str:
        return f"order {self.reference} {self.status}"

    @property
    def reference(self) -> str:
        """Ledger reference and the seed of every provider request id."""
        return f"ord-{self.public_id.hex}"

    @property
    def wallet_hold(self) -> Hold:
        """The hold on the buyer's wallet: every accepted order has one (purchase_accept places it)."""
        if self.hold is None:
            raise ValueError(f"{self} has no hold")
        return self.hold


class OrderTransition(models.Model):
    """Append-only history of an order's states (the database refuses UPDATE and DELETE)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, blank=True)  # api, submit, requery, webhook, sweeper, staff
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class AttemptStatus(models.TextChoices):
    SUBMITTING = "submitting", _("Submitting")
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class OrderAttempt(models.Model):
    """One provider's try at fulfilling an order. ``request_id`` is made once and reused on every retry."""

    # A provider callback finds an attempt only among those sent to it (shared_apps.providers.callbacks).
    provider_binding = ProviderBinding(plugin_field="plugin_key", provider_field="provider_id")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    provider_id = models.BigIntegerField()
    plugin_key = models.CharField(max_length=40)
    provider_product_id = models.BigIntegerField()
    request_id = models.CharField(max_length=80, unique=True)
    quote = models.JSONField(default=dict)  # the settlement split if this attempt delivers
    status = models.CharField(max_length=12, choices=AttemptStatus.choices, default=AttemptStatus.SUBMITTING)
    provider_reference = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=60, blank=True)
    provider_code = models.CharField(max_length=20, blank=True)
    submit_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order_id", "number"]
        constraints = [models.UniqueConstraint(fields=["order", "number"], name="attempt_unique_number")]

    # Not a column: the product this attempt was made for, kept by orders.services._start_attempt so the
    # submit needs no second lookup (provider_product_id points into the public schema's catalog).
    product: Product | None = None

    def __str__(self) -> str:
        return f"attempt {self.number} {self.request_id} {self.status}"


class OrderOutbox(models.Model):
    """An order waiting for its provider call; deleted once the call's answer is recorded.

    The dispatcher (``tenant_apps.orders.dispatch``) claims ready rows (``claimed_until`` NULL), row-locked
    without waiting (SKIP LOCKED), and leases them (``claimed_until`` = now + the lease) while their calls are
    in flight; a lease that ran out (the dispatcher died) makes the row claimable again, and the sweeper
    hands such rows back. Inserting a ready row (or handing one back) NOTIFYs ``orders_outbox`` with the
    schema name (trigger, migration 0006): the dispatchers wake up at once.
    """

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="outbox")
    created_at = models.DateTimeField()
    enqueued_at = models.DateTimeField()
    enqueue_count = models.PositiveIntegerField(default=1)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The claim's scan: only ready rows are in it. A claimed row leaves the index (its new version has
            # claimed_until set), and the dead entries a busy queue leaves behind are marked dead by the first
            # scan that meets them (btree kill_prior_tuple), so the next claims skip them without a heap visit.
            models.Index(fields=["id"], name="outbox_ready", condition=models.Q(claimed_until__isnull=True)),
            models.Index(fields=["claimed_until"], name="outbox_leased",
                         condition=models.Q(claimed_until__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"outbox order {self.order_id}"
