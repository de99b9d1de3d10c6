"""The API's tax lines are the receipt's lines (tax_lines_for) without the translated label, which the API does not
show: built without it (issue 18: its gettext was ~5 % of a purchase's view)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from countries.tax import TaxAmount
from tenant_apps.receipts import tax as receipts_tax
from tenant_apps.receipts.tax import api_tax_lines, tax_lines_for

VAT: dict[str, Any] = {"code": "vat", "name": "VAT", "kind": "vat", "account_kind": "tax_payable_vat", "rate_bps": 750,
       "base_minor": 1_823, "amount_minor": 137, "included": True}
LEVY: dict[str, Any] = {"code": "emtl", "name": "Stamp duty", "kind": "levy", "account_kind": "tax_payable_levy_emtl",
        "rate_bps": 0, "base_minor": 1_000_000, "amount_minor": 5_000, "included": False}
NOTHING = {**VAT, "code": "nhil", "amount_minor": 0}

OBJECTS = [
    ("order", SimpleNamespace(tax_lines=[VAT, NOTHING, LEVY], quote={})),
    ("order", SimpleNamespace(tax_lines=[], quote={"taxes": [VAT]})),  # before tax_lines were kept
    ("order", SimpleNamespace(tax_lines=None, quote=None)),
    ("transfer", SimpleNamespace(tax_lines=[LEVY])),
    ("funding", SimpleNamespace(tax_lines=[VAT])),
]


def _from_lines(kind, obj, currency):
    from tenant_apps.ledger.currency import to_decimal_string

    return [{"code": line.code, "name": line.name, "rate_bps": line.rate_bps, "included": line.included,
             "amount": to_decimal_string(line.amount_minor, currency), "amount_minor": line.amount_minor}
            for line in tax_lines_for(kind=kind, obj=obj)]


@pytest.mark.parametrize("kind, obj", OBJECTS)
@pytest.mark.parametrize("currency", ["NGN", "XOF"])
def test_the_api_lines_are_the_receipt_lines(kind, obj, currency):
    assert api_tax_lines(kind=kind, obj=obj, currency=currency) == _from_lines(kind, obj, currency)


def test_the_api_lines_are_built_without_labels(monkeypatch):
    def no_label(tax: TaxAmount) -> str:
        raise AssertionError("the API does not show the label")

    monkeypatch.setattr(receipts_tax, "label_for", no_label)
    lines = api_tax_lines(kind="order", obj=OBJECTS[0][1], currency="NGN")
    assert [(line["code"], line["amount"], line["amount_minor"]) for line in lines] == [
        ("vat", "1.37", 137), ("emtl", "50.00", 5_000)]


def test_a_stored_tax_missing_a_field_is_refused_as_before():
    broken = {key: value for key, value in VAT.items() if key != "rate_bps"}
    for build in (lambda: api_tax_lines(kind="order", obj=SimpleNamespace(tax_lines=[broken]), currency="NGN"),
                  lambda: tax_lines_for(kind="order", obj=SimpleNamespace(tax_lines=[broken]))):
        with pytest.raises(TypeError):
            build()
    assert TaxAmount.from_dict({**VAT, "extra": 1}) == TaxAmount(**VAT)  # unknown keys are ignored, as before
