"""What a customer reads when money did not move: ``failure_reason`` is a sentence in their language
(``tenant_apps.wallet.failures.failure_text``), the raw value (a provider's ``FAILED``, ``APPROVAL_REJECTED``,
``blocked-account``, our ``expired``) is ``failure_code``.

Outside testers saw ``"failure_reason": "FAILED"`` on a declined MTN MoMo payment (and the like on transfers,
remittances, settlements), in every language."""

from __future__ import annotations

import pytest
from django.utils import translation

from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
from tenant_apps.wallet.failures import BALANCE_LIMIT, failure_text
from tests.wallet.helpers import client_for, new_customer, post, register_gateway

pytestmark = pytest.mark.django_db


def test_a_declined_momo_payment_reads_as_a_sentence_with_the_raw_code_apart(db):
    with MtnMomoSimulator(auto_approve=False) as momo:
        register_gateway(country="GH", key="mtn_momo", url=momo.url, options={"target_environment": "sandbox"})
        user = new_customer("gh")
        started = post(client_for(user, "gh"), "/api/wallet/fund", {"amount": "2.00", "gateway": "mtn_momo"})
        assert started.status_code in (201, 202), started.content
        body = started.json()
        from django_tenants.utils import schema_context

        from tenant_apps.wallet.models import FundingIntent

        with schema_context("gh"):
            reference_id = FundingIntent.objects.get(public_id=body["id"]).provider_reference
        momo.complete(reference_id, approve=False)
        seen = client_for(user, "gh").get(f"/api/wallet/fund/{body['id']}").json()
        assert seen["status"] == "failed", seen
        assert seen["failure_code"] in ("FAILED", "APPROVAL_REJECTED"), seen  # what MoMo said, for support
        assert seen["failure_reason"] == ("The payment provider did not complete the payment: nothing was added to "
                                          "your wallet."), seen
        french = client_for(user, "gh").get(f"/api/wallet/fund/{body['id']}", HTTP_ACCEPT_LANGUAGE="fr").json()
        assert french["failure_reason"].startswith("Le prestataire de paiement n'a pas finalisé le paiement"), french


@pytest.mark.parametrize(("kind", "raw", "status", "language", "expected"), [
    ("funding", "FAILED", "failed", "pt", "O prestador de pagamento não concluiu o pagamento"),
    ("funding", "expired", "failed", "fr", "Le paiement n'a pas été fait à temps"),
    ("funding", "amount_mismatch", "review", "en", "The amount paid is not the amount asked"),
    ("funding", "kyc_limit_exceeded", "review", "fr", "Ce paiement dépasse les limites"),
    ("transfer", "blocked-account", "failed", "fr", "La banque ou l'opérateur de mobile money a refusé le transfert"),
    ("transfer", "DISBURSE FAILED: Account is dormant", "reversed", "pt", "O banco ou o operador de dinheiro móvel "
                                                                          "devolveu a transferência"),
    ("transfer", "Refused after review: name mismatch", "failed", "en", "Refused after a check by our team"),
    ("remittance", "The payout failed at the rail (FAILED).", "refunded", "fr", "Le bénéficiaire n'a pas pu être payé"),
    ("remittance", "The payout account was refused (invalid_account).", "refunded", "pt", "A conta do destinatário"),
    ("remittance", "No NexusTop wallet has this phone number in the destination country.", "refunded", "en",
     "No wallet has this phone number"),
    ("settlement", BALANCE_LIMIT, "failed", "fr", "Votre portefeuille dépasserait le solde maximal"),
    ("settlement", "FAILED", "failed", "en", "The bank or mobile-money operator refused the transfer"),
])
def test_every_recorded_reason_reads_as_a_translated_sentence(kind, raw, status, language, expected):
    with translation.override(language):
        text = failure_text(kind, raw, status=status)
    assert text.startswith(expected), text
    assert raw not in text and "NexusTop" not in text


def test_nothing_failed_reads_as_nothing():
    assert failure_text("funding", "", status="succeeded") == ""
    with pytest.raises(ValueError):
        failure_text("order", "FAILED")
