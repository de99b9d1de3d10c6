"""Purchases: create (hold + outbox), submit, apply provider outcomes, requery, staff, webhooks, sweep, notify.

The money path (docs/architecture.md, "Money, in one picture"), one module per step:

* :mod:`.create` — ``purchase_create`` runs inside the caller's transaction (the idempotency row's):
  order row + hold (wallet -> holds) + recorded transitions + outbox row, whose insert wakes the
  dispatchers at commit. Operators release or reject a purchase a risk rule held.
* :mod:`.submit` — ONE path to the providers: the dispatcher (``tenant_apps.orders.dispatch``, a process)
  claims outbox rows in batches, commits each order's attempt (its request id made once), calls the
  providers concurrently and settles the batch's successes in one transaction; a crash after the call is
  harmless, because the retry sends the *same* request id and the provider deduplicates on it.
  ``order_submit`` runs those steps in-process for one order.
* :mod:`.outcomes` — every provider answer (submit, requery, webhook, staff) goes through
  ``order_apply_provider_result`` (``order_apply_outcome`` for an order already locked): row-locked,
  idempotent by (order, final status). Success settles the hold (cost -> provider settlement, each quote
  line -> its account); a definite failure fails over to the next provider or releases the hold;
  anything unclear stays pending and is requeried with backoff, then goes to manual review — never
  auto-failed.
* :mod:`.requery`, :mod:`.staff` (the manual-review queue), :mod:`.callbacks` (provider webhooks),
  :mod:`.sweep` (lapsed dispatcher leases, overdue requeries), :mod:`.notify` (the buyer's texts).

Tasks (``tenant_apps.orders.tasks``) import these services, never the reverse: the services send tasks by
their registered name (``shared_apps.core.enqueue``, ``TaskName``). This package re-exports the public API;
new code imports from the module that owns the name.
"""

from ._helpers import BILL_TYPES, TaskName
from .callbacks import WebhookRejected, order_handle_callback
from .create import (
    INSURANCE_DETAILS,
    CustomerCheck,
    active_product,
    order_risk_reject,
    order_risk_release,
    purchase_create,
    purchase_needs_verification,
    purchase_verified_name,
    purchase_verify,
    validated_recipient,
)
from .notify import ORDER_EVENTS, order_notify
from .outcomes import EntryTypes, Outcome, order_apply_outcome, order_apply_provider_result, order_quote_taxes
from .requery import order_requery, order_resolve_manually
from .staff import REQUERYABLE, StaffAction, order_staff_requery, order_staff_resolve
from .submit import FAULTY_PENDING_REASONS, order_submit
from .sweep import orders_sweep, orders_sweep_all_tenants

__all__ = [
    "BILL_TYPES",
    "FAULTY_PENDING_REASONS",
    "INSURANCE_DETAILS",
    "ORDER_EVENTS",
    "REQUERYABLE",
    "CustomerCheck",
    "EntryTypes",
    "Outcome",
    "StaffAction",
    "TaskName",
    "WebhookRejected",
    "active_product",
    "order_apply_outcome",
    "order_apply_provider_result",
    "order_handle_callback",
    "order_notify",
    "order_quote_taxes",
    "order_requery",
    "order_resolve_manually",
    "order_risk_reject",
    "order_risk_release",
    "order_staff_requery",
    "order_staff_resolve",
    "order_submit",
    "orders_sweep",
    "orders_sweep_all_tenants",
    "purchase_create",
    "purchase_needs_verification",
    "purchase_verified_name",
    "purchase_verify",
    "validated_recipient",
]
