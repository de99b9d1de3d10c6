"""Africa's Talking SMS: the connector against the simulator (every outcome and fault), the official SDK
(``africastalking``) pointed at the simulator by base URL, and the platform sending through it when chosen by
settings or by a registry row."""

from __future__ import annotations

import pytest
from africastalking.Application import ApplicationService
from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService

from provider_plugins.africastalking import PLUGIN, AfricasTalkingSmsConnector
from provider_plugins.africastalking.connector import balance_minor
from provider_plugins.africastalking.simulator import DEFAULT_API_KEY, DEFAULT_USERNAME, AfricasTalkingSimulator
from provider_plugins.interfaces.common import (
    InvalidRecipient,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderLowBalance,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
)
from provider_plugins.interfaces.sms import SmsMessage

connector = AfricasTalkingSmsConnector()


@pytest.fixture(scope="module")
def sim():
    with AfricasTalkingSimulator(timeout_sleep=1.0) as server:
        yield server


@pytest.fixture(autouse=True)
def _reset(sim):
    sim.set_mode("ok")
    yield


def config_for(sim, *, key: str = DEFAULT_API_KEY, timeout: float = 2.0) -> ProviderConfig:
    return ProviderConfig(base_url=sim.url, credentials={"username": DEFAULT_USERNAME, "api_key": key},
                          timeout_seconds=timeout, options={"sender_id": "NexusTop"})


def sms(to: str = "+2348031234567", text: str = "hello") -> SmsMessage:
    return SmsMessage(to=to, text=text, reference="r1")


def test_send_and_every_outcome(sim):
    result = connector.send(config_for(sim), sms(text="Your code is 123456"))
    assert result.status is OutcomeStatus.SUCCESS and result.provider_message_id.startswith("ATXid_")
    [stored] = sim.messages(to="+2348031234567")[:1]
    assert stored["sms"] == "Your code is 123456" and stored["from"] == "NexusTop"
    assert connector.send(config_for(sim), sms(to="2348031234567")).status is OutcomeStatus.SUCCESS  # "+" added
    with pytest.raises(InvalidRecipient):
        connector.send(config_for(sim), sms(to="+12"))
    with pytest.raises(ProviderAuthError):
        connector.send(config_for(sim, key="atsk_wrong"), sms())
    for mode, error in (("low_balance", ProviderLowBalance), ("unavailable", ProviderUnavailable),
                        ("malformed", ProviderProtocolError), ("reject", InvalidRecipient)):
        sim.set_mode(mode)
        with pytest.raises(error):
            connector.send(config_for(sim), sms())
    sim.set_mode("timeout")
    with pytest.raises(ProviderTimeout):
        connector.send(config_for(sim, timeout=0.2), sms())
    sim.set_mode("ok")
    [balance] = connector.balance(config=config_for(sim))
    assert balance.currency == "NGN" and balance.amount_minor == sim.balance_minor
    assert PLUGIN.key == "africastalking" and PLUGIN.capabilities == ("sms",)


def test_the_balance_string_is_read_by_the_money_rule_with_africas_talkings_four_decimals():
    """What Africa's Talking really sends ("KES 1234.5678": fractions of a cent) is read, to the minor unit we can
    spend; anything the money rule refuses is the provider's protocol error, never a guess."""
    assert balance_minor("KES 1234.5678") == ("KES", 123456)
    assert balance_minor("NGN 9998.0000") == ("NGN", 999800)
    assert balance_minor("NGN 0.0099") == ("NGN", 0)
    assert balance_minor("UGX 1500.2500") == ("UGX", 1500)
    assert balance_minor("USD 7") == ("USD", 700)
    for text in ("KES 1e5", "KES NaN", "KES Infinity", "NGN 1,000.00", "NGN 1_000", "NGN -5.0000", "NGN 1.23456",
                 "NGN  10", "10.00", "NGN", "XYZ 10.00", "ngn 10", "KES ١٠٠", "KES " + "9" * 40):
        with pytest.raises(ProviderProtocolError):
            balance_minor(text)


def test_official_sdk_reads_the_simulator(sim):
    service = SMSService(DEFAULT_USERNAME, DEFAULT_API_KEY)
    service._baseUrl = sim.url + "/version1"  # the only change: where the SDK sends
    answer = service.send("Hello from the SDK", ["+2348030000001", "+2348030000002"], sender_id="NexusTop")
    data = answer["SMSMessageData"]
    assert data["Message"].startswith("Sent to 2/2") and [r["status"] for r in data["Recipients"]] == \
        ["Success", "Success"]
    assert all(r["statusCode"] == 101 and r["messageId"].startswith("ATXid_") for r in data["Recipients"])
    assert service.fetch_messages() == {"SMSMessageData": {"Messages": []}}
    application = ApplicationService(DEFAULT_USERNAME, DEFAULT_API_KEY)
    application._baseUrl = sim.url + "/version1"
    assert application.fetch_application_data()["UserData"]["balance"].startswith("NGN ")
    wrong = SMSService(DEFAULT_USERNAME, "atsk_wrong")
    wrong._baseUrl = sim.url + "/version1"
    with pytest.raises(AfricasTalkingException):
        wrong.send("x", ["+2348030000001"])


@pytest.mark.django_db
def test_platform_sends_through_africastalking_by_settings_and_by_registry(sim, settings):
    from django_tenants.utils import schema_context

    from shared_apps.providers.services import provider_register
    from tenant_apps.notifications.services import sms_send

    settings.SMS_GATEWAY = {**settings.SMS_GATEWAY, "PLUGIN": "africastalking", "BASE_URL": sim.url,
                            "USERNAME": DEFAULT_USERNAME, "API_KEY": DEFAULT_API_KEY}
    with schema_context("ng"):
        message = sms_send(to="+2348039990001", text="by settings", purpose="test")
    assert message.status == "sent" and message.provider == "africastalking"
    settings.SMS_GATEWAY = {**settings.SMS_GATEWAY, "PLUGIN": "sms_gateway", "BASE_URL": "http://127.0.0.1:9"}
    provider_register(name="Africa's Talking NG", country="NG", plugin_key="africastalking", base_url=sim.url,
                      capabilities=["sms"], credentials={"username": DEFAULT_USERNAME, "api_key": DEFAULT_API_KEY})
    from tenants.models import Tenant

    with schema_context("ng"):
        from tenants.connection import tenant_connection

        tenant_connection().set_tenant(Tenant.objects.get(schema_name="ng"))
        message = sms_send(to="+2348039990002", text="by registry", purpose="test")
    assert message.status == "sent" and message.provider == "africastalking"
    assert sim.messages(to="+2348039990002")[0]["sms"] == "by registry"
