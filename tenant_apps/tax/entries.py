"""What a ledger entry that posts taxes records for the tax report: ``{"tax_bases": {account kind: base}}``.

The report (``selectors.py``) reads each tax account's taxable base from this metadata, signed like the posting;
every flow that posts a tax (sales, reseller draws, transfers, merchant fees, cash-out fees) writes it here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from countries.tax import TaxAmount


def tax_entry_metadata(taxes: Iterable[TaxAmount | Mapping[str, Any]]) -> dict[str, Any]:
    """``{"tax_bases": {account_kind: base_minor}}`` for ``taxes`` (``TaxAmount`` or its ``as_dict()``), or ``{}``."""
    bases = {}
    for tax in taxes:
        if isinstance(tax, Mapping):
            bases[tax["account_kind"]] = int(tax["base_minor"])
        else:
            bases[tax.account_kind] = tax.base_minor
    return {"tax_bases": bases} if bases else {}
