"""A reseller brand sends no remittance: the destination operation would pay out, from its own partners, money
that only the brand's books hold (tenant_apps.wallet.operation_rails). Before the fix the brand's admin opened a
corridor on its own site and its customers' quotes were priced (and their remittances sent on acceptance)."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.remittances.helpers import funded, open_corridor
from tests.support.unchanged import nothing_changes

pytestmark = pytest.mark.django_db


def test_no_remittance_leaves_a_reseller_brand(remit):
    open_corridor("quickvend", "GH")
    sender = funded("quickvend")
    api = APIClient(HTTP_HOST="quickvend.localhost")
    api.force_authenticate(user=sender)
    body = {"destination_country": "GH", "amount": "5000.00", "method": "wallet", "sender_name": "Ada Obi",
            "recipient_name": "Kofi Mensah", "recipient_phone": "+233244123456"}
    with nothing_changes("quickvend", "gh"):
        answer = api.post("/api/remittances/quotes", json.dumps(body), content_type="application/json")
    assert answer.status_code == 403, answer.content
    assert answer.json()["error"]["code"] == "not_on_reseller_brand"
