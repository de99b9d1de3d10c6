"""A bank payout's exchanges with Paystack (over HTTP, its simulator): archived under the payout, the bearer
secret and the account number redacted; shown on the back-office payout page and exportable."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import make_user
from tests.portal.test_ops_pages import quick_login
from tests.wallet.helpers import new_customer
from tests.wallet.test_transfers import ADA, funded, start_payout, transfer_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_wallet_sms")]


def test_a_bank_payout_is_archived_redacted_and_shown_to_support(ng_gateways):
    from tenant_apps.provider_archive.models import ProviderExchange
    from tenant_apps.wallet.transfers import payout_submit

    paystack = ng_gateways["paystack"]
    user = funded()
    answer = start_payout(user)
    assert answer.status_code == 202, answer.content
    row = transfer_row(answer)
    with schema_context("ng"):
        payout_submit(transfer_id=row.pk)
        rows = list(ProviderExchange.objects.filter(subject_type="payout", subject_id=row.pk))
    assert rows and {r.operation for r in rows} == {"payout"} and all(r.attempt_ref == row.reference for r in rows)
    assert all(r.plugin_key == "paystack" for r in rows)
    text = json.dumps([[r.url, r.request_headers, r.request_body, r.response_body] for r in rows])
    assert paystack.secret_key not in text and ADA["account_number"] not in text
    assert any(r.request_headers.get("Authorization") == "[REDACTED]" for r in rows)
    assert ADA["account_number"][-4:] in text and row.reference in text  # still evidence

    support = quick_login(Client(HTTP_HOST="ng.localhost"), "ng",
                          make_user("ng", email="payout-support@example.test", role="operator_support"))
    page = support.get(f"/back-office/payouts/{row.public_id}")
    assert page.status_code == 200 and b'data-testid="provider-archive"' in page.content
    assert paystack.secret_key.encode() not in page.content
    dispute = json.loads(support.get(f"/back-office/payouts/{row.public_id}/provider-archive.json").content)
    assert dispute["reference"] == row.reference and len(dispute["exchanges"]) == len(rows)
    customer = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", user)
    assert customer.get(f"/back-office/payouts/{row.public_id}").status_code == 403


def test_a_funding_checkout_and_its_verification_are_archived_under_the_intent(ng_gateways):
    from tenant_apps.provider_archive.models import ProviderExchange
    from tenant_apps.wallet.funding import funding_verify
    from tests.wallet.test_funding import intent_of, start

    paystack = ng_gateways["paystack"]
    user = new_customer()
    body = start(user, "paystack")
    intent = intent_of(body)
    with schema_context("ng"):
        funding_verify(intent=intent)
        rows = list(ProviderExchange.objects.filter(subject_type="funding", subject_id=intent.pk)
                    .order_by("started_at"))
    assert [r.operation for r in rows] == ["checkout", "verify"]
    assert all(r.attempt_ref == intent.reference and r.status == 200 for r in rows)
    text = json.dumps([[r.url, r.request_headers, r.request_body, r.response_body] for r in rows])
    assert paystack.secret_key not in text and user.email not in text
    assert intent.reference in text
