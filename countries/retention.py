"""How long a country's law makes us keep (and lets us keep) each kind of record, in years.

``transactions``: ledger-backed records (orders, transfers, funding, payouts) and their audit trail;
``kyc``: identity submissions and documents, counted from the end of the customer relationship;
``provider_archive``: the redacted provider request/response archive (evidence for disputes).
Past these periods ``purge_personal_data`` pseudonymises a closed customer's personal fields and
``purge_provider_archive`` deletes archive rows (tenant_apps.privacy, tenant_apps.provider_archive).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Retention:
    transactions: int = 7
    kyc: int = 7
    provider_archive: int = 5
    basis: str = ""  # the law or regulation the periods come from (shown in docs and the privacy page)
