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
    assert "NexusTop Nigeria: your wallet was funded with NGN 75.00." in sms.messages(to=user.phone)[0]["sms"]
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=user), amount=10_000, reference=f"test-fund:{uuid.uuid4()}")
    with django_capture_on_commit_callbacks(execute=True):
        post(client_for(user), "/api/transfers", {"type": "p2p", "recipient": friend.email, "amount": "5.00"})
    assert "received NGN 5.00" in sms.messages(to=friend.phone)[0]["sms"]


def test_payout_texts_name_the_number_when_the_rail_gives_no_name(sms, django_capture_on_commit_callbacks):
    """CinetPay (and Wave) have no name check: the text read "votre virement de 1 000 CFA à  a été payé." (a journey
    on the Niger site). It names the wallet's number instead, paid or failed."""
    from provider_plugins.cinetpay.simulator import CinetPaySimulator
    from tenant_apps.wallet.models import Transfer
    from tenant_apps.wallet.transfers import payout_poll, payout_submit
    from tests.support.waiting import wait_for
    from tests.wallet.helpers import register_gateway

    with CinetPaySimulator(transfer_delay=0.02) as cinetpay:
        register_gateway(country="SN", key="cinetpay", url=cinetpay.url)
        user = new_customer("sn")
        with schema_context("sn"):
            fund_wallet(wallet=wallet_for(user=user), amount=9_000, reference=f"test-fund:{uuid.uuid4()}")
        outcomes = []
        for amount, fault in (("1000", None), ("2000", "failure")):
            answer = post(client_for(user, "sn"), "/api/transfers",
                          {"type": "wallet", "recipient": {"rail": "cinetpay"}, "amount": amount})
            assert answer.status_code == 202, answer.content
            with schema_context("sn"):
                row = Transfer.objects.get(public_id=answer.json()["id"])
                if fault:
                    cinetpay.fault_for(row.reference, fault)
                with django_capture_on_commit_callbacks(execute=True):
                    payout_submit(transfer_id=row.pk, schedule_poll=False)

                def final(pk=row.pk):
                    with django_capture_on_commit_callbacks(execute=True):
                        payout_poll(transfer_id=pk, attempt=5)
                    fresh = Transfer.objects.get(pk=pk)
                    return fresh if fresh.status != "pending" else None

                done = wait_for(final, timeout=5)
                outcomes.append((done.status, done.account_name))
    assert outcomes == [("succeeded", ""), ("failed", "")]
    texts = [message["sms"] for message in sms.messages(to=user.phone)]
    assert len(texts) == 2, texts
    paid = next(text for text in texts if "payé" in text)
    plain = paid.replace("\u202f", " ").replace("\xa0", " ")
    assert plain.endswith(f"votre virement de 1 000 CFA à {user.phone} a été payé."), paid
    assert all("à  " not in text for text in texts), texts
