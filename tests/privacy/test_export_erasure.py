"""Issue 22, data-subject rights: the export holds the customer's orders (zip: JSON + CSV), erasure leaves no
personal field while the books still reconcile, erasure is refused while money is theirs, operators act on
request (audited), and nothing crosses tenants."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, make_user
from tests.orders.helpers import new_buyer, submitted
from tests.support.unchanged import nothing_changes

FUNDS = 500_000


def _api(method: str, path: str, token: str, data=None, *, host: str = "ng.localhost"):
    client = Client(HTTP_HOST=host)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "GET":
        return client.get(path, **headers)
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def _token(user, schema: str = "ng") -> str:
    from tenant_apps.accounts.tokens import tokens_for_user

    with schema_context(schema):
        return tokens_for_user(user)[0]


def _buyer_with_password(funds: int = FUNDS):
    user, _ = new_buyer(funds)
    with schema_context("ng"):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return user, _token(user)


def _buy(stack, user, phone: str):
    from tenant_apps.orders import services

    with schema_context("ng"):
        order = services.purchase_create(user=user, product_id=stack.products["vt_airtime"].pk,
                                         recipient_phone=phone, amount_minor=10_000)
        return submitted(order.pk)


def _built_export(token: str, *, host: str = "ng.localhost"):
    from tenant_apps.privacy.models import DataExport
    from tenant_apps.privacy.services import export_build

    response = _api("POST", "/api/privacy/exports", token, host=host)
    assert response.status_code == 202, response.content
    with schema_context("ng"):
        export = DataExport.objects.get(public_id=response.json()["id"])
        export_build(export_id=export.pk)  # the task's body (on-commit never fires in a rolled-back test)
        export.refresh_from_db()
    return export


def _empty_wallet(user) -> None:
    """Spend the rest of the wallet on a P2P transfer: erasure needs a zero balance."""
    from tenant_apps.ledger.services import wallet_for
    from tenant_apps.wallet.transfers import p2p_transfer

    with schema_context("ng"):
        friend = make_user("ng", email=f"friend-{uuid.uuid4().hex[:8]}@example.test",
                           phone=f"+234803{uuid.uuid4().int % 10**7:07d}")  # MTN: all valid (+234819... is not)
        p2p_transfer(sender=user, recipient=friend.phone, amount_minor=wallet_for(user=user).wallet_balance)
        assert wallet_for(user=user).balance == 0


def _books() -> dict:
    from tenant_apps.ledger.models import Account

    with schema_context("ng"), connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), COALESCE(SUM(ABS(amount)), 0) FROM ledger_posting")
        postings = cursor.fetchone()
        return {"postings": postings, "balances": dict(Account.objects.values_list("pk", "balance"))}


def test_the_export_contains_the_customers_orders_as_json_and_csv(db, inproc_stack, s3):
    user, token = _buyer_with_password()
    phone = inproc_stack.phone()
    order = _buy(inproc_stack, user, phone)
    assert order.status == "settled"
    export = _built_export(token)
    assert export.status == "ready" and export.file_key.startswith("tenants/ng/privacy/exports/")
    listing = _api("GET", "/api/privacy/exports", token).json()["results"]
    assert listing[0]["id"] == str(export.public_id) and listing[0]["download"]

    response = _api("GET", f"/api/privacy/exports/{export.public_id}/download", token)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    orders = data["tables"]["orders.Order"]
    assert [(o["public_id"], o["recipient_phone"], o["price_minor"]) for o in orders] == [
        (str(order.public_id), order.recipient_phone, order.price_minor)]
    assert data["tables"]["accounts.User"][0]["email"] == user.email
    assert "password" not in data["tables"]["accounts.User"][0]
    postings = data["tables"]["ledger.Posting"]  # the wallet statement
    assert sum(p["amount"] for p in postings) == FUNDS - order.price_minor
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/orders.Order.csv").decode())))
    assert [(r["public_id"], r["status"]) for r in rows] == [(str(order.public_id), "settled")]
    assert "csv/ledger.Posting.csv" in archive.namelist()

    with schema_context("ng"):
        from tenant_apps.audit.models import AuditEvent

        actions = set(AuditEvent.objects.filter(subject_id=str(user.public_id)).values_list("action", flat=True))
    assert {"data_export_requested", "data_export_downloaded"} <= actions

    # Someone else's (same tenant) download: not found; the owner's after expiry: not found.
    _other, other_token = _buyer_with_password()
    assert _api("GET", f"/api/privacy/exports/{export.public_id}/download", other_token).status_code == 404
    with schema_context("ng"):
        type(export).objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = _api("GET", f"/api/privacy/exports/{export.public_id}/download", token)
    assert expired.status_code == 404 and expired.json()["error"]["code"] == "export_unavailable"


def test_erasure_is_refused_while_the_wallet_holds_money(db, inproc_stack):
    from tenant_apps.audit.models import AuditEvent

    user, token = _buyer_with_password()
    response = _api("POST", "/api/privacy/erasure", token, {"password": PASSWORD, "confirm": True})
    assert response.status_code == 409 and response.json()["error"]["code"] == "erasure_balance_not_zero"
    with schema_context("ng"):
        user.refresh_from_db()
        assert user.is_active and user.email.startswith("buyer-")
        assert AuditEvent.objects.filter(action="data_erasure_refused", subject_id=str(user.public_id)).exists()
    assert _api("GET", "/api/privacy/erasure", token).json() == {"blockers": ["balance_not_zero"]}
    wrong = _api("POST", "/api/privacy/erasure", token, {"password": "not-it", "confirm": True})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "invalid_password"


def test_erasure_leaves_no_personal_field_and_the_books_still_reconcile(db, inproc_stack, s3):
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.audit.services import audit_record
    from tenant_apps.notifications.models import SmsMessage
    from tenant_apps.orders.models import Order
    from tenant_apps.privacy.services import erasure_leftovers
    from tenant_apps.risk.models import UserDevice

    user, token = _buyer_with_password()
    email, phone = user.email, user.phone
    recipient = inproc_stack.phone()
    order = _buy(inproc_stack, user, recipient)
    _empty_wallet(user)
    with schema_context("ng"):
        audit_record(action="login_succeeded", actor=user)
        audit_record(action="login_failed", actor_email=email.upper(), subject_type="login")  # anonymous try
        audit_record(action="otp_sent", subject_type="user", subject_id=str(user.public_id),
                     details={"to": phone, "note": f"code sent to {phone.lstrip('+')}"})
        SmsMessage.objects.create(to=phone, purpose="otp", body_redacted=f"Code for {phone}: ******")
        UserDevice.objects.create(user=user, device_hash="d" * 32, user_agent="Phone 1", last_ip="10.1.2.3")
    before = _books()
    values = [email, phone, recipient, phone.lstrip("+")]
    with schema_context("ng"):
        found = {spot.split("#")[0] for spot in erasure_leftovers(user=user, values=values)}
    assert {"accounts.User.email", "accounts.User.phone", "orders.Order.recipient_phone", "audit.AuditEvent.details",
            "audit.AuditEvent.actor_email", "notifications.SmsMessage.to"} <= found

    response = _api("POST", "/api/privacy/erasure", token, {"password": PASSWORD, "confirm": True})
    assert response.status_code == 200, response.content

    with schema_context("ng"):
        assert erasure_leftovers(user=user, values=values) == []  # ``user`` still holds the old phone and email
        erased = type(user).objects.get(pk=user.pk)
        assert not erased.is_active and not erased.has_usable_password() and erased.phone is None
        assert erased.email.endswith("@erased.invalid")
        kept = Order.objects.get(pk=order.pk)
        assert (kept.price_minor, kept.status, kept.reference) == (order.price_minor, "settled", order.reference)
        assert kept.recipient_phone.endswith(recipient[-4:]) and recipient not in kept.recipient_phone
        for event in AuditEvent.objects.filter(actor_id=user.public_id):
            assert email not in event.actor_email and event.ip_address is None
        assert AuditEvent.objects.filter(action="data_erased", subject_id=str(user.public_id)).exists()
        sms = SmsMessage.objects.filter(purpose="otp", body_redacted__contains="******").order_by("-id").first()
        assert sms is not None and phone not in sms.to and phone not in sms.body_redacted
        assert not UserDevice.objects.filter(user=user).exists()
        # A raw look at every text column of the schema's registered tables: the digits are gone.
        digits = re.sub(r"\D", "", phone)[-9:]
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM audit_auditevent WHERE details::text LIKE %s OR actor_email ILIKE %s",
                           [f"%{digits}%", email])
            assert cursor.fetchone()[0] == 0
    assert _books() == before  # not one posting or balance changed
    call_command("reconcile_ledger", "--schema", "ng")  # raises CommandError on any discrepancy

    login = Client(HTTP_HOST="ng.localhost").post("/api/auth/login", {"email": email, "password": PASSWORD},
                                                  content_type="application/json")
    assert login.status_code in (400, 401)
    again = _api("POST", "/api/privacy/erasure", token, {"password": PASSWORD, "confirm": True})
    assert again.status_code in (401, 403)  # the account is closed: its token is refused


def test_the_audit_trail_stays_append_only_outside_the_erasure_path(db):
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.audit.services import audit_record

    with schema_context("ng"):
        event = audit_record(action="login_failed", actor_email="someone@example.com")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(actor_email="x")  # no switch: refused
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL nexustop.audit_pseudonymise = 'on'")
            AuditEvent.objects.filter(pk=event.pk).update(action="login_succeeded")  # a fact: refused
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL nexustop.audit_pseudonymise = 'on'")
            AuditEvent.objects.filter(pk=event.pk).update(actor_email="erased@erased.invalid")
        event.refresh_from_db()
        assert (event.action, event.actor_email) == ("login_failed", "erased@erased.invalid")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()


def test_operators_export_and_erase_on_request_audited(db, inproc_stack, s3):
    from tenant_apps.audit.models import AuditEvent

    user, token = _buyer_with_password(funds=0)
    admin = make_user("ng", email=f"dpo-{uuid.uuid4().hex[:6]}@example.test", role="operator_admin")
    support = make_user("ng", email=f"sup-{uuid.uuid4().hex[:6]}@example.test", role="operator_support")
    admin_token, support_token = _token(admin), _token(support)

    exported = _api("POST", f"/api/privacy/users/{user.public_id}/exports", support_token)
    assert exported.status_code == 202
    # The export is the person's: staff cannot download it, the person can (once built).
    with nothing_changes("ng"):
        assert _api("GET", f"/api/privacy/exports/{exported.json()['id']}/download",
                    support_token).status_code == 403
        refused = _api("POST", f"/api/privacy/users/{user.public_id}/erasure", support_token, {"confirm": True})
        assert refused.status_code == 403  # support may export, only admins erase
        unconfirmed = _api("POST", f"/api/privacy/users/{user.public_id}/erasure", admin_token, {"confirm": False})
        assert unconfirmed.status_code == 400 and unconfirmed.json()["error"]["code"] == "confirmation_required"
    erased = _api("POST", f"/api/privacy/users/{user.public_id}/erasure", admin_token,
                  {"confirm": True, "note": "letter 2026-12-01"})
    assert erased.status_code == 200, erased.content
    with schema_context("ng"):
        requested = AuditEvent.objects.get(action="data_export_requested", subject_id=str(user.public_id))
        done = AuditEvent.objects.get(action="data_erased", subject_id=str(user.public_id))
    assert requested.actor_id == support.public_id and requested.details["by_operator"] is True
    assert done.actor_id == admin.public_id and done.details["by_operator"] is True
    assert _api("GET", "/api/privacy/exports", token).status_code in (401, 403)  # closed


def test_another_tenant_cannot_download_or_erase(db, inproc_stack, s3):
    user, token = _buyer_with_password(funds=0)
    export = _built_export(token)
    sn_admin = make_user("sn", email=f"sn-dpo-{uuid.uuid4().hex[:6]}@example.test", role="operator_admin")
    sn_customer = make_user("sn", email=f"sn-c-{uuid.uuid4().hex[:6]}@example.test",
                            phone=f"+22177{uuid.uuid4().int % 10**7:07d}")
    sn_admin_token, sn_customer_token = _token(sn_admin, "sn"), _token(sn_customer, "sn")
    for host in ("ng.localhost", "sn.localhost"):
        for attacker in (sn_admin_token, sn_customer_token):
            download = _api("GET", f"/api/privacy/exports/{export.public_id}/download", attacker, host=host)
            assert download.status_code in (401, 403, 404) and download.get("Content-Type") != "application/zip"
        erase = _api("POST", f"/api/privacy/users/{user.public_id}/erasure", sn_admin_token, {"confirm": True},
                     host=host)
        assert erase.status_code in (401, 403, 404)
    # The victim's own token on the other tenant's host: refused too.
    assert _api("GET", f"/api/privacy/exports/{export.public_id}/download", token,
                host="sn.localhost").status_code in (401, 403, 404)
    with schema_context("ng"):
        user.refresh_from_db()
        from tenant_apps.privacy.models import Erasure

        assert user.is_active and not Erasure.objects.filter(user=user).exists()


def test_the_retention_purge_erases_closed_accounts_past_the_country_period(db):
    from countries.registry import get_adapter
    from tenant_apps.accounts.models import User

    years = get_adapter("NG").retention.transactions
    old = make_user("ng", email=f"old-{uuid.uuid4().hex[:6]}@example.test",
                    phone=f"+23480{uuid.uuid4().int % 10**8:08d}")
    recent = make_user("ng", email=f"recent-{uuid.uuid4().hex[:6]}@example.test")
    with schema_context("ng"):
        User.objects.filter(pk=old.pk).update(is_active=False,
                                              date_joined=timezone.now() - timedelta(days=365 * years + 10))
        User.objects.filter(pk=recent.pk).update(is_active=False)
    call_command("purge_personal_data", schema="ng")
    with schema_context("ng"):
        assert User.objects.get(pk=old.pk).email.endswith("@erased.invalid")
        assert User.objects.get(pk=recent.pk).email == recent.email


def test_kyc_retention_shorter_than_the_transactions_purges_only_the_identity_check(db):
    from tenant_apps.accounts.models import User
    from tenant_apps.kyc.models import KycSubmission
    from tenant_apps.privacy.services import retention_purge

    closed = make_user("ng", email=f"kyc-old-{uuid.uuid4().hex[:6]}@example.test")
    with schema_context("ng"):
        User.objects.filter(pk=closed.pk).update(is_active=False,
                                                 date_joined=timezone.now() - timedelta(days=365 * 3 + 5))
        KycSubmission.objects.create(user=closed, scheme="bvn", number_encrypted="enc", number_masked="*******5678",
                                     number_fingerprint="f" * 64)
        result = retention_purge(years=7, kyc_years=3)
        submission = KycSubmission.objects.get(user=closed)
        assert result["kyc_purged"] >= 1 and submission.number_encrypted == ""
        assert "5678" not in submission.number_masked
        assert User.objects.get(pk=closed.pk).email == closed.email  # the rest waits for the 7 years
