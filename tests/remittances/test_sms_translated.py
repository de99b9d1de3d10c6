"""The remittance SMS speak the tenant's brand and the customer's language, like every other SMS.

They were one hard-coded English line, ``NexusTop: your remittance of 100000 GNF is credited.``, to a French
sender in Guinea (and ``NexusTop: you received 254.86 SLE from abroad.`` to the recipient): no brand, no language.
"""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from django_tenants.utils import schema_context

from tenant_apps.remittances import services

pytestmark = pytest.mark.django_db


def _sent(settings, fn, arg) -> str:
    settings.REMITTANCE_SMS_NOTIFICATIONS = True
    with mock.patch.object(services, "enqueue") as enqueue:
        fn(arg)
    assert enqueue.call_count == 1
    name, phone, text, purpose = enqueue.call_args.args
    assert phone == "+221771234567"
    assert (name, purpose) == ("wallet.send_sms", "remittance")
    return text


def _sender(language: str):
    return SimpleNamespace(phone="+221771234567", preferred_language=language)


@pytest.mark.parametrize(("language", "status", "expected"), [
    ("fr", "credited", "NexusTop Sénégal : votre transfert international de 5\u202f000\u00a0CFA a été crédité sur le "
                       "portefeuille du destinataire."),
    ("fr", "refunded", "NexusTop Sénégal : votre transfert international de 5\u202f000\u00a0CFA n'a pas pu être "
                       "livré ; 5\u202f000\u00a0CFA est revenu sur votre portefeuille."),
    ("pt", "paid_out", "NexusTop Sénégal: a sua remessa de 5\u202f000\u00a0CFA foi paga ao destinatário."),
    ("en", "credited", "NexusTop Sénégal: your remittance of"),
])
def test_the_senders_sms_is_branded_and_in_their_language(settings, language, status, expected):
    row = SimpleNamespace(sender=_sender(language), send_minor=5000, send_currency="XOF", status=status,
                          get_status_display=lambda: status)
    with schema_context("sn"):
        text = _sent(settings, services._notify_sender, row)
    assert text.replace("\u202f", " ").replace("\u00a0", " ").startswith(
        expected.replace("\u202f", " ").replace("\u00a0", " "))
    assert not text.startswith("NexusTop:")


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "NexusTop Sénégal : vous avez reçu 5 000 CFA de l'étranger."),
    ("pt", "NexusTop Sénégal: recebeu 5 000 CFA do estrangeiro."),
    ("en", "NexusTop Sénégal: you received CFA 5,000 from abroad."),
])
def test_the_recipients_sms_is_branded_and_in_their_language(settings, language, expected):
    inbound = SimpleNamespace(recipient=_sender(language), amount_minor=5000, currency="XOF")
    with schema_context("sn"):
        text = _sent(settings, services._notify_recipient, inbound)
    assert text.replace("\u202f", " ").replace("\u00a0", " ") == expected
