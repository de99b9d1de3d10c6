"""Portal pages: send (a quote first), confirm once per rendered form, status; the back office's review queue
and corridors; in English, French and Portuguese."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from tests.remittances.helpers import advance, assert_reconciled, funded
from tests.risk.helpers import page_client
from tests.wallet.helpers import balance_of, new_customer


def _form(**extra):
    return {"destination_country": "GH", "amount": "5000.00", "method": "wallet", "sender_name": "Ada Obi",
            "recipient_name": "Kofi Mensah", **extra}


@pytest.mark.django_db
def test_send_quote_confirm_once_and_status(remit):
    sender = funded("ng", 1_500_000)
    recipient = new_customer("gh")
    browser = page_client(sender)
    page = browser.get("/remittances")
    assert page.status_code == 200 and b"Send money abroad" in page.content
    answer = browser.post("/remittances", _form(recipient_phone=recipient.phone))
    assert answer.status_code == 302 and "/remittances/quotes/" in answer["Location"]
    quote_page = browser.get(answer["Location"])
    assert quote_page.status_code == 200 and b"47.77" in quote_page.content and b"0.009850000" in quote_page.content
    found = re.search(rb'name="idempotency_key" value="([^"]+)"', quote_page.content)
    assert found
    key = found.group(1).decode()
    confirmed = browser.post(answer["Location"], {"idempotency_key": key})
    assert confirmed.status_code == 302 and "/remittances/" in confirmed["Location"]
    again = browser.post(answer["Location"], {"idempotency_key": key})  # a double submit of the same form
    assert again.status_code == 302 and again["Location"] == confirmed["Location"]
    assert balance_of(sender, "ng") == 1_500_000 - 500_000
    rid = confirmed["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert advance(rid) == "credited"
    status = browser.get(confirmed["Location"])
    assert status.status_code == 200 and b"Credited" in status.content
    assert page_client(new_customer("ng")).get(confirmed["Location"]).status_code == 404
    assert_reconciled()


@pytest.mark.django_db
def test_bad_form_is_a_400_with_the_message(remit):
    browser = page_client(funded("ng", 1_500_000))
    page = browser.post("/remittances", _form(recipient_phone="+2348031234567"))
    assert page.status_code == 400 and b"another country" in page.content


@pytest.mark.django_db
def test_back_office_review_queue_and_corridors(remit):
    from tenant_apps.remittances.models import Corridor

    sender = funded("ng", 1_500_000)
    browser = page_client(sender)
    answer = browser.post("/remittances", _form(recipient_phone=new_customer("gh").phone,
                                                recipient_name="Viktor Sanctionov"))
    found = re.search(rb'name="idempotency_key" value="([^"]+)"', browser.get(answer["Location"]).content)
    assert found
    browser.post(answer["Location"], {"idempotency_key": found.group(1).decode()})
    support = page_client(new_customer("ng", role="operator_support"))
    queue = support.get("/back-office/remittances")
    assert queue.status_code == 200 and b"Viktor Sanctionov" in queue.content
    from tenant_apps.remittances.models import Remittance

    with schema_context("ng"):
        rid = Remittance.objects.get(sender=sender).public_id
    assert support.post(f"/back-office/remittances/{rid}/reject").status_code == 302
    assert balance_of(sender, "ng") == 1_500_000
    assert page_client(sender).get("/back-office/remittances").status_code in (302, 403)
    admin = page_client(new_customer("ng", role="operator_admin"))
    saved = admin.post("/back-office/remittance-corridors", {"destination_country": "SN", "margin_bps": "200",
                                                              "fee_bps": "50", "fee_fixed": "50.00", "active": "on"})
    assert saved.status_code == 302
    with schema_context("ng"):
        corridor = Corridor.objects.get(destination_country="SN")
        assert (corridor.margin_bps, corridor.fee_bps, corridor.fee_fixed_minor) == (200, 50, 5_000)
    assert support.post("/back-office/remittance-corridors", {"destination_country": "SN", "margin_bps": "1",
                                                               "fee_bps": "1"}).status_code == 200  # read-only
    with schema_context("ng"):
        assert Corridor.objects.get(destination_country="SN").margin_bps == 200
    assert_reconciled()


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "text"), [("fr", "Envoyer de l’argent à l’étranger"),
                                                ("pt", "Enviar dinheiro para o estrangeiro")])
def test_pages_are_translated(remit, language, text):
    from tenant_apps.accounts.models import User

    sender = funded("ng", 0)
    with schema_context("ng"):
        User.objects.filter(pk=sender.pk).update(preferred_language=language)
    browser = page_client(sender)
    browser.cookies.load({"django_language": language})
    page = browser.get("/remittances", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200 and text in page.content.decode()
