"""SMS on funding success and on transfer outcomes, after commit, through notifications.sms_send."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from provider_plugins.sms_gateway.simulator import SmsGatewaySimulator
from tenant_apps.ledger.services import fund_wallet, wallet_for
from tenant_apps.wallet.tasks import send_sms_task
from tests.wallet.helpers import client_for, deliver, new_customer, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    settings.WALLET_SMS_NOTIFICATIONS = True
    with SmsGatewaySimulator() as simulator:
        settings.SMS_GATEWAY = {**settings.SMS_GATEWAY, "BASE_URL": simulator.url, "API_KEY": simulator.api_key,
                                "TIMEOUT_SECONDS": 2.0}
        eager = send_sms_task.app.conf.task_always_eager
        send_sms_task.app.conf.task_always_eager = True
        try:
            yield simulator
        finally:
            send_sms_task.app.conf.task_always_eager = eager


def test_funding_success_and_p2p_are_texted_after_commit(ng_gateways, host_client, sms,
                                                         django_capture_on_commit_callbacks):
    paystack = ng_gateways["paystack"]
    user, friend = new_customer(), new_customer()
    body = post(client_for(user), "/api/wallet/fund", {"amount": "75.00", "gateway": "paystack"}).json()
    paystack.complete(body["reference"])
    with django_capture_on_commit_callbacks(execute=True):
        deliver(host_client("ng.localhost"), "/webhook/paystack", paystack.deliveries[-1])
    assert "NexusTop Nigeria: your wallet was funded with ₦75.00." in sms.messages(to=user.phone)[0]["sms"]
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=user), amount=10_000, reference=f"test-fund:{uuid.uuid4()}")
    with django_capture_on_commit_callbacks(execute=True):
        post(client_for(user), "/api/transfers", {"type": "p2p", "recipient": friend.email, "amount": "5.00"})
    assert "received ₦5.00" in sms.messages(to=friend.phone)[0]["sms"]
