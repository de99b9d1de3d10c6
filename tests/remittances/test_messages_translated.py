"""What a French or Portuguese sender or operator reads when a remittance or a corridor is refused: the API's
message and its field text in their language, the stable ``code`` unchanged."""

from __future__ import annotations

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from shared_apps.core.errors import ApiError
from tenant_apps.remittances.services import corridor_update
from tests.wallet.helpers import client_for, new_customer, post

pytestmark = pytest.mark.django_db


def _speaking(user, language: str):
    client = client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


@pytest.mark.parametrize(("language", "message", "field"), [
    ("fr", "Un transfert international va vers un autre pays ; pour ce pays, envoyez de l’argent par transfert.",
     "C’est ce pays-ci."),
    ("pt", "Uma remessa vai para outro país; para este país, use uma transferência.", "É este país."),
    ("en", "A remittance goes to another country; use a transfer.", "That is this country."),
])
def test_a_remittance_to_ones_own_country_is_refused_in_the_senders_language(remit, language, message, field):
    body = {"destination_country": "NG", "amount": "5000.00", "method": "wallet", "sender_name": "Ada Obi",
            "recipient_name": "Kofi Mensah", "recipient_phone": "+2348031234567"}
    answer = post(_speaking(new_customer(), language), "/api/remittances/quotes", body, key=None)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "same_country"
    assert answer.json()["error"]["message"] == message
    assert answer.json()["error"]["fields"] == {"destination_country": [field]}


@pytest.mark.parametrize(("language", "field"), [
    ("fr", "Entre 0 et 4999 points de base."), ("pt", "Entre 0 e 4999 pontos base."),
    ("en", "Between 0 and 4999 basis points."),
])
def test_a_corridor_margin_out_of_range_is_explained_in_the_operators_language(remit, language, field):
    admin = new_customer("ng", role="operator_admin")
    with schema_context("ng"), translation.override(language), pytest.raises(ApiError) as refused:
        corridor_update(actor=admin, destination_country="GH", margin_bps=9000, fee_bps=0, fee_fixed_minor=0)
    assert refused.value.code == "invalid_corridor"
    assert refused.value.fields == {"margin_bps": [field]}
