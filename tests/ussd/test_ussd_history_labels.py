"""USSD "Last transactions" names every kind of wallet line as the statement does (a journey on the Cabo Verde site):
a remittance received, a merchant payment and its refund, savings deposits and withdrawals all read "Outro"
(Other) on the handset while the statement API named them."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from provider_plugins.interfaces.ussd import UssdRequest, gsm7
from tests.support.country_sites import SITES, site_client, site_customer
from tests.ussd.helpers import PIN
from tests.wallet.helpers import post

pytestmark = pytest.mark.django_db


def dial(schema: str, phone: str, text: str) -> str:
    from tenant_apps.ussd.menu import respond

    with schema_context(schema):
        reply = respond(UssdRequest(session_id=f"ATUid_{uuid.uuid4().hex}", service_code="*384*104#",
                                    phone_number=phone, text=text))
    return gsm7(reply.text)  # what the handset shows


def test_last_transactions_name_savings_lines_in_portuguese(country_sites):
    from tenant_apps.pins.services import pin_set

    schema = SITES["CV"][0]
    saver = site_customer("CV", funded=500_000)
    with schema_context(schema):
        type(saver).objects.filter(pk=saver.pk).update(preferred_language="pt")
        pin_set(user=saver, pin=PIN)
    client = site_client(saver, "CV")
    goal = post(client, "/api/savings/goals", {"name": "Férias", "target": "1000.00"})
    assert goal.status_code == 201, goal.content
    deposit = post(client, f"/api/savings/goals/{goal.json()['id']}/deposits", {"amount": "200.25"})
    assert deposit.status_code == 201, deposit.content
    taken = post(client, f"/api/savings/goals/{goal.json()['id']}/withdrawals", {"amount": "50.00"})
    assert taken.status_code == 201, taken.content

    statement = [line["type_label"] for line in client.get("/api/wallet/transactions",
                                                           HTTP_ACCEPT_LANGUAGE="pt").json()["results"][:2]]
    assert statement == ["Levantamento de poupança", "Depósito de poupança"]
    dial(schema, saver.phone, "")
    history = dial(schema, saver.phone, "6")
    lines = history.splitlines()
    assert lines[0] == "Ultimas operacoes", history
    assert lines[1].endswith("+50,00 CVE Levantamento de poupanca"), history
    assert lines[2].endswith("-200,25 CVE Deposito de poupanca"), history
    assert "Outro" not in history
