"""Receipts: the PDF (its text read back with pypdf: amounts, VAT, brand, language), the shareable link
(no login, numbers masked, revocable, tenant-bound), and transfers and fundings too.

A delivered order is bought in-process through the real purchase path and the VTPass simulator
(``order_submit`` calls it over HTTP), inside each test's rolled-back transaction.
"""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.orders.helpers import api, new_buyer, submitted

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def delivered_order(stack, user, *, amount: int = 10_000, phone: str | None = None):
    from django.db import transaction

    from tenant_apps.orders import services

    with schema_context("ng"), transaction.atomic():
        order = services.purchase_create(user=user, product_id=stack.products["vt_airtime"].pk,
                                         recipient_phone=phone or stack.phone(), amount_minor=amount)
    with schema_context("ng"):
        return submitted(order.pk)


def test_the_pdf_receipt_carries_the_amounts_the_vat_and_the_brand(inproc_stack):
    user, token = new_buyer(100_000)
    order = delivered_order(inproc_stack, user)
    assert order.status == "settled" and order.price_minor == 9_894
    response = api("GET", f"/api/receipts/order/{order.public_id}.pdf", token)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert "NexusTop Nigeria" in text and "Receipt" in text
    assert "Total paid" in text and "₦98.94" in text  # what the wallet paid
    assert "₦100.00" in text  # the airtime's value
    # VAT at Nigeria's 7.5 % on the operator's income only, carved out of it (docs/tax.md): income = price -
    # provider cost = 98.94 - 97.00 = ₦1.94; net = 194 × 10 000 / 10 750 = 180.47 -> 180 kobo; VAT = 194 - 180
    # = 14 kobo = ₦0.14 (exactly 13.53: within one kobo). What the settlement posted to tax_payable_vat.
    assert re.search(r"of which VAT \(7\.5 %\)\s*₦0\.14", text), text
    assert "Delivered" in text and order.public_id.hex[:10].upper() in text
    assert order.recipient_phone not in text and order.recipient_phone[-3:] in text  # masked, recognisable
    # Another customer cannot get it.
    _other, other_token = new_buyer(0)
    assert api("GET", f"/api/receipts/order/{order.public_id}.pdf", other_token).status_code == 404


def test_the_pdf_is_in_the_customers_language(inproc_stack):
    from tenant_apps.accounts.models import User

    user, token = new_buyer(100_000)
    with schema_context("ng"):
        User.objects.filter(pk=user.pk).update(preferred_language="fr")
        user.refresh_from_db()
    order = delivered_order(inproc_stack, user)
    text = pdf_text(api("GET", f"/api/receipts/order/{order.public_id}.pdf", token).content)
    assert "Reçu" in text and "Total payé" in text and "98,94 ₦" in text
    assert re.search(r"dont VAT \(7,5 %\)\s*0,14 ₦", text), text  # the law's name for the tax, in French
    assert "Livré" in text
    assert re.search(r"Statut\s:\sLivré", text), text  # French sets a (no-break) space before the colon


def test_a_shared_link_opens_without_login_masks_the_number_and_can_be_turned_off(inproc_stack, host_client):
    user, token = new_buyer(100_000)
    order = delivered_order(inproc_stack, user)
    first = api("POST", f"/api/receipts/order/{order.public_id}/share", token)
    assert first.status_code == 201, first.content
    again = api("POST", f"/api/receipts/order/{order.public_id}/share", token)
    assert again.status_code == 200 and again.json()["url"] == first.json()["url"]
    url = first.json()["url"]
    token_part = url.rsplit("/", 1)[-1]
    assert len(token_part) >= 32 and url.startswith("http://ng.localhost/r/")

    visitor = host_client("ng.localhost")  # nobody logged in
    page = visitor.get(f"/r/{token_part}")
    assert page.status_code == 200
    html = page.content.decode()
    assert order.recipient_phone not in html and "₦98.94" in html and "₦0.14" in html
    assert page["Referrer-Policy"] == "no-referrer" and "noindex" in page["X-Robots-Tag"]
    assert "no-store" in page["Cache-Control"]
    shared_pdf = visitor.get(f"/r/{token_part}/pdf")
    assert shared_pdf.status_code == 200
    shared_text = pdf_text(shared_pdf.content)
    assert "₦98.94" in shared_text and order.recipient_phone not in shared_text and "partly hidden" in shared_text
    # Bound to its tenant: the same token on another domain is unknown.
    assert host_client("gh.localhost").get(f"/r/{token_part}").status_code == 404
    assert visitor.get(f"/r/{uuid.uuid4().hex}{uuid.uuid4().hex}").status_code == 404
    assert visitor.get("/r/not-a-token!").status_code == 404
    # Someone else cannot share (or stop) it.
    _other, other_token = new_buyer(0)
    assert api("POST", f"/api/receipts/order/{order.public_id}/share", other_token).status_code == 404
    off = Client(HTTP_HOST="ng.localhost").delete(f"/api/receipts/order/{order.public_id}/share",
                                                  HTTP_AUTHORIZATION=f"Bearer {token}")
    assert off.status_code == 204
    assert visitor.get(f"/r/{token_part}").status_code == 404
    renewed = api("POST", f"/api/receipts/order/{order.public_id}/share", token)
    assert renewed.status_code == 201 and renewed.json()["url"] != url


def test_transfers_and_fundings_have_receipts_too(db):
    from tenant_apps.wallet.models import FundingIntent
    from tenant_apps.wallet.transfers import p2p_transfer

    sender, token = new_buyer(50_000)
    receiver, _ = new_buyer(0)
    with schema_context("ng"):
        row = p2p_transfer(sender=sender, recipient=receiver.phone, amount_minor=12_345)
        intent = FundingIntent.objects.create(user=sender, gateway="paystack", provider_id=1,
                                              reference=f"fund_{uuid.uuid4().hex[:24]}", amount_minor=250_000,
                                              currency="NGN")
    text = pdf_text(api("GET", f"/api/receipts/transfer/{row.public_id}.pdf", token).content)
    assert "Money sent" in text and "₦123.45" in text and receiver.phone not in text and "VAT" not in text
    assert "Sent" in text
    text = pdf_text(api("GET", f"/api/receipts/funding/{intent.public_id}.pdf", token).content)
    assert "Wallet funding" in text and "₦2,500.00" in text and "Paystack" in text
    # The receiver cannot download the sender's receipt.
    from tenant_apps.accounts.tokens import tokens_for_user

    with schema_context("ng"):
        receiver_token, _ = tokens_for_user(receiver)
    assert api("GET", f"/api/receipts/transfer/{row.public_id}.pdf", receiver_token).status_code == 404
    assert api("GET", f"/api/receipts/nonsense/{row.public_id}.pdf", token).status_code == 404


def test_receipt_tax_lines_are_the_posted_ones_not_recomputed(db):
    from types import SimpleNamespace

    from django.utils import translation

    from tenant_apps.receipts.tax import tax_lines_for

    vat = {"code": "vat", "name": "TVA", "kind": "vat", "account_kind": "tax_payable_vat", "rate_bps": 1800,
           "base_minor": 100, "amount_minor": 18, "included": True}
    order = SimpleNamespace(tax_lines=[vat], quote={"taxes": []})
    with translation.override("fr"):
        [line] = tax_lines_for(kind="order", obj=order)
    assert (line.amount_minor, line.label) == (18, "dont TVA (18\xa0%)")
    # Before settlement the accepted quote's taxes; fundings have none.
    assert tax_lines_for(kind="order", obj=SimpleNamespace(tax_lines=[], quote={"taxes": [vat]}))[0].amount_minor == 18
    assert tax_lines_for(kind="funding", obj=order) == []
    stamp = {**vat, "code": "emtl", "name": "Stamp duty (EMTL)", "kind": "levy", "rate_bps": 0, "amount_minor": 5_000,
             "included": False, "account_kind": "tax_payable_levy_emtl"}
    [line] = tax_lines_for(kind="transfer", obj=SimpleNamespace(tax_lines=[stamp]))
    assert line.label == "Stamp duty (EMTL) (charged on top)" and not line.included


def test_the_receipt_page_offers_the_pdf_and_the_share_link(inproc_stack, host_client):
    from tests.accounts.helpers import PASSWORD

    user, _token = new_buyer(100_000)
    with schema_context("ng"):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    order = delivered_order(inproc_stack, user)
    client = host_client("ng.localhost")
    assert client.post("/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    page = client.get(f"/orders/{order.public_id}").content.decode()
    assert f"/receipts/order/{order.public_id}.pdf" in page and "₦0.14" in page  # the VAT line
    pdf = client.get(f"/receipts/order/{order.public_id}.pdf")
    assert pdf.status_code == 200 and "₦98.94" in pdf_text(pdf.content)
    shared = client.post(f"/receipts/order/{order.public_id}/share")
    assert shared.status_code == 302
    page = client.get(f"/orders/{order.public_id}").content.decode()
    match = re.search(r'value="(http://ng\.localhost/r/[A-Za-z0-9_-]+)"', page)
    assert match, "the share link is shown"
    assert host_client("ng.localhost").get(match.group(1).replace("http://ng.localhost", "")).status_code == 200
