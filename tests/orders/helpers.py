"""Helpers for purchase tests: buyers with funded wallets, API calls, waiting, and the books check."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from nexustop_dev.buyers import new_buyer  # noqa: F401  (the purchase tests import it from here)
from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS as AGGREGATOR_CREDENTIALS
from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS as DTONE_CREDENTIALS
from provider_plugins.vtpass.simulator import DEFAULT_CREDENTIALS as VTPASS_CREDENTIALS
from tenants.connection import tenant_connection

if TYPE_CHECKING:
    from tenant_apps.orders.models import Order

VTPASS_API_KEYS = {k: VTPASS_CREDENTIALS[k] for k in ("api_key", "secret_key", "public_key")}


@dataclass
class Stack:
    vtpass: Any
    dtone: Any
    sms: Any
    vtpass_provider: Any
    dtone_provider: Any
    products: dict[str, Any]
    aggregator: Any = None
    aggregator_provider: Any = None
    worker: Any = None
    dispatcher: Any = None
    breaker_prefix: str = ""
    _numbers: Any = field(default_factory=lambda: iter(range(1000, 9000)))

    def phone(self, suffix: str = "") -> str:
        """A fresh MTN number (so the duplicate guard never trips); a 4-digit ``suffix`` forces a simulator fault."""
        number = next(self._numbers)
        if suffix:
            return f"0803{number % 1000:03d}{suffix}"
        return f"0803{number:04d}123"

    def retire(self) -> None:
        """Disable the registry rows so no later test routes to a stopped simulator."""
        from shared_apps.providers.models import Provider, ProviderStatus

        tenant_connection().set_schema_to_public()
        ids = [self.vtpass_provider.pk, self.dtone_provider.pk, self.aggregator_provider.pk]
        Provider.objects.filter(pk__in=ids).update(status=ProviderStatus.DISABLED)


def register_providers(*, tag: str, vtpass, dtone, sms, aggregator) -> Stack:
    from shared_apps.catalog.models import Product
    from shared_apps.catalog.services import catalog_sync_provider
    from shared_apps.providers.services import provider_register

    tenant_connection().set_schema_to_public()
    vt = provider_register(name=f"VTPass orders {tag}", country="NG", plugin_key="vtpass", base_url=vtpass.url,
                           capabilities=["airtime", "data", "electricity", "cable_tv", "education", "insurance"],
                           credentials=VTPASS_API_KEYS,
                           options={"commission_bp": {"*": 300}}, routing_priority=1, timeout_seconds=1)
    dt = provider_register(name=f"DT One orders {tag}", country="NG", plugin_key="dtone", base_url=dtone.url + "/v1",
                           capabilities=["airtime", "data"], credentials=dict(DTONE_CREDENTIALS),
                           options={"countries": ["NG"]}, routing_priority=2, timeout_seconds=3)
    ag = provider_register(name=f"Aggregator orders {tag}", country="GH", plugin_key="aggregator",
                           base_url=aggregator.url, capabilities=["airtime", "data"],
                           credentials=dict(AGGREGATOR_CREDENTIALS), options={"countries": ["GH"]},
                           routing_priority=1, timeout_seconds=2)
    for provider in (vt, dt, ag):
        catalog_sync_provider(provider_id=provider.pk)
    products = {
        "vt_airtime": Product.objects.get(provider=vt, provider_product_code="mtn"),
        "vt_glo_airtime": Product.objects.get(provider=vt, provider_product_code="glo"),
        "vt_data": Product.objects.get(provider=vt, provider_product_code="mtn-10mb-100"),
        "vt_power": Product.objects.get(provider=vt, provider_product_code="ikeja-electric:prepaid"),
        "vt_waec": Product.objects.get(provider=vt, provider_product_code="waecdirect"),
        "vt_insurance": Product.objects.get(provider=vt, biller_code="ui-insure", provider_product_code="1"),
        "dt_airtime": Product.objects.get(provider=dt, product_type="airtime", operator="mtn"),
        "dt_data": Product.objects.get(provider=dt, product_type="data", operator="mtn", face_value_minor=50_000),
        "gh_airtime": Product.objects.get(provider=ag, provider_product_code="150"),
    }
    return Stack(vtpass=vtpass, dtone=dtone, sms=sms, vtpass_provider=vt, dtone_provider=dt, products=products,
                 aggregator=aggregator, aggregator_provider=ag)


def api(method: str, path: str, token: str, data: Any = None, *, key: str | None = None, host: str = "ng.localhost"):
    client = Client(HTTP_HOST=host)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "GET":
        return client.get(path, data or {}, **headers)
    headers["HTTP_IDEMPOTENCY_KEY"] = key or uuid.uuid4().hex
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def buy(token: str, product, phone: str, *, amount: str | None = None, **extra):
    body = {"product_id": product.pk, "recipient_phone": phone, **extra}
    if amount is not None:
        body["amount"] = amount
    return api("POST", "/api/purchase", token, body)


def webhook(path: str, body: bytes, headers: dict[str, str], *, host: str = "ng.localhost"):
    client = Client(HTTP_HOST=host)
    extra: dict[str, Any] = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()
                             if k.lower() != "content-type"}
    return client.post(path, body, content_type="application/json", **extra)


FINAL = {"settled", "released", "reversed"}


def wait_for(predicate, *, timeout: float = 15.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def order_row(public_id: str, schema: str = "ng"):
    from tenant_apps.orders.models import Order

    with schema_context(schema):
        return Order.objects.select_related("hold").get(public_id=public_id)


def wait_final(public_id: str, *, timeout: float = 15.0, statuses=FINAL, schema: str = "ng"):
    return wait_for(lambda: (o := order_row(public_id, schema)) and o.status in statuses and o,
                    timeout=timeout, what=f"order {public_id} to reach {statuses}")


def attempts(order, schema: str = "ng") -> list:
    from tenant_apps.orders.models import OrderAttempt

    with schema_context(schema):
        return list(OrderAttempt.objects.filter(order_id=order.pk).order_by("number"))


def transitions(order, schema: str = "ng") -> list[tuple[str, str]]:
    from tenant_apps.orders.models import OrderTransition

    with schema_context(schema):
        return list(OrderTransition.objects.filter(order_id=order.pk).order_by("id")
                    .values_list("from_status", "to_status"))


def wallet_balance(user, schema: str = "ng") -> int:
    from tenant_apps.ledger.services import wallet_for

    with schema_context(schema):
        return wallet_for(user=user).wallet_balance


def assert_books(user, expected_wallet: int, schema: str = "ng") -> None:
    """The schema's ledger balances per currency, the cached wallet equals its postings and the expectation."""
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("SELECT currency, SUM(amount) FROM ledger_posting GROUP BY currency HAVING SUM(amount) <> 0")
        assert cursor.fetchall() == []
        cursor.execute("SELECT a.balance, COALESCE(SUM(p.amount), 0) FROM ledger_account a "
                       "LEFT JOIN ledger_posting p ON p.account_id = a.id "
                       "WHERE a.owner_id = %s GROUP BY a.id", [user.pk])
        rows = cursor.fetchall()
    assert all(balance == total for balance, total in rows), rows
    assert wallet_balance(user, schema) == expected_wallet


def deliveries(sim, request_id: str) -> int:
    return sim.delivery_count(request_id)


def make_review_order(user, *, price_minor: int = 5_000, recipient: str = "+2348031234567"):
    """An order waiting in manual review with its hold placed (rows only, no provider): a victim object
    for the isolation suite. Call inside the user's schema."""
    from django.utils import timezone

    from tenant_apps.ledger.services import place_hold, wallet_for
    from tenant_apps.orders.models import Order, OrderAttempt, OrderTransition

    now = timezone.now()
    quote = {"product_id": 0, "currency": "NGN", "face_value_minor": price_minor, "price_minor": price_minor,
             "cost_minor": price_minor, "lines": []}
    order = Order(public_id=uuid.uuid4(), user=user, product_id=0, product_type="airtime", product_name="MTN Airtime",
                  operator="mtn", recipient_phone=recipient, currency="NGN", face_value_minor=price_minor,
                  price_minor=price_minor, quote=quote, status="manual_review", needs_review=True, attempt_count=1,
                  created_at=now, updated_at=now)
    order.hold = place_hold(wallet=wallet_for(user=user), amount=price_minor, reference=order.reference)
    order.save(force_insert=True)
    OrderAttempt.objects.create(order=order, number=1, provider_id=0, plugin_key="vtpass", provider_product_id=0,
                                request_id=f"victim{order.public_id.hex[:24]}", quote=quote, status="pending",
                                created_at=now)
    OrderTransition.objects.bulk_create([
        OrderTransition(order=order, from_status=a, to_status=b, source="test", created_at=now)
        for a, b in [("", "created"), ("created", "held"), ("held", "submitted"), ("submitted", "pending"),
                     ("pending", "manual_review")]])
    return order


@contextlib.contextmanager
def order_tasks_swallowed() -> Iterator[None]:
    """Inside, the purchase path's after-commit task messages (requery, notify) go nowhere: the test calls
    ``order_requery`` itself (the sweeper still sends). Submitting has no message: a dispatcher claims the
    outbox row (``order_submit`` runs its steps in-process)."""
    from tenant_apps.orders.services import _helpers

    original = _helpers.enqueue
    _helpers.enqueue = lambda *args, **kwargs: None
    try:
        yield
    finally:
        _helpers.enqueue = original


def submitted(order_id: int) -> Order:
    """``order_submit`` for an order the test made: it exists, so an order comes back."""
    from tenant_apps.orders import services

    order = services.order_submit(order_id=order_id)
    assert order is not None
    return order


def requeried(order_id: int) -> Order:
    """``order_requery`` for an order the test made: it exists, so an order comes back."""
    from tenant_apps.orders import services

    order = services.order_requery(order_id=order_id)
    assert order is not None
    return order
