"""The published minimum is what can really be sent (outside testers: the demo corridors published ``min_send``
1.00 NGN while their 1 % + ₦100 fee refused anything under about ₦101). The corridor API publishes the
operator's minimum raised to the smallest amount the fee leaves something of; a quote under the smallest amount
that arrives at the current rate names it (``amount_out_of_range``, fee included), and that amount prices."""

from __future__ import annotations

import pytest

from tenant_apps.remittances import fx
from tests.remittances.helpers import funded, quote, remit_settings
from tests.wallet.helpers import client_for


@pytest.mark.parametrize("fee_bps, fixed", [(100, 10_000), (0, 0), (250, 5), (4999, 1), (1, 99_999)])
def test_smallest_send_is_the_first_amount_the_fee_leaves_something_of(fee_bps, fixed):
    smallest = fx.smallest_send(fee_bps=fee_bps, fee_fixed_minor=fixed)
    assert smallest - fx.fee_for(send_minor=smallest, fee_bps=fee_bps, fee_fixed_minor=fixed) >= 1
    below = smallest - 1
    assert below <= 0 or below - fx.fee_for(send_minor=below, fee_bps=fee_bps, fee_fixed_minor=fixed) <= 0
    assert fx.smallest_send(fee_bps=100, fee_fixed_minor=10_000) == 10_103  # ₦101.03, not ₦1.00


def test_smallest_principal_inverts_the_conversion():
    for rate in (9_553_000, 1_000_000_000, 123_456_789_012, 7):
        for receive in (1, 5, 100):
            principal = fx.smallest_principal(rate_e9=rate, send_exponent=2, receive_exponent=2, receive_minor=receive)
            assert fx.convert(principal_minor=principal, rate_e9=rate, send_exponent=2, receive_exponent=2) >= receive
            assert fx.convert(principal_minor=principal - 1, rate_e9=rate, send_exponent=2,
                              receive_exponent=2) < receive


@pytest.mark.django_db
def test_demo_corridors_publish_a_minimum_that_can_be_sent(settings, oxr, sanctions_sim):
    from tenant_apps.remittances.demo import seed_demo_corridors

    remit_settings(settings, oxr, sanctions_sim)
    seed_demo_corridors()
    sender = funded("ng", 1_500_000)
    listed = client_for(sender, "ng").get("/api/remittances/corridors")
    assert listed.status_code == 200, listed.content
    rows = listed.json() if isinstance(listed.json(), list) else listed.json()["results"]
    assert rows and {row["min_send"] for row in rows} == {"101.03"}, rows  # was 1.00 under a ₦100 fee
    # Under it: refused, naming the real minimum (fee included), not "does not cover the fee".
    refused = quote(sender, amount="1.00", recipient_phone="+233244123456")
    assert refused.status_code == 422, refused.content
    error = refused.json()["error"]
    assert error["code"] == "amount_out_of_range"
    assert error["message"] == "The smallest amount you can send to Ghana is ₦101.03, fee included."
    # The published minimum leaves 1 kobo, which converts to no pesewa: the quote names the amount that arrives.
    at_rate = quote(sender, amount="101.03", recipient_phone="+233244123456")
    assert at_rate.status_code == 422, at_rate.content
    message = at_rate.json()["error"]["message"]
    assert message.startswith("The smallest amount you can send to Ghana is ₦"), message
    smallest = message.split("₦", 1)[1].split(",", 1)[0]
    assert at_rate.json()["error"]["fields"]["amount"] == [f"At least ₦{smallest}."]
    priced = quote(sender, amount=smallest, recipient_phone="+233244123456")
    assert priced.status_code == 201, priced.content
    assert priced.json()["minor"]["receive"] >= 1
    cents = int(smallest.replace(".", ""))
    one_less = f"{(cents - 1) // 100}.{(cents - 1) % 100:02d}"
    assert quote(sender, amount=one_less, recipient_phone="+233244123456").status_code == 422
    # In French too.
    french = client_for(sender, "ng").post(
        "/api/remittances/quotes", {"destination_country": "GH", "amount": "1.00", "method": "wallet",
                                    "sender_name": "Ada Obi", "recipient_name": "Kofi Mensah",
                                    "recipient_phone": "+233244123456"}, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert french.json()["error"]["message"] == (
        "Pour un envoi vers ce pays (Ghana), le montant minimum est de 101,03 ₦, frais inclus."), french.content
