"""A remittance has a receipt like an order, a transfer or a funding (outside testers found none): the sender's
PDF (amount sent, fee, rate, amount received in the destination's currency, recipient masked, status, references)
in their language and the country's money format, only for its sender in its tenant, and a share link that opens
without login and expires (``RECEIPT_LINK_TTL_DAYS``). NG -> GH over the rate and sanctions simulators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from countries.registry import display_minor
from tests.portal.test_ops_pages import quick_login
from tests.receipts.test_receipts import pdf_text
from tests.remittances.helpers import advance, funded, quote, remittance, send
from tests.wallet.helpers import client_for, new_customer

pytestmark = pytest.mark.django_db


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _read(content: bytes) -> str:
    """The PDF's text with its line wraps undone (the narrow page wraps long labels)."""
    return " ".join(pdf_text(content).split())


def _credited(sender):
    recipient = new_customer("gh")
    made = send(sender, quote(sender, recipient_phone=recipient.phone).json()["id"])
    assert made.status_code == 202, made.content
    public_id = made.json()["id"]
    assert advance(public_id) == "credited"
    return remittance(public_id), recipient


def test_the_sender_gets_the_pdf_with_the_sent_fee_rate_and_received_amounts(remit):
    sender = funded("ng", 1_500_000)
    row, recipient = _credited(sender)
    assert (row.send_minor, row.fee_minor) == (500_000, 15_000)  # 1 % + ₦100 fixed
    answer = client_for(sender, "ng").get(f"/api/receipts/remittance/{row.public_id}.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf", answer.content[:200]
    text = _read(answer.content)
    assert "Money sent abroad" in text and "Credited" in text and "Ghana" in text
    assert "Amount sent (fee included)" in text and "₦5,000.00" in text and "₦150.00" in text
    assert "₦4,850.00" in text  # converted: sent - fee
    assert _plain(display_minor(row.receive_minor, "GHS", locale="en")) in text and "Amount received" in text
    assert "1 NGN = 0.00" in text and "GHS" in text
    assert row.public_id.hex[:10].upper() in text and str(row.public_id) in text.replace(" ", "")
    assert recipient.phone not in text and recipient.phone[-3:] in text  # masked, recognisable
    assert "Kofi Mensah" not in text and "K. M." in text
    # In the sender's language, amounts in that language's format.
    from tenant_apps.accounts.models import User

    with schema_context("ng"):
        User.objects.filter(pk=sender.pk).update(preferred_language="fr")
        sender.refresh_from_db()
    text = _read(client_for(sender, "ng").get(f"/api/receipts/remittance/{row.public_id}.pdf").content)
    assert "Argent envoyé à l’étranger" in text and "Crédité" in text and "5 000,00 ₦" in text, text
    assert _plain(display_minor(row.receive_minor, "GHS", locale="fr")) in text and "Montant reçu" in text
    assert "1 NGN = 0,00" in text and "Frais" in text


def test_only_the_sender_in_its_tenant_gets_the_receipt(remit):
    sender = funded("ng", 1_500_000)
    row, recipient = _credited(sender)
    path = f"/api/receipts/remittance/{row.public_id}"
    assert client_for(sender, "ng").get(f"{path}.pdf").status_code == 200
    stranger = new_customer("ng")
    assert client_for(stranger, "ng").get(f"{path}.pdf").status_code == 404
    assert client_for(stranger, "ng").post(f"{path}/share").status_code == 404
    # Another tenant: neither its customers (the recipient included) nor the sender's id open it there.
    assert client_for(recipient, "gh").get(f"{path}.pdf").status_code == 404
    assert client_for(new_customer("gh"), "gh").post(f"{path}/share").status_code == 404
    assert client_for(sender, "ng").delete(f"{path}/share").status_code == 404  # nothing shared yet


def test_the_share_link_opens_masked_is_tenant_bound_and_expires(remit, settings):
    settings.RECEIPT_LINK_TTL_DAYS = 7
    sender = funded("ng", 1_500_000)
    row, recipient = _credited(sender)
    made = client_for(sender, "ng").post(f"/api/receipts/remittance/{row.public_id}/share")
    assert made.status_code == 201, made.content
    token = made.json()["url"].rsplit("/", 1)[-1]
    visitor = Client(HTTP_HOST="ng.localhost")
    page = visitor.get(f"/r/{token}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "₦5,000.00" in html and "₦150.00" in html and recipient.phone not in html and "Kofi Mensah" not in html
    shared_pdf = pdf_text(visitor.get(f"/r/{token}/pdf").content)
    assert "₦5,000.00" in shared_pdf and "partly hidden" in shared_pdf and recipient.phone not in shared_pdf
    assert Client(HTTP_HOST="gh.localhost").get(f"/r/{token}").status_code == 404
    # Past RECEIPT_LINK_TTL_DAYS the link refuses and says why.
    from tenant_apps.receipts.models import ReceiptLink

    with schema_context("ng"):
        link = ReceiptLink.objects.get(token=token)
        assert link.expires_at is not None and link.kind == "remittance"
        ReceiptLink.objects.filter(pk=link.pk).update(created_at=link.created_at - timedelta(days=7),
                                                      expires_at=link.expires_at - timedelta(days=7))
    expired = visitor.get(f"/r/{token}")
    assert expired.status_code == 404 and "This receipt link has expired." in expired.content.decode()
    assert visitor.get(f"/r/{token}/pdf").status_code == 404


def test_the_status_page_offers_the_pdf_and_the_share_link(remit):
    sender = funded("ng", 1_500_000)
    row, _recipient = _credited(sender)
    owner = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", sender)
    page = owner.get(f"/remittances/{row.public_id}").content.decode()
    assert f"/receipts/remittance/{row.public_id}.pdf" in page and 'data-testid="receipt-share"' in page
    pdf = owner.get(f"/receipts/remittance/{row.public_id}.pdf")
    assert pdf.status_code == 200 and "₦5,000.00" in pdf_text(pdf.content)
    shared = owner.post(f"/receipts/remittance/{row.public_id}/share")
    assert shared.status_code == 302 and shared["Location"].endswith(f"/remittances/{row.public_id}")
    assert 'data-testid="share-url"' in owner.get(f"/remittances/{row.public_id}").content.decode()
