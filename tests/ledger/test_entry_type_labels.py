"""Every journal entry type reads in words (tenant_apps.ledger.entry_types): the statement page, its filter and
the statement API never show a raw code such as ``hold_place`` to a person."""

from __future__ import annotations

import re
import uuid

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from tenant_apps.agents.floats import FloatEntry
from tenant_apps.agents.services import CommissionEntry
from tenant_apps.cash import services as cash
from tenant_apps.ledger.entry_types import ENTRY_TYPE_LABELS, entry_type_label
from tenant_apps.ledger.services import EntryType, fund_wallet, place_hold, release_hold, wallet_for
from tenant_apps.merchants import services as merchants
from tenant_apps.orders.services.outcomes import EntryTypes
from tenant_apps.remittances import services as remittances
from tenant_apps.savings import common as savings
from tenant_apps.wallet import funding, funding_reviews, transfers
from tests.accounts.helpers import make_user
from tests.portal.test_pages import page_login, unique_phone


def _codes_of(holder) -> set[str]:
    return {value for name, value in vars(holder).items() if name.isupper() and isinstance(value, str)}


def defined_entry_types() -> set[str]:
    codes = set()
    for holder in (EntryType, EntryTypes, CommissionEntry, FloatEntry):
        codes |= _codes_of(holder)
    codes |= {cash.COMMISSION_ENTRY, remittances.ENTRY_TYPE, transfers.PAYOUT_REFUND,
              funding.FUNDING_HELD_ENTRY, funding.FUNDING_MISMATCH_ENTRY,
              funding_reviews.FUNDING_REVIEW_CREDIT_ENTRY, funding_reviews.FUNDING_REVIEW_REFUND_ENTRY,
              merchants.PAYMENT_ENTRY, merchants.REFUND_ENTRY, merchants.SETTLEMENT_ENTRY}
    codes |= {value for name, value in vars(savings).items() if name.endswith("_ENTRY") and isinstance(value, str)}
    return codes


def test_every_entry_type_has_a_label():
    codes = defined_entry_types()
    assert len(codes) >= 30
    assert codes <= set(ENTRY_TYPE_LABELS), f"no label: {sorted(codes - set(ENTRY_TYPE_LABELS))}"


def test_labels_are_translated():
    for language in ("fr", "pt"):
        with translation.override("en"):
            english = {code: entry_type_label(code) for code in ENTRY_TYPE_LABELS}
        with translation.override(language):
            same = [code for code in ENTRY_TYPE_LABELS if entry_type_label(code) == english[code]]
        assert not same, f"{language}: not translated: {same}"


def test_an_unknown_code_reads_as_a_generic_label_not_the_code():
    assert entry_type_label("some_new_type") == "Other transaction"


@pytest.mark.django_db
def test_statement_page_in_french_shows_no_raw_entry_code(host_client, tenants):
    user = make_user("ng", email=f"labels-{uuid.uuid4().hex[:8]}@example.com", phone=unique_phone())
    with schema_context("ng"):
        wallet = wallet_for(user=user)
        fund_wallet(wallet=wallet, amount=5_000_00, reference=f"labels-{uuid.uuid4()}")
        place_hold(wallet=wallet, amount=1_000, reference=f"labels-pending-{uuid.uuid4()}")
        release_hold(hold=place_hold(wallet=wallet, amount=2_000, reference=f"labels-released-{uuid.uuid4()}"))
    client = host_client("ng.localhost")
    assert page_login(client, user.email).status_code == 302
    assert client.post("/profile", {"preferred_language": "fr"}).status_code == 302
    html = client.get("/wallet").content.decode()
    table = html[html.index("<table"):html.index("</table>")]
    cells = set(re.findall(r"<td>([^<]*)</td>", table))
    assert not cells & set(ENTRY_TYPE_LABELS), cells
    assert {"Paiement (bloqué)", "Paiement libéré"} <= cells, cells
    options = re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]*)</option>', html)
    labelled = {value: text for value, text in options if value in ENTRY_TYPE_LABELS}
    assert set(labelled) == set(ENTRY_TYPE_LABELS)  # the filter offers every type, each in words
    assert not [value for value, text in labelled.items() if text.strip() == value]



@pytest.mark.django_db
def test_statement_names_what_a_hold_was_for(sms_to_simulator):
    """A journey on the Niger and Liberia sites: a delivered purchase, a remittance sent and a cash-out to a wallet
    all read "Paiement (bloqué)" (Payment (held)) in the statement, and an agent's cash deposit "Paiement réglé"
    (Payment settled). The statement (API and page) names them by what they were for; an unknown reference keeps the
    entry type's label."""
    from tests.cash.helpers import client_for, new_agent, new_user, post

    agent, _row = new_agent(float_minor=100_000_00)
    customer = new_user()
    cashed = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "200.00"})
    assert cashed.status_code == 201, cashed.content
    code = post(customer, "/api/cash/withdrawal-codes", {"amount": "50.00"})
    assert code.status_code == 201, code.content
    tag = uuid.uuid4().hex[:12]
    with schema_context("ng"):
        wallet = wallet_for(user=customer)
        for reference in (f"ord-{tag}", f"remit:{tag}", f"payout:po_{tag}", f"other-{tag}"):
            place_hold(wallet=wallet, amount=1_000, reference=reference)
    answer = client_for(customer).get("/api/wallet/transactions", HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 200, answer.content
    labels = [(line["type"], line["type_label"]) for line in answer.json()["results"]]
    assert labels == [("hold_place", "Paiement (bloqué)"), ("hold_place", "Retrait vers un compte"),
                      ("hold_place", "Transfert à l'étranger"), ("hold_place", "Achat"),
                      ("hold_place", "Retrait d'espèces"), ("hold_settle", "Dépôt d'espèces")], labels
    float_lines = client_for(agent).get("/api/agents/me/statement", HTTP_ACCEPT_LANGUAGE="fr").json()["lines"]
    assert [line["entry_type_label"] for line in float_lines][:1] == ["Dépôt d'espèces"], float_lines
    with translation.override("pt"):
        from tenant_apps.ledger.entry_types import statement_label

        assert statement_label("hold_settle", "cashin:ci_1") == "Depósito em numerário"
        assert statement_label("hold_place", "cashout:1") == "Levantamento em numerário"
        assert statement_label("hold_release", "ord-1") == "Pagamento libertado"  # money back: what happened
