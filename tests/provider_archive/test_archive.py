"""Issue 22: every provider exchange archived per attempt, secrets redacted, personal numbers masked;
viewable and exportable by staff; purged after the country's retention period."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.orders.helpers import VTPASS_API_KEYS, assert_books, new_buyer, requeried, submitted
from tests.portal.test_ops_pages import quick_login

FUNDS = 500_000


def _stored_text(row) -> str:
    return json.dumps([row.url, row.request_headers, row.request_body, row.response_headers, row.response_body,
                       row.error])


def _buy(stack, user, phone: str):
    from tenant_apps.orders import services

    order = services.purchase_create(user=user, product_id=stack.products["vt_airtime"].pk, recipient_phone=phone,
                                     amount_minor=10_000)
    return submitted(order.pk)


def test_a_vtpass_purchase_is_archived_per_attempt_with_secrets_and_phone_redacted(db, inproc_stack):
    from tenant_apps.provider_archive.models import ProviderExchange

    user, _ = new_buyer(FUNDS)
    phone = inproc_stack.phone()  # national format, as typed: 0803xxxx123
    with schema_context("ng"):
        order = _buy(inproc_stack, user, phone)
        assert order.status == "settled"
        attempt = order.attempts.get()
        rows = list(ProviderExchange.objects.filter(subject_type="order", subject_id=order.pk))
    assert len(rows) == 1
    row = rows[0]
    assert (row.attempt_ref, row.operation, row.plugin_key, row.method, row.status) == (
        attempt.request_id, "purchase", "vtpass", "POST", 200)
    assert row.provider_id == inproc_stack.vtpass_provider.pk
    text = _stored_text(row)
    for secret in VTPASS_API_KEYS.values():  # api-key, secret-key, public-key headers
        assert secret not in text
    assert row.request_headers["api-key"] == "[REDACTED]"
    digits = re.sub(r"\D", "", phone)
    assert digits not in text and digits[-9:] not in text  # neither 0803... nor 234803...
    body = json.loads(row.request_body)
    assert body["phone"].endswith(digits[-4:]) and set(body["phone"][:-4]) == {"*"}
    assert body["request_id"] == attempt.request_id and body["amount"]  # the evidence stays readable
    assert json.loads(row.response_body)["code"] == "000"
    assert_books(user, FUNDS - order.price_minor)


def test_requery_exchanges_join_the_same_order_and_staff_export_them(db, inproc_stack, settings):
    from tenant_apps.accounts.models import User
    from tenant_apps.provider_archive.models import ProviderExchange

    settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS = 3600
    user, _ = new_buyer(FUNDS)
    phone = inproc_stack.phone("9993")  # VTPass answers 503: pending, then requeried
    with schema_context("ng"):
        order = _buy(inproc_stack, user, phone)
        order = requeried(order.pk)
        operations = list(ProviderExchange.objects.filter(subject_type="order", subject_id=order.pk)
                          .order_by("started_at").values_list("operation", "status"))
        first_operation, first_status = operations[0]
        assert first_operation == "purchase" and first_status is not None and first_status >= 500
        assert ("requery", 200) in operations
        staff = User.objects.create_user(email="archive-support@example.test", password="pw-Archive-123",
                                         role="operator_support", is_staff=True)
        other = User.objects.create_user(email="archive-nosy@example.test", password="pw-Archive-123",
                                         role="customer")
    client = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", other)
    assert client.get(f"/back-office/orders/{order.public_id}/provider-archive.json").status_code in (403, 302)
    client = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", staff)
    page = client.get(f"/back-office/orders/{order.public_id}")
    assert page.status_code == 200 and b'data-testid="provider-archive"' in page.content
    download = client.get(f"/back-office/orders/{order.public_id}/provider-archive.json")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    dispute = json.loads(download.content)
    assert dispute["reference"] == order.reference and len(dispute["exchanges"]) == len(operations)
    assert VTPASS_API_KEYS["api_key"] not in download.content.decode()


def test_another_tenants_staff_cannot_read_the_archive(db, inproc_stack):
    from tenant_apps.accounts.models import User

    user, _ = new_buyer(FUNDS)
    with schema_context("ng"):
        order = _buy(inproc_stack, user, inproc_stack.phone())
    with schema_context("sn"):
        foreign = User.objects.create_user(email="sn-support@example.test", password="pw-Archive-123",
                                           role="operator_support", is_staff=True)
    for host in ("ng.localhost", "sn.localhost"):
        client = quick_login(Client(HTTP_HOST=host), "sn", foreign)
        response = client.get(f"/back-office/orders/{order.public_id}/provider-archive.json")
        assert response.status_code in (302, 403, 404)
        assert b"exchanges" not in response.content


def test_the_retention_purge_removes_archives_older_than_the_country_period(db, inproc_stack):
    from countries.registry import get_adapter
    from tenant_apps.provider_archive.models import ProviderExchange

    user, _ = new_buyer(FUNDS)
    with schema_context("ng"):
        order = _buy(inproc_stack, user, inproc_stack.phone())
        row = ProviderExchange.objects.get(subject_type="order", subject_id=order.pk)
        years = get_adapter("NG").retention.provider_archive
        old = ProviderExchange.objects.create(
            subject_type="order", subject_id=order.pk, operation="purchase", plugin_key="vtpass", method="POST",
            url="https://old.example/pay", started_at=timezone.now(),
            created_at=timezone.now() - timedelta(days=365 * years + 2))
        recent = ProviderExchange.objects.create(
            subject_type="order", subject_id=order.pk, operation="purchase", plugin_key="vtpass", method="POST",
            url="https://recent.example/pay", started_at=timezone.now(),
            created_at=timezone.now() - timedelta(days=365 * years - 30))
    call_command("purge_provider_archive", schema="ng")
    with schema_context("ng"):
        assert not ProviderExchange.objects.filter(pk=old.pk).exists()
        assert ProviderExchange.objects.filter(pk__in=[row.pk, recent.pk]).count() == 2
