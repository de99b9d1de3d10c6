"""What a French or Portuguese buyer reads: purchase refusals and the receipt's status block, in their language.

The network is named as the country plan names it (``Orange Sénégal``), never the catalogue key upper-cased
("Not a ORANGE number." was what the API answered on every site).
"""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from shared_apps.catalog.models import ProductType
from tenant_apps.orders import errors
from tenant_apps.orders.services.create import validated_recipient

pytestmark = pytest.mark.django_db

EXPRESSO_NUMBER = "701234567"  # Senegal, Expresso's prefix 70


@pytest.mark.parametrize(("language", "message", "field"), [
    ("fr", "Ce numéro est chez Expresso Sénégal, pas chez Orange Sénégal ; choisissez un produit de ce réseau.",
     "Ce numéro n'est pas un numéro Orange Sénégal."),
    ("pt", "Este número é da Expresso Sénégal, não da Orange Sénégal; escolha um produto dessa rede.",
     "Este número não é da rede Orange Sénégal."),
    ("en", "This number is on Expresso Sénégal, not Orange Sénégal; choose a product of that network.",
     "This number is not on the Orange Sénégal network."),
])
def test_network_mismatch_names_both_networks_in_the_buyers_language(language, message, field):
    product = SimpleNamespace(country="SN", product_type=ProductType.AIRTIME, operator="orange", provider=None)
    with translation.override(language), pytest.raises(errors.RecipientNetworkMismatch) as refused:
        validated_recipient(product=product, recipient_phone=EXPRESSO_NUMBER)  # type: ignore[arg-type]
    assert refused.value.code == "recipient_network_mismatch"  # the stable code stays English
    assert str(refused.value.message) == message
    assert refused.value.fields == {"recipient_phone": [field]}


@pytest.mark.parametrize(("error", "french", "portuguese"), [
    (errors.RecipientNetworkMismatch, "Ce numéro est sur un autre réseau que celui du produit ; choisissez un "
     "produit de ce réseau.", "Este número é de outra rede; escolha um produto dessa rede."),
    (errors.VerificationNotOffered, "Ce facturier n'indique pas à qui appartient un compteur ou une carte "
     "d'abonnement : vérifiez le numéro, puis payez.", "Este faturador não indica a quem pertence um contador ou "
     "cartão de assinatura: verifique o número e depois pague."),
    (errors.DuplicatePurchase, "Vous venez d'acheter ce produit pour ce destinataire. Envoyez "
     "confirm_duplicate: true pour l'acheter de nouveau.", "Acabou de comprar este produto para este destinatário. "
     "Envie confirm_duplicate: true para comprar de novo."),
])
def test_purchase_errors_read_in_french_and_portuguese(error, french, portuguese):
    with translation.override("fr"):
        assert str(error().message) == french
    with translation.override("pt"):
        assert str(error().message) == portuguese


def _status_block(language: str) -> str:
    order = SimpleNamespace(public_id="x", provider_reference="", token="", units="", currency="XOF",
                            receipt_details={"fx": {"rate": "0.0016", "currency": "USD", "amount": "1.60"},
                                             "pins": [{"serial": "S-1", "pin": "1234"}],
                                             "certificate": {"number": "C-9", "url": "https://example.com/c"}})
    with translation.override(language):
        return render_to_string("portal/history/_status.html", {"order": order, "final": True, "plain": "delivered"})


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", ["Taux du fournisseur\u00a0: 1 USD = 0,0016 XOF", "facturé 1,60 USD", "Numéro de série", "Certificat",
            "Télécharger"]),
    ("pt", ["Taxa de câmbio do fornecedor: 1 USD = 0,0016 XOF", "cobrado 1,60 USD", "Número de série", "Certificado",
            "Descarregar"]),
])
def test_receipt_status_block_has_no_english_left(language, expected):
    html = _status_block(language)
    for text in expected:
        assert text in html
    for english in ("Provider rate", "charged", "Serial", "Certificate", "Download"):
        assert english not in html


@pytest.mark.parametrize(("language", "status", "message"), [
    ("fr", "released", "Non livré : l'argent est revenu sur votre portefeuille."),
    ("pt", "released", "Não entregue: o dinheiro voltou para a sua carteira."),
    ("fr", "settled", "Livré."),
    ("pt", "settled", "Entregue."),
    ("en", "settled", "Delivered."),
])
def test_the_apis_order_message_is_in_the_buyers_language(language, status, message):
    """``GET /api/purchases/<id>`` and the purchase's answer carry ``message``: it said "Delivered." to everyone
    (a French buyer's response had ``Content-Language: fr`` and English words in it)."""
    from django.utils import timezone

    from tenant_apps.orders.models import Order
    from tenant_apps.orders.serializers import order_json

    order = Order(status=status, currency="XOF", face_value_minor=1000, price_minor=989, product_id=1,
                  product_type="airtime", product_name="Orange Airtime", recipient_phone="+221771234567",
                  created_at=timezone.now(), receipt_details={})
    with translation.override(language), mock.patch("tenant_apps.orders.serializers.api_tax_lines",
                                                    return_value=[]):
        assert order_json(order)["message"] == message


@pytest.mark.parametrize(("language", "rate"), [("fr", "1 USD = 8 620 GNF"), ("en", "1 USD = 8,620 GNF"),
                                                ("pt", "1 USD = 8 620 GNF")])
def test_the_provider_rate_reads_as_a_number_of_the_language(language, rate):
    """It read "8620.0 GNF" on every page: the provider's decimal string as it came."""
    order = SimpleNamespace(public_id="x", provider_reference="", token="", units="", currency="GNF",
                            receipt_details={"fx": {"rate": "8620.0", "currency": "USD"}})
    with translation.override(language):
        html = render_to_string("portal/history/_status.html", {"order": order, "final": True, "plain": "delivered"})
    assert rate in html and "8620.0" not in html
