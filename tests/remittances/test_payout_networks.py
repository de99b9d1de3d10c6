"""A mobile-money remittance to a number no wallet rail of the destination pays (outside journeys: BJ -> NE with
``rail: airtel_money`` for a number on another network was quoted and accepted; the money left, the payout was
refused over there, ``rail_network_mismatch``, and the sender was refunded). Ghana pays wallets through MTN MoMo
only: a Telecel number is refused when quoting, with the rail named (400 ``rail_network_mismatch``) or not (400
``payouts_unavailable``); an MTN number still quotes, and a wallet remittance to the Telecel number too."""

from __future__ import annotations

import pytest

from tests.remittances.helpers import funded, quote
from tests.support.numbers import sample_mobile
from tests.wallet.helpers import balance_of


@pytest.mark.django_db
@pytest.mark.parametrize(("rail", "code"), [("mtn_momo", "rail_network_mismatch"), ("", "payouts_unavailable")])
def test_a_wallet_number_no_rail_of_the_destination_pays_is_refused_at_the_quote(remit, rail, code):
    sender = funded("ng", 1_500_000)
    telecel, mtn = sample_mobile("GH", "telecel", 3), sample_mobile("GH", "mtn", 3)
    extra = {"rail": rail} if rail else {}
    refused = quote(sender, method="mobile_money", recipient_phone=telecel, **extra)
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["code"] == code
    assert set(refused.json()["error"]["fields"]) == {"recipient_phone"}
    paid = quote(sender, method="mobile_money", recipient_phone=mtn, **extra)
    assert paid.status_code == 201, paid.content
    assert quote(sender, method="wallet", recipient_phone=telecel).status_code == 201
    assert balance_of(sender, "ng") == 1_500_000  # a quote holds nothing


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "message", "field"), [
    ("fr", "Ce moyen de paiement ne verse pas d’argent sur le réseau de ce numéro.", "Autre réseau."),
    ("pt", "Este meio de pagamento não paga na rede deste número.", "Outra rede."),
])
def test_the_refusal_reads_in_the_senders_language(remit, language, message, field):
    from tests.wallet.helpers import client_for, post

    client = client_for(funded("ng", 1_500_000))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    answer = post(client, "/api/remittances/quotes", {
        "destination_country": "GH", "amount": "5000.00", "method": "mobile_money", "rail": "mtn_momo",
        "sender_name": "Ada Obi", "recipient_name": "Kofi Mensah",
        "recipient_phone": sample_mobile("GH", "telecel", 4)}, key=None)
    assert answer.status_code == 400, answer.content
    assert (answer.json()["error"]["message"], answer.json()["error"]["fields"]) == (
        message, {"recipient_phone": [field]})
