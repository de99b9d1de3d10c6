"""KYC in each of the 16 countries through the API: every identity scheme the country lists takes a valid number
(201 pending, the number never echoed; the verifier asked where it covers the country, manual review elsewhere)
and refuses a bad one with a 400 and a stable code."""

from __future__ import annotations

import pytest

from countries.registry import default_adapter
from tests.countries.cases import CASES
from tests.support.country_sites import SITES, site_client, site_customer

BY_CODE = {case.code: case for case in CASES}


@pytest.mark.django_db
@pytest.mark.parametrize(("country", "scheme"), [(code, scheme) for code in sorted(SITES)
                                                 for scheme in [s.code for s in default_adapter(code).kyc_schemes]])
def test_every_scheme_of_every_country_takes_a_valid_number(country_sites, country, scheme):
    case = BY_CODE[country]
    good, bad = case.kyc_good[scheme][0], case.kyc_bad[scheme][0]
    customer = site_customer(country)
    client = site_client(customer, country)
    refused = client.post("/api/kyc/submissions", {"scheme": scheme, "number": bad})
    assert refused.status_code == 400, (country, scheme, refused.content)
    assert refused.json()["error"]["code"] in ("validation_error", "invalid_kyc_number", "kyc_checksum_mismatch")
    answer = client.post("/api/kyc/submissions", {"scheme": scheme, "number": good})
    assert answer.status_code == 201, (country, scheme, answer.content)
    body = answer.json()
    digits = "".join(ch for ch in good if ch.isalnum())
    assert body["status"] == "pending" and digits not in answer.content.decode().replace("-", "")
