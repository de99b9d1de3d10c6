"""The statement names a remittance's lines by what happened (outside journeys, ML -> GH): the sender's refund of a
remittance nobody could receive read "Transfert international" (the entry type's label, "Remittance"), exactly as
a remittance received from abroad reads on the recipient's side, so the +S line of a refund looked like money
received from someone. Now: "Remittance refunded" for the sender's refund, "Remittance received" for the
recipient's credit (fr / pt too), through the API's ``type_label``."""

from __future__ import annotations

import pytest
from django.utils import translation

from tenant_apps.ledger.entry_types import statement_label
from tests.remittances.helpers import advance, assert_reconciled, funded, quote, send
from tests.wallet.helpers import client_for, new_customer


def _labels(user, schema: str, language: str) -> list[tuple[str, str, str]]:
    answer = client_for(user, schema).get("/api/wallet/transactions", HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 200, answer.content
    return [(line["type"], line["type_label"], line["amount"]) for line in answer.json()["results"]]


@pytest.mark.django_db
def test_a_refunded_remittance_reads_as_a_refund_and_a_received_one_as_received(remit):
    sender = funded("ng", 1_500_000)
    refunded = send(sender, quote(sender, recipient_phone="+233244999112").json()["id"]).json()["id"]
    assert advance(refunded) == "refunded"
    recipient = new_customer("gh")
    credited = send(sender, quote(sender, recipient_phone=recipient.phone).json()["id"]).json()["id"]
    assert advance(credited) == "credited"
    sender_lines = _labels(sender, "ng", "fr")
    assert sender_lines[:3] == [("hold_place", "Transfert à l'étranger", "-5000.00"),
                                ("remittance", "Transfert à l'étranger remboursé", "5000.00"),
                                ("hold_place", "Transfert à l'étranger", "-5000.00")], sender_lines
    assert _labels(recipient, "gh", "en") == [("remittance", "Remittance received", "47.77")]
    assert _labels(recipient, "gh", "fr")[0][1] == "Transfert reçu de l'étranger"
    assert_reconciled()


def test_remittance_lines_by_step_in_every_language():
    expected = {"en": ("Remittance refunded", "Remittance received", "Remittance"),
                "fr": ("Transfert à l'étranger remboursé", "Transfert reçu de l'étranger", "Transfert international"),
                "pt": ("Remessa reembolsada", "Remessa recebida", "Remessa")}
    for language, labels in expected.items():
        with translation.override(language):
            got = tuple(statement_label("remittance", f"remit:4f7c:{step}") for step in ("refund", "credit", "payout"))
        assert got == labels, (language, got)
