"""Sign-up answers in the site's language (a journey on the Cabo Verde and Niger sites): the register answer's
``detail``, the OTP request's ``detail`` and the field errors of a bad email, a taken phone or a short code were
plain English strings under a Portuguese or French ``message``."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import PASSWORD, call, outbox_code

pytestmark = pytest.mark.django_db


def test_cabo_verde_sign_up_reads_in_portuguese(country_sites, host_client, sms_simulator):
    client = host_client(country_sites["CV"][1])

    bad_email = call(client, "POST", "/api/auth/register", {"email": "maria@", "phone": "9912345",
                                                            "password": PASSWORD})
    assert bad_email.status_code == 400
    assert bad_email.json()["error"]["fields"]["email"] == ["Introduza um endereço de e-mail válido."]

    registered = call(client, "POST", "/api/auth/register", {"email": "maria.lopes@example.cv", "phone": "991 23 45",
                                                             "password": PASSWORD})
    assert registered.status_code == 201, registered.content
    assert registered["Content-Language"] == "pt"
    assert registered.json()["detail"] == ("Enviámos-lhe um código por SMS: envie-o para /api/auth/otp para "
                                           "verificar o seu telefone.")
    phone = registered.json()["user"]["phone"]
    assert phone == "+2389912345"

    again = call(client, "POST", "/api/auth/register", {"email": "maria.lopes@example.cv", "phone": "9912346",
                                                        "password": PASSWORD})
    assert again.status_code == 400
    assert again.json()["error"] == {"code": "duplicate_email", "message": "Alguns campos não são válidos.",
                                     "fields": {"email": ["Já existe uma conta com este e-mail."]}}

    short = call(client, "POST", "/api/auth/otp", {"phone": phone, "code": "123"})
    assert short.status_code == 400
    assert short.json()["error"]["fields"]["code"] == ["Introduza o código de 6 algarismos que enviámos."]

    sent = outbox_code(sms_simulator.url, phone)
    wrong = call(client, "POST", "/api/auth/otp", {"phone": phone, "code": "000000" if sent != "000000" else "111111"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"]["code"] == ["O código não é válido."]

    requested = call(client, "POST", "/api/auth/otp", {"phone": "+238 991 23 47"})
    assert requested.status_code == 202
    assert requested.json()["detail"] == "Se este número estiver registado, foi enviado um código."


def test_niger_taken_phone_reads_in_french(country_sites, host_client, sms_simulator):
    client = host_client(country_sites["NE"][1])
    first = call(client, "POST", "/api/auth/register", {"email": "amina@example.ne", "phone": "+227 96 12 34 56",
                                                        "password": PASSWORD})
    assert first.status_code == 201, first.content
    assert first.json()["detail"].startswith("Nous vous avons envoyé un code par SMS")

    taken = call(client, "POST", "/api/auth/register", {"email": "moussa@example.ne", "phone": "00227 96123456",
                                                        "password": PASSWORD})
    assert taken.status_code == 400
    assert taken.json()["error"] == {"code": "duplicate_phone", "message": "Certains champs ne sont pas valides.",
                                     "fields": {"phone": ["Un compte existe déjà avec ce numéro."]}}
