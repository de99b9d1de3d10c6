"""The audit trail is append-only, enforced by the database."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from tenant_apps.audit.models import AuditEvent
from tenant_apps.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("schema", ["ng", "public"])
def test_update_delete_truncate_refused(schema):
    with schema_context(schema):
        event = audit_record(action="login_failed", actor_email="someone@example.com")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="login_succeeded")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
        event.refresh_from_db()
        assert event.action == "login_failed"
        assert event.tenant == schema


def test_login_events_carry_actor_tenant_ip_time(host_client):
    from tests.accounts.helpers import PASSWORD, call, make_user

    user = make_user("ng", email="audited@example.com", phone="+2348036660001")
    call(host_client("ng.localhost"), "POST", "/api/auth/login", {"email": "audited@example.com",
                                                                  "password": PASSWORD},
         REMOTE_ADDR="10.5.5.5", HTTP_USER_AGENT="pytest-agent")
    with schema_context("ng"):
        event = AuditEvent.objects.get(action="login_succeeded", actor_id=user.public_id)
    assert event.tenant == "ng" and event.ip_address == "10.5.5.5" and event.user_agent == "pytest-agent"
    assert event.actor_email == "audited@example.com" and event.occurred_at is not None
    assert event.request_id
