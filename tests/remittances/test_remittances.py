"""NG -> GH remittances through the API, the steps run as the task runs them, books checked on both sides.

Figures by hand (corridor NG -> GH: margin 150 bps, fee 1 % + NGN 100; the rate source's NGN 1500 and
GHS 15 per USD, so the mid rate is 0.01 GHS per NGN):

* send NGN 5,000.00 = 500_000 kobo; fee = ceil(500_000 * 1 %) + 10_000 = 15_000; principal = 485_000;
* customer rate = 10_000_000 (0.01 * 10^9) * 9_850 / 10_000 = 9_850_000 (0.009850000);
* receive = floor(485_000 * 9_850_000 * 100 / (100 * 10^9)) = floor(4_777.25) = 4_777 pesewas (GHS 47.77).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from tenant_apps.ledger.models import AccountKind
from tests.remittances.helpers import advance, assert_reconciled, funded, quote, remittance, send, system_balance
from tests.support.unchanged import nothing_changes
from tests.wallet.helpers import balance_of, client_for, new_customer, post

SEND, FEE, PRINCIPAL, RECEIVE = 500_000, 15_000, 485_000, 4_777


def hub_state(public_id: str):
    from shared_apps.remittance_hub.models import HubEntry, HubTransfer

    with schema_context("public"):
        row = HubTransfer.objects.get(public_id=public_id)
        return row.status, sorted(HubEntry.objects.filter(remittance_id=public_id).values_list("step", flat=True))


@pytest.mark.django_db
def test_ng_to_gh_wallet_with_fx_figures_by_hand_credited_once(remit):
    sender = funded("ng", 1_500_000)
    recipient = new_customer("gh")
    answer = quote(sender, recipient_phone=recipient.phone)
    assert answer.status_code == 201, answer.content
    q = answer.json()
    assert (q["minor"], q["rate"], q["mid_rate"]) == (
        {"send": SEND, "fee": FEE, "principal": PRINCIPAL, "receive": RECEIVE, "rate_e9": 9_850_000},
        "0.009850000", "0.010000000")
    assert (q["send_amount"], q["fee"], q["receive_amount"], q["send_currency"], q["receive_currency"]) == \
        ("5000.00", "150.00", "47.77", "NGN", "GHS")
    accepted = send(sender, q["id"])
    assert accepted.status_code == 202, accepted.content
    rid = accepted.json()["id"]
    assert accepted.json()["status"] == "accepted"
    assert balance_of(sender, "ng") == 1_500_000 - SEND  # on hold
    assert advance(rid) == "credited"
    assert balance_of(sender, "ng") == 1_500_000 - SEND and balance_of(recipient, "gh") == RECEIVE
    assert system_balance(AccountKind.FEES, "NGN", "ng") >= FEE
    assert hub_state(rid) == ("settled", ["in", "out"])
    # The task (or the sweeper) running it again moves nothing.
    assert advance(rid) == "credited"
    with schema_context("gh"):
        from tenant_apps.ledger.models import JournalEntry
        from tenant_apps.remittances.services import receive

        assert receive(public_id=rid).status == "credited"
        assert JournalEntry.objects.filter(reference=f"remit:{rid}:credit").count() == 1
    assert balance_of(recipient, "gh") == RECEIVE
    status = client_for(sender).get(f"/api/remittances/{rid}").json()
    assert (status["status"], status["receive_amount"]) == ("credited", "47.77")
    received = client_for(recipient, "gh").get("/api/remittances/received").json()["results"]
    assert [(r["id"], r["amount"], r["from_country"]) for r in received] == [(rid, "47.77", "NG")]
    assert_reconciled()


@pytest.mark.django_db
def test_failure_after_the_hub_step_then_rerun_credits_once(remit, settings, monkeypatch):
    """A worker dying between the two schemas (injected: the receiver step raises after the hub's commit)."""
    from tenant_apps.remittances import services

    sender = funded("ng", 1_500_000)
    recipient = new_customer("gh")
    rid = send(sender, quote(sender, recipient_phone=recipient.phone).json()["id"]).json()["id"]
    real = services.receive

    def dies(**kwargs):
        raise SystemExit("worker killed between the schemas")

    monkeypatch.setattr(services, "receive", dies)
    with pytest.raises(SystemExit):
        advance(rid)
    assert remittance(rid).status == "in_transit" and hub_state(rid) == ("in_clearing", ["in"])
    assert balance_of(recipient, "gh") == 0
    assert_reconciled()  # in transit: the corridor's clearing holds exactly the principal
    monkeypatch.setattr(services, "receive", real)
    assert advance(rid) == "credited" and advance(rid) == "credited"
    assert balance_of(recipient, "gh") == RECEIVE and balance_of(sender, "ng") == 1_500_000 - SEND
    assert hub_state(rid) == ("settled", ["in", "out"])
    assert_reconciled()


@pytest.mark.django_db
def test_receiver_over_the_wallet_ceiling_refunds_the_sender_in_full(remit):
    sender = funded("ng", 1_500_000)
    recipient = funded("gh", 99_000)  # GH unverified tier: at most GHS 1,000.00 in the wallet
    rid = send(sender, quote(sender, recipient_phone=recipient.phone).json()["id"]).json()["id"]
    assert advance(rid) == "refunded"
    assert balance_of(sender, "ng") == 1_500_000 and balance_of(recipient, "gh") == 99_000
    assert hub_state(rid) == ("refunded", ["in", "refund"])
    assert "cannot receive" in remittance(rid).failure_reason
    assert_reconciled()


@pytest.mark.django_db
def test_unknown_recipient_phone_refunds(remit):
    sender = funded("ng", 1_500_000)
    rid = send(sender, quote(sender, recipient_phone="+233244999111").json()["id"]).json()["id"]
    assert advance(rid) == "refunded" and balance_of(sender, "ng") == 1_500_000
    assert_reconciled()


@pytest.mark.django_db
def test_a_recipient_number_nobody_verified_is_refunded_not_credited(remit):
    """A number registered but never verified names no account: the remittance is refunded, not left in a
    squatter's wallet."""
    sender = funded("ng", 1_500_000)
    squatter = new_customer("gh", verified=False)
    rid = send(sender, quote(sender, recipient_phone=squatter.phone).json()["id"]).json()["id"]
    assert advance(rid) == "refunded" and balance_of(sender, "ng") == 1_500_000
    assert balance_of(squatter, "gh") == 0
    assert_reconciled()


@pytest.mark.django_db
def test_expired_quote_is_refused_and_nothing_is_written(remit):
    from django.utils import timezone

    from tenant_apps.ledger.models import Hold
    from tenant_apps.remittances.models import Quote, Remittance

    sender = funded("ng", 1_500_000)
    q = quote(sender, recipient_phone=new_customer("gh").phone).json()
    with schema_context("ng"):
        Quote.objects.filter(public_id=q["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = send(sender, q["id"])
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "quote_expired"
    with schema_context("ng"):
        assert not Remittance.objects.filter(sender=sender).exists()
        assert not Hold.objects.filter(reference__startswith="remit:", wallet__owner=sender).exists()
    assert balance_of(sender, "ng") == 1_500_000
    assert_reconciled()


@pytest.mark.django_db
def test_idempotent_replay_and_a_quote_used_once(remit):
    from tenant_apps.remittances.models import Remittance

    sender = funded("ng", 1_500_000)
    q = quote(sender, recipient_phone=new_customer("gh").phone).json()
    key = f"remit-{uuid.uuid4().hex}"
    first, again = send(sender, q["id"], key=key), send(sender, q["id"], key=key)
    assert first.status_code == again.status_code == 202
    assert again["Idempotency-Replayed"] == "true" and again.json() == first.json()
    other = send(sender, q["id"])  # another key, the same quote
    assert other.status_code == 409 and other.json()["error"]["code"] == "quote_used"
    missing = post(client_for(sender), "/api/remittances", {"quote": q["id"]}, key=None)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "idempotency_key_required"
    with schema_context("ng"):
        assert Remittance.objects.filter(sender=sender).count() == 1
    assert balance_of(sender, "ng") == 1_500_000 - SEND
    assert_reconciled()


@pytest.mark.django_db
def test_insufficient_funds_is_a_4xx_and_nothing_is_written(remit):
    from tenant_apps.ledger.models import Hold
    from tenant_apps.remittances.models import Remittance

    sender = funded("ng", 100_000)
    q = quote(sender, recipient_phone=new_customer("gh").phone).json()
    answer = send(sender, q["id"])
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "insufficient_funds"
    with schema_context("ng"):
        assert not Remittance.objects.filter(sender=sender).exists()
        assert not Hold.objects.filter(wallet__owner=sender).exists()
    assert balance_of(sender, "ng") == 100_000
    assert send(sender, q["id"]).status_code == 422  # the quote was not used up
    assert_reconciled()


@pytest.mark.django_db
def test_kyc_tier_limits_the_sender(remit):
    sender = funded("ng", 2_000_000)  # NG unverified tier: NGN 5,000.00 per movement
    q = quote(sender, amount="6000.00", recipient_phone=new_customer("gh").phone).json()
    answer = send(sender, q["id"])
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "kyc_limit_exceeded"
    assert balance_of(sender, "ng") == 2_000_000
    assert_reconciled()


@pytest.mark.django_db
def test_bad_input_gets_stable_codes(remit):
    sender = funded("ng", 1_500_000)
    cases = {
        "same_country": quote(sender, country="NG", recipient_phone="+2348031234567"),
        "corridor_unavailable": quote(sender, country="SN", recipient_phone="+221771234567"),
        "wrong_country": quote(sender, recipient_phone="+2348031234567"),
        "amount_out_of_range": quote(sender, amount="0.50", recipient_phone="+233244123456"),
    }
    for code, answer in cases.items():
        assert 400 <= answer.status_code < 500 and answer.json()["error"]["code"] == code, (code, answer.content)
    unknown = send(sender, str(uuid.uuid4()))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "quote_not_found"
    assert balance_of(sender, "ng") == 1_500_000
    assert_reconciled()


@pytest.mark.django_db
def test_rate_source_or_screener_down_is_a_503_and_no_quote(remit, sanctions_sim):
    from tenant_apps.remittances.models import Quote

    sender = funded("ng", 1_500_000)
    remit.set_mode("unavailable")
    try:
        answer = quote(sender, recipient_phone="+233244123456")
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "rate_unavailable"
    finally:
        remit.set_mode("ok")
    sanctions_sim.set_mode("unavailable")
    try:
        answer = quote(sender, recipient_phone="+233244123456")
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "screening_unavailable"
    finally:
        sanctions_sim.set_mode("ok")
    with schema_context("ng"):
        assert not Quote.objects.filter(user=sender).exists()
    assert_reconciled()


@pytest.mark.django_db
def test_sanctions_hit_is_held_then_rejected_with_a_refund_or_released(remit):
    from tenant_apps.audit.models import AuditEvent

    sender = funded("ng", 1_500_000)
    staff = new_customer("ng", role="operator_support")
    recipient = new_customer("gh")
    q = quote(sender, recipient_phone=recipient.phone, recipient_name="Viktor  SANCTIONOV").json()
    held = send(sender, q["id"])
    assert held.status_code == 202 and held.json()["status"] == "held_for_review"
    rid = held.json()["id"]
    assert advance(rid) == "held_for_review"  # nothing leaves the tenant
    assert balance_of(sender, "ng") == 1_500_000 - SEND
    queue = client_for(staff).get("/api/staff/remittances?status=held_for_review").json()["results"]
    assert [(r["id"], r["review_reason"], r["screening_matches"][0]["caption"]) for r in queue] == \
        [(rid, "sanctions", "Viktor Sanctionov")]
    assert client_for(sender).get("/api/staff/remittances").status_code == 403
    rejected = post(client_for(staff), f"/api/staff/remittances/{rid}/reject", {"note": "confirmed match"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "refunded"
    assert balance_of(sender, "ng") == 1_500_000
    again = post(client_for(staff), f"/api/staff/remittances/{rid}/release", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "review_closed"
    # A second one, released: sent on.
    rid2 = send(sender, quote(sender, recipient_phone=recipient.phone, recipient_name="Viktor Sanctionov")
                .json()["id"]).json()["id"]
    released = post(client_for(staff), f"/api/staff/remittances/{rid2}/release", {"note": "namesake"})
    assert released.status_code == 200 and released.json()["status"] == "accepted"
    assert advance(rid2) == "credited" and balance_of(recipient, "gh") == RECEIVE
    with schema_context("ng"):
        assert set(AuditEvent.objects.filter(subject_id__in=[rid, rid2]).values_list("action", flat=True)) == \
            {"remittance_held", "remittance_rejected", "remittance_released"}
    assert_reconciled()


@pytest.mark.django_db
def test_cross_tenant_reads_and_forged_steps_are_refused(remit):
    from shared_apps.remittance_hub.services import HubMismatch, hub_accept
    from tenant_apps.remittances.errors import StepRefused
    from tenant_apps.remittances.services import receive

    sender = funded("ng", 1_500_000)
    recipient = new_customer("gh")
    rid = send(sender, quote(sender, recipient_phone=recipient.phone).json()["id"]).json()["id"]
    ghanaian = new_customer("gh")
    assert client_for(ghanaian, "gh").get(f"/api/remittances/{rid}").status_code == 404
    assert client_for(recipient, "gh").get(f"/api/remittances/{rid}").status_code == 404
    assert client_for(new_customer("ng")).get(f"/api/remittances/{rid}").status_code == 404
    # The receiver's step before the hub holds it, from another tenant, or for an id nobody sent: refused.
    for schema, public_id in (("gh", rid), ("gh", str(uuid.uuid4()))):
        with schema_context(schema), pytest.raises(StepRefused):
            receive(public_id=public_id)
    from tenant_apps.remittances import services

    with schema_context("ng"):
        row = services.Remittance.objects.get(public_id=rid)
        services._sender_debit(row)
    with schema_context("public"):
        services._hub_accept(row, "ng", "NG")
        with pytest.raises(HubMismatch):  # the same id with other figures (a forged "in" step)
            hub_accept(public_id=row.public_id, sender_schema="ng", receiver_schema="gh", send_country="NG",
                       receive_country="GH", send_currency="NGN", receive_currency="GHS",
                       principal_minor=row.principal_minor, receive_minor=row.receive_minor * 100,
                       rate_e9=row.rate_e9, method="wallet", recipient={})
    with schema_context("sn"), pytest.raises(StepRefused):
        receive(public_id=rid)  # the hub holds it for gh, not sn
    assert balance_of(recipient, "gh") == 0
    assert advance(rid) == "credited" and balance_of(recipient, "gh") == RECEIVE
    assert_reconciled("ng", "gh", "sn")


@pytest.mark.django_db
def test_corridor_margins_are_the_operators_audited_and_priced_into_later_quotes(remit):
    from tenant_apps.audit.models import AuditEvent

    admin = new_customer("ng", role="operator_admin")
    support = new_customer("ng", role="operator_support")
    body = {"margin_bps": 300, "rate_bps": 0, "fee_fixed": "0"}
    with nothing_changes("ng"):
        refused = client_for(support).put("/api/staff/remittance-corridors/GH", body, format="json")
        assert refused.status_code == 403
    saved = client_for(admin).put("/api/staff/remittance-corridors/GH", body, format="json")
    assert saved.status_code == 200 and (saved.json()["margin_bps"], saved.json()["rate_bps"]) == (300, 0)
    same = client_for(admin).put("/api/staff/remittance-corridors/NG", body, format="json")
    assert same.status_code == 400 and same.json()["error"]["code"] == "same_country"
    listed = client_for(support).get("/api/staff/remittance-corridors").json()["results"]
    assert [c["destination_country"] for c in listed] == ["GH"]
    # 500_000 kobo, no fee, rate 0.01 * 0.97 = 0.0097: 500_000 * 9_700_000 * 100 / 10^11 = 4_850 pesewas.
    q = quote(funded("ng", 0), recipient_phone="+233244123456").json()
    assert (q["minor"]["fee"], q["minor"]["rate_e9"], q["minor"]["receive"]) == (0, 9_700_000, 4_850)
    with schema_context("ng"):
        event = AuditEvent.objects.filter(action="remittance_corridor_changed", subject_id="GH").latest("id")
        assert event.details["after"]["margin_bps"] == 300 and event.details["before"]["margin_bps"] == 150


@pytest.mark.django_db
def test_reconcile_commands_pass_and_catch_a_forged_clearing_posting(remit):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from tenant_apps.ledger.services import Line, post_entry, system_account

    sender = funded("ng", 1_500_000)
    rid = send(sender, quote(sender, recipient_phone=new_customer("gh").phone).json()["id"]).json()["id"]
    advance(rid)
    out = StringIO()
    call_command("reconcile_ledger", "--schema", "ng", "--schema", "gh", stdout=out)
    call_command("reconcile_remittances", "--schema", "ng", "--schema", "gh", stdout=out)
    assert "NG-GH: sent" in out.getvalue() and "no discrepancies" in out.getvalue()
    with schema_context("gh"):  # money on the clearing account that no remittance step put there
        post_entry(entry_type="adjustment", reference=f"forged:{uuid.uuid4()}", lines=[
            Line(system_account(kind=AccountKind.REMITTANCE_CLEARING, currency="GHS"), -100),
            Line(system_account(kind=AccountKind.SUSPENSE, currency="GHS"), 100)])
    with pytest.raises(CommandError):
        call_command("reconcile_remittances", "--schema", "gh", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_a_risk_rule_hold_waits_for_review_and_the_release_closes_the_risk_decision(remit):
    from tenant_apps.risk.models import RiskDecision
    from tests.risk.helpers import make_rule

    make_rule(name="hold remittances", rule_type="amount_above", threshold_amount="1000", flows=["p2p"],
              action="hold")
    sender = funded("ng", 1_500_000)
    recipient = new_customer("gh")
    held = send(sender, quote(sender, recipient_phone=recipient.phone).json()["id"])
    assert held.status_code == 202 and held.json()["status"] == "held_for_review"
    rid = held.json()["id"]
    assert advance(rid) == "held_for_review" and balance_of(recipient, "gh") == 0
    staff = new_customer("ng", role="operator_support")
    released = post(client_for(staff), f"/api/staff/remittances/{rid}/release", {})
    assert released.status_code == 200 and released.json()["review_reason"] == "risk"
    with schema_context("ng"):
        decision = RiskDecision.objects.get(subject_type="remittance", subject_id=rid)
        assert (decision.flow, decision.outcome, decision.review_status) == ("p2p", "hold", "released")
    assert advance(rid) == "credited" and balance_of(recipient, "gh") == RECEIVE
    assert_reconciled()


@pytest.mark.django_db
def test_staff_cannot_review_their_own_held_remittance(remit):
    """Attack: an operator-support user sent a remittance to a sanctioned name (held for review) and released
    it themselves through the staff queue: the screening hit went out with nobody else looking. Nobody reviews
    their own remittance (403 ``own_submission``, as KYC and business reviews); it stays held until a colleague
    decides."""
    insider = funded("ng", 1_500_000)
    with schema_context("ng"):
        from tenant_apps.accounts.models import User

        User.objects.filter(pk=insider.pk).update(role="operator_support")
        insider.refresh_from_db()
    recipient = new_customer("gh")
    q = quote(insider, recipient_phone=recipient.phone, recipient_name="Viktor Sanctionov").json()
    held = send(insider, q["id"])
    assert held.status_code == 202 and held.json()["status"] == "held_for_review"
    rid = held.json()["id"]
    for action in ("release", "reject"):
        mine = post(client_for(insider), f"/api/staff/remittances/{rid}/{action}", {"note": "fine"})
        assert mine.status_code == 403, mine.content  # was 200: released to themselves
        assert mine.json()["error"]["code"] == "own_submission"
    assert remittance(rid).status == "held_for_review" and balance_of(insider, "ng") == 1_500_000 - SEND
    colleague = new_customer("ng", role="operator_support")
    rejected = post(client_for(colleague), f"/api/staff/remittances/{rid}/reject", {"note": "confirmed match"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "refunded"
    assert balance_of(insider, "ng") == 1_500_000
    assert_reconciled()
