"""Operator review changes the tier; the limits service enforces single and daily limits."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from shared_apps.core.errors import ApiError
from tests.accounts.helpers import call, login, make_user
from tests.kyc.helpers import BVN, NIN, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(host_client):
    found = {}
    for index, role in enumerate(["customer", "operator_support", "operator_finance", "operator_admin", "agent"]):
        user = make_user("ng", email=f"{role}@kyc.example.com", role=role, phone=f"+23480388800{index:02d}")
        found[role] = (user, login(host_client("ng.localhost"), f"{role}@kyc.example.com")["access"])
    return found


def _submit(client, token, scheme, number, **files):
    answer = client.post("/api/kyc/submissions", {"scheme": scheme, "number": number, **files},
                         HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


@pytest.mark.parametrize(("role", "allowed"), [("operator_support", True), ("operator_admin", True),
                                               ("operator_finance", False), ("agent", False), ("customer", False)])
def test_who_may_decide(host_client, people, s3, role, allowed):
    client = host_client("ng.localhost")
    submission = _submit(client, people["customer"][1], "nin", NIN)
    for action in ("approve", "reject"):
        answer = call(client, "POST", f"/api/kyc/submissions/{submission}/{action}", {}, token=people[role][1])
        if not allowed:
            assert answer.status_code == 403
    if allowed:
        # the first decision (approve) won; the second one conflicts
        with schema_context("ng"):
            from tenant_apps.kyc.models import KycSubmission

            assert KycSubmission.objects.get(public_id=submission).status == "approved"


def test_approval_raises_the_tier_and_is_audited(host_client, people, s3):
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.kyc.selectors import kyc_current_tier

    client = host_client("ng.localhost")
    customer, token = people["customer"]
    status = call(client, "GET", "/api/kyc", token=token).json()
    assert status["tier"]["level"] == 0 and status["currency"] == "NGN"
    assert status["tier"]["single_limit"] == "5000.00"
    nin = _submit(client, token, "nin", NIN)
    queue = call(client, "GET", "/api/kyc/submissions", {"status": "pending"}, token=people["operator_support"][1])
    assert queue.status_code == 200 and [item["id"] for item in queue.json()] == [nin]
    assert queue.json()[0]["number_masked"] == "*******8901" and NIN not in queue.content.decode()
    approved = call(client, "POST", f"/api/kyc/submissions/{nin}/approve", {"note": "matches ID"},
                    token=people["operator_support"][1])
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["reviewed_by"] == "operator_support@kyc.example.com"
    with schema_context("ng"):
        tier = kyc_current_tier(user=customer)
        assert tier is not None and tier.level == 1
        event = AuditEvent.objects.get(action="kyc_approved", subject_id=nin)
    assert event.actor_email == "operator_support@kyc.example.com" and event.details["number"] == "*******8901"
    again = call(client, "POST", f"/api/kyc/submissions/{nin}/reject", {}, token=people["operator_admin"][1])
    assert again.status_code == 409 and again.json()["error"]["code"] == "kyc_already_decided"
    bvn = _submit(client, token, "bvn", BVN)
    rejected = call(client, "POST", f"/api/kyc/submissions/{bvn}/reject", {"note": "blurry"},
                    token=people["operator_admin"][1])
    assert rejected.json()["status"] == "rejected"
    with schema_context("ng"):
        tier = kyc_current_tier(user=customer)
        assert tier is not None and tier.level == 1
        assert AuditEvent.objects.filter(action="kyc_rejected", subject_id=bvn).exists()
    mine = call(client, "GET", "/api/kyc", token=token).json()
    assert mine["tier"]["level"] == 1 and {s["status"] for s in mine["submissions"]} == {"approved", "rejected"}


def test_operator_cannot_review_own_submission(host_client, people, s3):
    client = host_client("ng.localhost")
    own = _submit(client, people["operator_support"][1], "nin", NIN)
    answer = call(client, "POST", f"/api/kyc/submissions/{own}/approve", {}, token=people["operator_support"][1])
    assert answer.status_code == 403


def test_documents_unlock_address_and_selfie_requirements(host_client, people, s3):
    from tenant_apps.kyc.selectors import kyc_current_tier
    from tenant_apps.kyc.services import kyc_check_limits

    client = host_client("ng.localhost")
    customer, token = people["customer"]
    for scheme, number, files in (("nin", NIN, {}), ("bvn", BVN, {"proof_of_address": png("bill.png")})):
        submission = _submit(client, token, scheme, number, **files)
        call(client, "POST", f"/api/kyc/submissions/{submission}/approve", {}, token=people["operator_admin"][1])
    with schema_context("ng"):
        tier = kyc_current_tier(user=customer)
        assert tier is not None and tier.level == 3
        # The server-side rule (kyc_check: submissions' schemes, documents' requirements) agrees.
        customer.refresh_from_db()
        assert kyc_check_limits(user=customer, amount_minor=1, currency="NGN").level == 3


# --- limits service ------------------------------------------------------------------------

def test_limits_single_daily_currency(people):
    from tenant_apps.kyc.services import kyc_check_limits, kyc_record_spend, kyc_release_spend, kyc_reserve

    customer, _token = people["customer"]
    with schema_context("ng"):
        tier = kyc_check_limits(user=customer, amount_minor=500_000, currency="NGN")  # NGN 5,000 single at tier 0
        assert tier.level == 0
        with pytest.raises(ApiError) as single:
            kyc_check_limits(user=customer, amount_minor=500_001, currency="NGN")
        assert single.value.code == "kyc_limit_exceeded" and "amount" in single.value.fields
        for index in range(4):
            kyc_record_spend(user=customer, amount_minor=500_000, currency="NGN", reference=f"order-{index}")
        kyc_record_spend(user=customer, amount_minor=500_000, currency="NGN", reference="order-0")  # once
        with pytest.raises(ApiError) as daily:  # NGN 20,000 a day at tier 0
            kyc_check_limits(user=customer, amount_minor=1, currency="NGN")
        assert daily.value.code == "kyc_limit_exceeded"
        kyc_release_spend(user=customer, reference="order-3")
        kyc_release_spend(user=customer, reference="order-3")  # once
        assert kyc_check_limits(user=customer, amount_minor=500_000, currency="NGN").level == 0
        reserved = kyc_reserve(user=customer, amount_minor=500_000, currency="NGN", reference="order-9")
        assert kyc_reserve(user=customer, amount_minor=500_000, currency="NGN", reference="order-9") == reserved
        with pytest.raises(ApiError):
            kyc_reserve(user=customer, amount_minor=1, currency="NGN", reference="order-10")
        with pytest.raises(ApiError) as currency:
            kyc_check_limits(user=customer, amount_minor=100, currency="GHS")
        assert currency.value.code == "currency_mismatch"
        for bad in (0, -5):
            with pytest.raises(ApiError) as amount:
                kyc_check_limits(user=customer, amount_minor=bad, currency="NGN")
            assert amount.value.code == "invalid_amount"


def test_unverified_phone_has_no_limit_at_all():
    from tenant_apps.kyc.services import kyc_check_limits

    user = make_user("ng", email="nophone@example.com", phone="+2348038889999", verified=False)
    with schema_context("ng"), pytest.raises(ApiError) as refused:
        kyc_check_limits(user=user, amount_minor=100, currency="NGN")
    assert refused.value.code == "kyc_limit_exceeded"


def test_limits_follow_the_tenant_country(people):
    from tenant_apps.kyc.services import kyc_check_limits

    sn_user = make_user("sn", email="awa@example.com", phone="+221778880001")
    with schema_context("sn"):
        assert kyc_check_limits(user=sn_user, amount_minor=50_000, currency="XOF").level == 0
        with pytest.raises(ApiError):
            kyc_check_limits(user=sn_user, amount_minor=50_001, currency="XOF")


def test_recheck_beat_task_is_scheduled_and_runs_in_every_tenant(settings, tenants):
    from tenant_apps.kyc.tasks import kyc_recheck_pending_everywhere_task

    assert settings.CELERY_BEAT_SCHEDULE["kyc-recheck-pending"]["task"] == "kyc.recheck_pending_everywhere"
    results = kyc_recheck_pending_everywhere_task()
    assert {"ng", "sn", "gh", "quickvend"} <= set(results)
    assert all(isinstance(count, int) for count in results.values())
