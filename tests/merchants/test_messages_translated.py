"""What a French or Portuguese payer or merchant reads when a payment is refused: the API's message and its field
text in their language, the stable ``code`` unchanged."""

from __future__ import annotations

import pytest
from django.utils import translation

from tenant_apps.merchants import services
from tests.merchants.helpers import funded, open_business
from tests.wallet.helpers import client_for, post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "message", "field"), [
    ("fr", "Vous ne pouvez pas payer votre propre commerce.", "C'est votre commerce."),
    ("pt", "Não pode pagar ao seu próprio negócio.", "É o seu negócio."),
    ("en", "You cannot pay your own business.", "That is your business."),
])
def test_paying_ones_own_business_is_refused_in_the_payers_language(language, message, field):
    owner = funded()
    merchant = open_business(owner=owner)
    client = client_for(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    answer = post(client, "/api/merchant-payments", {"merchant_code": merchant.code, "amount": "10.00"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "self_payment"
    assert answer.json()["error"]["message"] == message
    assert answer.json()["error"]["fields"] == {"merchant_code": [field]}


@pytest.mark.parametrize(("error", "french", "portuguese"), [
    (services.MerchantNotFound, "Aucun commerçant actif n'a ce code.", "Nenhum comerciante ativo tem este código."),
    (services.RefundTooLarge, "Un remboursement ne peut pas dépasser ce qui reste du paiement.",
     "Um reembolso não pode ser superior ao que resta do pagamento."),
])
def test_merchant_refusals_read_in_french_and_portuguese(error, french, portuguese):
    with translation.override("fr"):
        assert str(error().message) == french
    with translation.override("pt"):
        assert str(error().message) == portuguese


@pytest.mark.parametrize(("language", "name"), [
    ("fr", "Alimentation et supermarchés"), ("pt", "Mercearias e supermercados"),
    ("en", "Groceries and supermarkets"),
])
def test_category_names_read_in_the_callers_language(language, name):
    """The categories, a business and whom a code pays named the category in English on every site ("Fuel
    stations" to a French payer); the registration page already translated them."""
    from tests.wallet.helpers import client_for as wallet_client

    payer = funded()
    merchant = open_business()
    client = wallet_client(payer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    categories = client.get("/api/merchants/categories").json()["results"]
    assert {row["code"]: row["name"] for row in categories}["groceries"] == name
    looked_up = client.get(f"/api/merchants/lookup?code={merchant.code}").json()
    assert looked_up["category"] == name
    owner = client_for(merchant.owner)
    owner.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    assert owner.get(f"/api/merchants/{merchant.public_id}").json()["category"] == name
