"""Taxes through the real flows: a Ghanaian and a Nigerian sale (receipt amounts by hand), Nigeria's stamp
duty on transfers above and below NGN 10,000, the tax report against the ledger's tax accounts (and
``reconcile_ledger``), head office's consolidated report, and the report endpoint attacked across tenants.

Sales go through the real purchase path and the simulators over HTTP (``order_submit``), inside each test's
rolled-back transaction.
"""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.connection import tenant_connection
from tests.orders.helpers import api, new_buyer, requeried, submitted
from tests.receipts.test_receipts import pdf_text as raw_pdf_text

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    """The PDF's text with its line breaks and spacing folded (a long label wraps in the receipt's column)."""
    return " ".join(raw_pdf_text(content).split())


def settled(stack, schema: str, product_key: str, phone: str, amount_minor: int, user=None):
    from tenant_apps.orders import services

    user = user or new_buyer(500_000, schema=schema)[0]
    with schema_context(schema), transaction.atomic():
        order = services.purchase_create(user=user, product_id=stack.products[product_key].pk, recipient_phone=phone,
                                         amount_minor=amount_minor)
    with schema_context(schema):
        order = submitted(order.pk)
        for _ in range(40):  # the aggregator may answer pending first
            if order.status == "settled":
                break
            order = requeried(order.pk)
        assert order.status == "settled", order.status
    return order


def tax_postings(schema: str, reference_like: str = "") -> dict[str, int]:
    from django.db.models import Sum

    from tenant_apps.ledger.models import TAX_KINDS, Posting

    with schema_context(schema):
        rows = Posting.objects.filter(account__kind__in=sorted(TAX_KINDS), entry__reference__contains=reference_like) \
            .values_list("account__kind").annotate(total=Sum("amount"))
        return dict(rows)


def tier2(user, schema: str = "ng") -> None:
    """KYC tier 2 (single NGN 100,000): the phone-only tier stops at NGN 5,000."""
    from tenant_apps.kyc.models import KycStatus, KycSubmission

    with schema_context(schema):
        for scheme in ("nin", "bvn"):
            KycSubmission.objects.create(user=user, scheme=scheme, number_encrypted="x", number_masked="*",
                                         number_fingerprint=f"{scheme}-{user.pk}", status=KycStatus.APPROVED)


def test_a_nigerian_sale_posts_its_vat_and_the_receipts_show_it(inproc_stack):
    user, token = new_buyer(100_000)
    order = settled(inproc_stack, "ng", "vt_airtime", inproc_stack.phone(), 10_000, user=user)
    # By hand: ₦100 of MTN airtime costs the operator ₦97.00 (VTPass 3 % commission) and sells at ₦98.94
    # (the default margin: 97.00 × 1.02 = 98.94). Income = 98.94 - 97.00 = ₦1.94 = 194 kobo, VAT 7.5 % included:
    # net = 194 × 10 000 / 10 750 = 180.465 -> 180 kobo (half up); VAT = 194 - 180 = 14 kobo (exact 13.53).
    assert (order.price_minor, order.quote["cost_minor"]) == (9_894, 9_700)
    assert [(t["code"], t["base_minor"], t["amount_minor"]) for t in order.tax_lines] == [("vat", 180, 14)]
    assert tax_postings("ng", order.public_id.hex) == {"tax_payable_vat": 14}
    with schema_context("ng"):
        from tenant_apps.ledger.models import JournalEntry

        entry = JournalEntry.objects.get(entry_type="hold_settle", reference=order.reference)
        lines = dict(entry.postings.values_list("account__kind", "amount"))
        # One balanced entry: the hold gives 98.94; provider 97.00, revenue 1.80, VAT 0.14.
        assert lines == {"holds": -9_894, "provider_settlement": 9_700, "revenue": 180, "tax_payable_vat": 14}
    body = api("GET", f"/api/purchases/{order.public_id}", token).json()
    assert body["taxes"] == [{"code": "vat", "name": "VAT", "rate_bps": 750, "included": True, "amount": "0.14",
                              "amount_minor": 14}]
    text = pdf_text(api("GET", f"/api/receipts/order/{order.public_id}.pdf", token).content)
    assert "of which VAT (7.5 %) ₦0.14" in text, text


def test_a_ghanaian_sale_carves_vat_nhil_and_getfund_out_of_the_income(inproc_stack):
    user, token = new_buyer(500_000, schema="gh")
    order = settled(inproc_stack, "gh", "gh_airtime", "0241234567", 20_000, user=user)
    # By hand, 2026 rates (Act 1151): VAT 15 % + NHIL 2.5 % + GETFund 2.5 % = 20 %, all on the same base and
    # contained in the operator's income. GHS 200.00 of airtime costs GHS 194.00 (3 % commission) and sells at
    # 194.00 × 1.02 = GHS 197.88: income = 19 788 - 19 400 = 388 pesewas.
    #   net     = 388 × 10 000 / 12 000 = 323.33 -> 323 (half up); taxes = 388 - 323 = 65
    #   VAT     = 388 × 1 500 / 12 000 = 48.50 -> floor 48 (remainder .50)
    #   NHIL    = 388 ×   250 / 12 000 =  8.08 -> floor  8 (remainder .08)
    #   GETFund = 388 ×   250 / 12 000 =  8.08 -> floor  8 (remainder .08)
    #   floors 64: the 1 pesewa left goes to the largest remainder, VAT: 49. 323 + 49 + 8 + 8 = 388.
    assert (order.price_minor, order.quote["cost_minor"]) == (19_788, 19_400)
    assert [(t["code"], t["base_minor"], t["amount_minor"]) for t in order.tax_lines] == [
        ("vat", 323, 49), ("nhil", 323, 8), ("getfund", 323, 8)]
    assert tax_postings("gh", order.public_id.hex) == {
        "tax_payable_vat": 49, "tax_payable_levy_nhil": 8, "tax_payable_levy_getfund": 8}
    with schema_context("gh"):
        from tenant_apps.ledger.models import JournalEntry

        entry = JournalEntry.objects.get(entry_type="hold_settle", reference=order.reference)
        assert dict(entry.postings.values_list("account__kind", "amount")) == {
            "holds": -19_788, "provider_settlement": 19_400, "revenue": 323, "tax_payable_vat": 49,
            "tax_payable_levy_nhil": 8, "tax_payable_levy_getfund": 8}
    text = pdf_text(api("GET", f"/api/receipts/order/{order.public_id}.pdf", token, host="gh.localhost").content)
    for label in ("of which VAT (15 %) GH₵0.49", "of which NHIL (2.5 %) GH₵0.08",
                  "of which GETFund levy (2.5 %) GH₵0.08", "Total paid GH₵197.88"):
        assert label in text, text


def test_nigerian_stamp_duty_on_transfers_from_ngn_10000(inproc_stack):
    from tenant_apps.ledger.errors import InsufficientFunds
    from tenant_apps.wallet.transfers import p2p_transfer
    from tests.wallet.helpers import balance_of

    sender, token = new_buyer(3_000_000)
    receiver, _ = new_buyer(0)
    tier2(sender)
    tier2(receiver)
    with schema_context("ng"):
        below = p2p_transfer(sender=sender, recipient=receiver.phone, amount_minor=999_999)  # ₦9,999.99
        above = p2p_transfer(sender=sender, recipient=receiver.phone, amount_minor=1_000_000)  # ₦10,000.00
    assert (below.tax_minor, below.tax_lines) == (0, [])
    assert above.tax_minor == 5_000 and above.tax_lines[0]["account_kind"] == "tax_payable_levy_emtl"
    # The sender pays ₦50 on top of the ₦10,000; the receiver gets ₦10,000; the levy account owes ₦50.
    assert balance_of(sender) == 3_000_000 - 999_999 - 1_000_000 - 5_000
    assert balance_of(receiver) == 1_999_999
    assert tax_postings("ng", above.reference) == {"tax_payable_levy_emtl": 5_000}
    assert tax_postings("ng", below.reference) == {}
    # No overdraft: the same conditional debit covers the levy. 995 000 left; ₦10,000 + ₦50 does not fit.
    poor, _ = new_buyer(1_004_999)
    tier2(poor)
    with schema_context("ng"), pytest.raises(InsufficientFunds), transaction.atomic():
        p2p_transfer(sender=poor, recipient=receiver.phone, amount_minor=1_000_000)
    assert balance_of(poor) == 1_004_999
    # The API and the PDF receipt show the levy and the total debited.
    detail = api("GET", f"/api/transfers/{above.public_id}", token).json()
    assert detail["taxes"][0]["amount"] == "50.00" and detail["total_debited"] == "10050.00"
    text = pdf_text(api("GET", f"/api/receipts/transfer/{above.public_id}.pdf", token).content)
    assert "Stamp duty (EMTL) (charged on top) ₦50.00" in text and "Total debited ₦10,050.00" in text, text
    text = pdf_text(api("GET", f"/api/receipts/transfer/{below.public_id}.pdf", token).content)
    assert "EMTL" not in text


def staff(schema: str, role: str = "operator_finance"):
    from tenant_apps.accounts.models import User
    from tenant_apps.accounts.tokens import tokens_for_user

    with schema_context(schema):
        user = User.objects.create_user(email=f"{role}-{uuid.uuid4().hex[:8]}@example.test", role=role,
                                        phone=f"+23480{uuid.uuid4().int % 10**8:08d}", is_staff=True)
        return user, tokens_for_user(user)[0]


def test_the_tax_report_totals_are_the_ledger_tax_accounts(inproc_stack):
    from tenant_apps.tax.selectors import ledger_tax_totals, tax_report
    from tenant_apps.wallet.transfers import p2p_transfer

    today = timezone.localdate()
    with schema_context("ng"):
        before = tax_report(date_from=today, date_to=today)
    sender, _ = new_buyer(3_000_000)
    receiver, _ = new_buyer(0)
    tier2(sender)
    first = settled(inproc_stack, "ng", "vt_airtime", inproc_stack.phone(), 10_000)
    second = settled(inproc_stack, "ng", "vt_airtime", inproc_stack.phone(), 20_000)
    with schema_context("ng"):
        p2p_transfer(sender=sender, recipient=receiver.phone, amount_minor=1_500_000)
        report = tax_report(date_from=today, date_to=today)
        ledger = ledger_tax_totals(date_from=today, date_to=today)
    owed = {line.account_kind: line.net_minor for line in report.lines}
    assert owed == {kind: total for (kind, _currency), total in ledger.items()}  # the report IS the ledger
    was = {line.account_kind: line.net_minor for line in before.lines}
    vat = sum(t["amount_minor"] for o in (first, second) for t in o.tax_lines)
    assert owed["tax_payable_vat"] - was.get("tax_payable_vat", 0) == vat
    assert owed["tax_payable_levy_emtl"] - was.get("tax_payable_levy_emtl", 0) == 5_000
    base = {line.account_kind: line.base_minor for line in report.lines}
    assert base["tax_payable_levy_emtl"] - {x.account_kind: x.base_minor for x in before.lines}.get(
        "tax_payable_levy_emtl", 0) == 1_500_000
    # The same figures through the API (JSON, CSV, PDF) for operator finance.
    _finance, token = staff("ng")
    period = {"from": today.isoformat(), "to": today.isoformat()}
    body = api("GET", "/api/tax/report", token, period).json()
    assert body["total_owed_minor"] == sum(owed.values())
    assert {line["account"]: line["owed_minor"] for line in body["lines"]} == owed
    csv_text = api("GET", "/api/tax/report.csv", token, period).content.decode()
    assert csv_text.splitlines()[0].startswith("tenant,country,currency,tax") and "tax_payable_levy_emtl" in csv_text
    pdf = api("GET", "/api/tax/report.pdf", token, period)
    assert pdf.status_code == 200 and "Stamp duty (EMTL)" in pdf_text(pdf.content)
    assert api("GET", "/api/tax/report", token, {"from": "2026-13-01"}).json()["error"]["code"] == "invalid_period"
    assert api("GET", "/api/tax/report", token, {"from": "2026-02-01", "to": "2026-01-01"}).status_code == 400
    # A sale reversed by the provider gives its VAT back: the report shows it refunded, the ledger agrees.
    from provider_plugins.interfaces import OutcomeStatus
    from tenant_apps.orders.models import OrderAttempt
    from tenant_apps.orders.services.outcomes import Outcome, order_apply_provider_result

    with schema_context("ng"):
        attempt = OrderAttempt.objects.get(order=first)
        order_apply_provider_result(request_id=attempt.request_id, source="test", outcome=Outcome(
            status=OutcomeStatus.FAILED, reason="reversed"))
        after = tax_report(date_from=today, date_to=today)
        assert {x.account_kind: x.net_minor for x in after.lines} == {
            kind: total for (kind, _c), total in ledger_tax_totals(date_from=today, date_to=today).items()}
        assert {x.account_kind: x.refunded_minor for x in after.lines}["tax_payable_vat"] >= first.tax_lines[0][
            "amount_minor"]
        out = io.StringIO()
        call_command("reconcile_ledger", "--schema", "ng", stdout=out)  # raises CommandError on any discrepancy


def test_head_office_consolidates_every_country(inproc_stack, host_client):
    from tenant_apps.headoffice.tax_reports import consolidated_tax_report
    from tenant_apps.tax.selectors import tax_report

    settled(inproc_stack, "ng", "vt_airtime", inproc_stack.phone(), 10_000)
    settled(inproc_stack, "gh", "gh_airtime", "0241234567", 20_000)
    today = timezone.localdate()
    tenant_connection().set_schema_to_public()
    report = consolidated_tax_report(date_from=today, date_to=today)
    per_country = {}
    for schema in ("ng", "gh"):
        with schema_context(schema):
            per_country[schema] = tax_report(date_from=today, date_to=today)
    expected: dict[tuple[str, str], int] = {}
    for _tenant, tenant_report in report.tenants:
        for line in tenant_report.lines:
            key = (line.currency, line.account_kind)
            expected[key] = expected.get(key, 0) + line.net_minor
    assert report.totals == expected
    assert report.totals[("NGN", "tax_payable_vat")] >= per_country["ng"].total() - sum(
        x.net_minor for x in per_country["ng"].lines if x.account_kind != "tax_payable_vat")
    assert report.totals[("GHS", "tax_payable_levy_nhil")] == sum(
        x.net_minor for _t, r in report.tenants for x in r.lines
        if x.currency == "GHS" and x.account_kind == "tax_payable_levy_nhil")
    ng = dict(report.named())["ng"]
    assert [(x.account_kind, x.net_minor) for x in ng.lines] == [(x.account_kind, x.net_minor)
                                                                  for x in per_country["ng"].lines]
    gh = dict(report.named())["gh"]
    assert {x.code for x in gh.lines} >= {"vat", "nhil", "getfund"}


def test_the_consolidated_console_pages(db):
    from tenant_apps.accounts.models import User
    from tests.accounts.helpers import PASSWORD

    tenant_connection().set_schema_to_public()
    email = f"analyst-{uuid.uuid4().hex[:6]}@nexustop.example"
    User.objects.create_user(email=email, password=PASSWORD, role="analyst", is_staff=True)
    client = Client(HTTP_HOST="localhost")
    assert client.post("/console/login", {"email": email, "password": PASSWORD}).status_code == 302
    page = client.get("/console/tax")
    assert page.status_code == 200 and b"Consolidated tax report" in page.content
    csv_file = client.get("/console/tax.csv")
    assert csv_file.status_code == 200 and csv_file.content.decode().startswith("tenant,country")
    pdf = client.get("/console/tax.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert Client(HTTP_HOST="localhost").get("/console/tax").status_code == 302  # log in first


def test_the_tax_report_cannot_be_read_across_tenants_or_by_customers(db, host_client):
    _finance, ng_token = staff("ng")
    _gh_finance, gh_token = staff("gh")
    _support, support_token = staff("ng", "operator_support")
    _customer, customer_token = new_buyer(0)
    assert api("GET", "/api/tax/report", ng_token).status_code == 200
    for path in ("/api/tax/report", "/api/tax/report.csv", "/api/tax/report.pdf"):
        # Ghana's finance staff token on Nigeria's site: refused (the token belongs to another tenant).
        assert api("GET", path, gh_token).status_code in (401, 403, 404)
        assert api("GET", path, customer_token).status_code in (403, 404)
        assert api("GET", path, support_token).status_code == 403
        assert Client(HTTP_HOST="ng.localhost").get(path).status_code in (401, 403)
    # The back-office page: a customer's session gets no report.
    page = Client(HTTP_HOST="ng.localhost").get("/back-office/tax")
    assert page.status_code in (302, 403)
