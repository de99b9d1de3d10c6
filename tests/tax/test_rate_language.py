"""The tax report's rate column in the reader's language (back-office page, CSV/PDF export, API).

Found from outside: on a French or Portuguese back office the rate read ``NGN 50 from NGN 10,000`` and ``7.5 %``
(English words and separators, ``locale="en"`` hard-wired). It is now written in the active language: ``7,5 %``,
``50,00 ₦ à partir de 10 000,00 ₦``.
"""

from __future__ import annotations

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from tenant_apps.tax.render import HEADER, line_row
from tenant_apps.tax.selectors import TaxReport, TaxReportLine, _describe

pytestmark = pytest.mark.django_db


def _spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize(("language", "vat", "emtl"), [
    ("en", "7.5 %", "₦50.00 from ₦10,000.00"),
    ("fr", "7,5 %", "50,00 ₦ à partir de 10 000,00 ₦"),
    ("pt", "7,5 %", "50,00 ₦ a partir de 10 000,00 ₦"),
])
def test_the_rate_column_is_in_the_readers_language(language, vat, emtl):
    with schema_context("ng"), translation.override(language):
        assert _spaces(_describe("tax_payable_vat", "NG")[2]) == vat
        code, name, rate = _describe("tax_payable_levy_emtl", "NG")
        assert (code, name, _spaces(rate)) == ("emtl", "Stamp duty (EMTL)", emtl)
        line = TaxReportLine(account_kind="tax_payable_levy_emtl", code=code, name=name, rate=rate, currency="NGN",
                             base_minor=1_500_000, collected_minor=5_000, refunded_minor=0, entries=1)
        report = TaxReport(schema="ng", country="NG", currency="NGN", date_from=None,  # type: ignore[arg-type]
                           date_to=None, lines=[line])  # type: ignore[arg-type]
        row = line_row(report, line)
        assert _spaces(row[HEADER.index("rate")]) == emtl  # the export's rate column
        assert row[HEADER.index("owed")] == "50.00"  # the amounts stay decimal strings


def test_a_french_country_reads_its_whole_rate_in_french():
    with schema_context("ng"), translation.override("fr"):
        assert _describe("tax_payable_vat", "SN")[2] == "18 %"
