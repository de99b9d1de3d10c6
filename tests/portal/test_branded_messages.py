"""Every SMS/email is rendered from per-language templates with the tenant's branding."""

from __future__ import annotations

import uuid

import pytest
import requests
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.accounts.helpers import make_user

pytestmark = pytest.mark.django_db


def _order(schema: str, user, *, status: str, price: int, currency: str):
    from tenant_apps.orders.models import Order

    now = timezone.now()
    with schema_context(schema):
        return Order.objects.create(user=user, product_id=1, product_type="airtime", product_name="Orange Crédit",
                                    recipient_phone="+221771234567", currency=currency, face_value_minor=price,
                                    price_minor=price, status=status, created_at=now, updated_at=now)


def _texts(sms_simulator, phone: str) -> list[str]:
    return [m["sms"] for m in requests.get(f"{sms_simulator.url}/outbox.json", params={"to": phone},
                                           timeout=5).json()["messages"]]


def test_order_sms_on_sn_is_french_and_carries_the_tenants_name(tenants, sms_simulator):
    from tenant_apps.notifications.models import SmsMessage
    from tenant_apps.orders.services import order_notify

    phone = f"+22177{uuid.uuid4().int % 10**7:07d}"
    user = make_user("sn", email=f"fr-{uuid.uuid4().hex[:6]}@sn.test", phone=phone)  # no preference: tenant's fr
    order = _order("sn", user, status="released", price=1_000, currency="XOF")
    with schema_context("sn"):
        order_notify(order_id=order.pk, event="refunded")
        assert SmsMessage.objects.get(to=phone).purpose == "order_refunded"
    [text] = _texts(sms_simulator, phone)
    assert text.startswith("NexusTop Sénégal : ")
    assert "n'a pas pu être livré" in text and "1 000 CFA" in text, text  # plain spaces in SMS


def test_order_sms_on_quickvend_carries_quickvends_name_in_the_users_language(tenants, sms_simulator):
    from tenant_apps.orders.services import order_notify

    phone = f"+234803{uuid.uuid4().int % 10**7:07d}"
    user = make_user("quickvend", email=f"qv-{uuid.uuid4().hex[:6]}@qv.test", phone=phone)
    with schema_context("quickvend"):
        type(user).objects.filter(pk=user.pk).update(preferred_language="pt")
    order = _order("quickvend", user, status="settled", price=10_000, currency="NGN")
    with schema_context("quickvend"):
        order_notify(order_id=order.pk, event="delivered")
    [text] = _texts(sms_simulator, phone)
    assert text.startswith("QuickVend: ") and "foi entregue" in text, text


def test_invitation_email_is_branded_html_and_text(tenants, settings):
    from tenant_apps.notifications.messages import notify_email
    from tenants.models import Tenant

    Tenant.objects.filter(schema_name="quickvend").update(primary_colour="#0F7B3F")
    with schema_context("quickvend"):
        assert notify_email(to="new-agent@qv.test", template="agent_invitation",
                            context={"link": "https://quickvend.localhost/accept?token=abc"})
    message = mail.outbox[-1]
    assert isinstance(message, mail.EmailMultiAlternatives)
    html = message.alternatives[0][0]
    assert isinstance(html, str)
    assert message.subject == "Your invitation to sell with QuickVend"
    assert "QuickVend invites you" in message.body and "token=abc" in message.body
    assert "QuickVend" in html and "background:#0F7B3F" in html


def test_otp_sms_is_branded_and_redacted(tenants, sms_simulator):
    from tenant_apps.accounts.services import otp_request
    from tenant_apps.notifications.models import SmsMessage

    phone = f"+22177{uuid.uuid4().int % 10**7:07d}"
    make_user("sn", email=f"otp-{uuid.uuid4().hex[:6]}@sn.test", phone=phone, verified=False)
    with schema_context("sn"):
        otp_request(phone=phone)
        stored = SmsMessage.objects.get(to=phone, purpose="otp").body_redacted
    [text] = _texts(sms_simulator, phone)
    assert text.startswith("NexusTop Sénégal : votre code est ") and "******" in stored and text != stored
