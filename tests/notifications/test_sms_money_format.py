"""Every text a phone gets (SMS, USSD) writes money one way: the country's display format in the reader's language
(``countries.registry.message_money``: ``1 000 CFA``, ``1 000,50 CVE``, ``NGN 2,000.00``), never ``500.00 CVE``.

Outside testers read ``500.00 CVE`` in one Cabo Verde SMS (cash, step-up codes, the USSD cash-out code: amounts
preformatted in Python, English style, before the reader's language was known) and ``100,50 CVE`` in the next
(the templates' ``money`` filter)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from countries.registry import message_minor

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SMS_TEMPLATES = sorted(path for folder in ("tenant_apps", "shared_apps") for path in (ROOT / folder).rglob("*.sms.txt"))
# Names an SMS template uses for an amount of money.
MONEY_NAMES = {"amount", "fee", "total", "price", "balance", "money", "cap", "limit"}


def test_the_scan_finds_the_sms_templates():
    names = {path.name for path in SMS_TEMPLATES}
    assert {"wallet_funded.sms.txt", "cash_in_received.sms.txt", "step_up_otp.sms.txt",
            "ussd_withdrawal_code.sms.txt", "remittance_sent.sms.txt"} <= names


@pytest.mark.parametrize("path", SMS_TEMPLATES, ids=lambda path: path.name)
def test_every_sms_template_writes_money_with_the_text_money_filter(path):
    """An amount reaches an SMS template as minor units plus ``currency`` and is written there, in the reader's
    language, by ``text_money``: never preformatted text from Python, never the page filter ``money`` (``₦``)."""
    text = path.read_text()
    assert "|money" not in text, f"{path.name}: use |text_money in an SMS"
    bound = set(re.findall(r"(\w+)=\w+\|text_money:currency", text))
    printed = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", text)) & MONEY_NAMES
    assert printed <= bound, f"{path.name}: {sorted(printed - bound)} printed without |text_money"


CASES = [
    # (language, minor, currency, the text)
    ("pt", 100_050, "CVE", "1 000,50 CVE"),
    ("en", 100_050, "CVE", "CVE 1,000.50"),
    ("fr", 1_000, "XOF", "1 000 CFA"),
    ("pt", 1_000, "XOF", "1 000 CFA"),
    ("en", 1_000, "XOF", "CFA 1,000"),
    ("en", 200_000, "NGN", "NGN 2,000.00"),  # "₦" is not GSM-7: the ISO code
    ("fr", 150_000, "GNF", "150 000 FG"),
    ("en", 1_550, "GHS", "GHS 15.50"),
    ("en", 30_055, "LRD", "L$300.55"),
]


@pytest.mark.parametrize(("language", "minor", "currency", "expected"), CASES)
def test_message_money_is_the_display_format_with_a_gsm7_symbol(language, minor, currency, expected):
    assert message_minor(minor, currency, locale=language) == expected


@pytest.mark.parametrize(("template", "extra"), [
    ("cash_in_received", {"reference": "CI-1"}),
    ("cash_in_otp", {"code": "123456", "minutes": 5, "agent": "+221770000000"}),
    ("cash_out_paid", {"fee": 5_000, "reference": "CO-1"}),
    ("step_up_otp", {"code": "123456", "minutes": 5}),
    ("ussd_withdrawal_code", {"fee": 5_000, "code": "12345678", "minutes": 30}),
    ("wallet_funded", {}),
    ("remittance_received", {}),
    ("merchant_payment_received", {"merchant": "Chez Ada"}),
])
@pytest.mark.parametrize(("language", "currency", "expected", "fee"), [
    ("pt", "CVE", "1 000,50 CVE", "50,00 CVE"),
    ("fr", "XOF", "100 050 CFA", "5 000 CFA"),
    ("en", "NGN", "NGN 1,000.50", "NGN 50.00"),
])
def test_money_sms_read_the_same_in_every_language(template, extra, language, currency, expected, fee):
    from tenant_apps.notifications.messages import render_message

    with schema_context("sn"):
        text = render_message(template=template, language=language,
                              context={"amount": 100_050, "currency": currency, **extra}).text
    assert expected in text, text
    if "fee" in extra:
        assert fee in text, text
    assert not re.search(r"\d\.\d\d [A-Z]{3}\b", text), text  # no "1000.50 CVE"


@pytest.mark.parametrize("language", ["en", "fr", "pt"])
def test_a_step_up_code_resent_without_its_decision_names_no_amount(language):
    """A resend whose risk decision is gone has no amount: the text names none. Before, the template's currency
    argument was missing and rendering raised (the resend answered an error, no code was sent)."""
    from tenant_apps.notifications.messages import render_message

    with schema_context("ng"):
        text = render_message(template="step_up_otp", language=language,
                              context={"code": "123456", "minutes": 5, "amount": "", "currency": ""}).text
    assert "123456" in text and " 5 " in text, text
    assert " of ." not in text and " de ." not in text and "NGN" not in text, text


def test_ussd_amounts_follow_the_session_language():
    from tenant_apps.ussd.screens import money

    with schema_context("sn"), translation.override("fr"):
        assert money(48_000) == "48 000 CFA"
        assert money(100_050, "CVE") == "1 000,50 CVE"
    with schema_context("ng"), translation.override("en"):
        assert money(980_000) == "NGN 9,800.00"
