"""Our balance at providers: VTPass ``GET /api/balance``, the aggregator's ``GET /accounts/balance`` (Reloadly
shape), DT One ``GET /balances``, Paystack ``GET /balance``; the registry-wide check (metric + WARNING when low),
the head-office page and the operators' API."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from provider_plugins.paystack.simulator import PaystackSimulator
from shared_apps.providers.services import provider_register

from .helpers import AGGREGATOR_CREDENTIALS, DTONE_CREDENTIALS, VTPASS_API_KEYS

pytestmark = pytest.mark.django_db


def test_connectors_read_the_balance_endpoints(vtpass, vtpass_sim, aggregator, aggregator_sim):
    vtpass_sim.balance_minor = 123_456_78
    [naira] = vtpass.balance()
    assert (naira.currency, naira.amount_minor) == ("NGN", 123_456_78)
    aggregator_sim.balance = 550.75
    [dollars] = aggregator.balance()
    assert (dollars.currency, dollars.amount_minor, dollars.raw["currencyName"]) == ("USD", 55_075, "US Dollar")
    assert "updatedAt" in dollars.raw


def test_registry_check_flags_low_balances(vtpass_sim, aggregator_sim, dtone_sim, caplog, host_client, tenants):
    from shared_apps.providers.balances import provider_balances
    from shared_apps.providers.models import Provider

    Provider.objects.all().update(status="disabled")  # only the rows of this test answer
    vtpass_sim.balance_minor = 40_000_00  # 40,000 NGN: below the 50,000 NGN default
    aggregator_sim.balance = 1_000.0  # 1,000 USD: above the 500 USD default
    dtone_sim.balance = Decimal("120.50")  # 120.50 USD: below it
    provider_register(name=f"VTPass {uuid.uuid4().hex[:4]}", country="NG", plugin_key="vtpass",
                      base_url=vtpass_sim.url, capabilities=["airtime"], credentials=VTPASS_API_KEYS)
    provider_register(name="Aggregator GH", country="GH", plugin_key="aggregator", base_url=aggregator_sim.url,
                      capabilities=["airtime"], credentials=AGGREGATOR_CREDENTIALS)
    provider_register(name="DT One SN", country="SN", plugin_key="dtone", base_url=dtone_sim.url + "/v1",
                      capabilities=["airtime"], credentials=DTONE_CREDENTIALS)
    with PaystackSimulator(balance=5_000) as paystack:
        provider_register(name="Paystack low option", country="NG", plugin_key="paystack", base_url=paystack.url,
                          capabilities=["payments"], credentials={"secret_key": paystack.secret_key},
                          options={"low_balance_minor": 10_000})
        with caplog.at_level(logging.WARNING, logger="shared_apps.providers.balances"):
            lines = provider_balances()
    by_plugin = {line.provider.plugin_key: line for line in lines}
    assert by_plugin["vtpass"].low and by_plugin["vtpass"].amount_minor == 40_000_00
    assert not by_plugin["aggregator"].low and by_plugin["aggregator"].currency == "USD"
    assert by_plugin["paystack"].low and by_plugin["paystack"].threshold_minor == 10_000
    assert by_plugin["dtone"].low and (by_plugin["dtone"].currency, by_plugin["dtone"].amount_minor) == ("USD", 12_050)
    lows = [r for r in caplog.records if r.getMessage() == "provider balance low"]
    assert {r.provider for r in lows} == {"vtpass", "paystack", "dtone"} and "sim-vtpass" not in caplog.text
    assert REGISTRY.get_sample_value("nexustop_provider_balance_low",
                                     {"provider": "vtpass", "country": "NG", "currency": "NGN"}) == 1
    assert REGISTRY.get_sample_value("nexustop_provider_balance_minor",
                                     {"provider": "aggregator", "country": "GH", "currency": "USD"}) == 100_000
    from shared_apps.providers.tasks import check_balances_task

    counts = check_balances_task()
    assert counts["checked"] >= 2


def test_head_office_page_and_operator_api(vtpass_sim, host_client, tenants):
    from shared_apps.providers.models import Provider
    from tenant_apps.accounts.models import User
    from tests.portal.test_ops_pages import quick_login

    Provider.objects.all().update(status="disabled")
    vtpass_sim.balance_minor = 40_000_00
    provider_register(name="VTPass page", country="NG", plugin_key="vtpass", base_url=vtpass_sim.url,
                      capabilities=["airtime"], credentials=VTPASS_API_KEYS)
    staff = User.objects.create_user(email=f"ho-{uuid.uuid4().hex[:6]}@nexustop.example", role="super_admin",
                                     is_staff=True)
    page = quick_login(host_client("localhost"), "public", staff).get("/console/providers/balances")
    assert page.status_code == 200 and 'data-low="1"' in page.content.decode() and "VTPass page" in \
        page.content.decode()
    from django_tenants.utils import schema_context
    from rest_framework.test import APIClient

    with schema_context("ng"):
        finance = User.objects.create_user(email=f"fin-{uuid.uuid4().hex[:6]}@example.test", role="operator_finance")
        customer = User.objects.create_user(email=f"c-{uuid.uuid4().hex[:6]}@example.test", role="customer")
    client = APIClient(HTTP_HOST="ng.localhost")
    client.force_authenticate(finance)
    answer = client.get("/api/provider-balances")
    assert answer.status_code == 200, answer.content
    [line] = [p for p in answer.json()["providers"] if p["provider"] == "VTPass page"]
    assert (line["balance"], line["currency"], line["low"]) == ("40000.00", "NGN", True)
    client.force_authenticate(customer)
    assert client.get("/api/provider-balances").status_code == 403


def test_every_country_currency_has_a_low_balance_threshold(settings):
    from countries.codes import WEST_AFRICA
    from countries.registry import default_adapter

    assert {default_adapter(code).currency for code in WEST_AFRICA} <= set(settings.PROVIDER_LOW_BALANCE_MINOR)
