"""Savings circles on a real tenant schema, time given explicitly (``now=``): invitations by phone, a full
rotation with a missed contribution (retried, flagged, netted), what the organiser cannot do, dissolution,
reconciliation. Books balance after every test."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from tenant_apps.ledger.models import Account
from tenant_apps.ledger.services import fund_wallet, wallet_for
from tenant_apps.savings import services
from tenant_apps.savings.models import Circle, CirclePayout, Contribution
from tenant_apps.savings.selectors import savings_discrepancies
from tests.merchants.helpers import balances, funded, staff
from tests.wallet.helpers import assert_books_balance, client_for, new_customer, post

pytestmark = pytest.mark.django_db
# The first collection is tomorrow morning: a circle cannot start in the past (circle_start refuses it).
START = (datetime.now(UTC) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
HOUR = timedelta(hours=1)


def code(response) -> str:
    return response.json()["error"]["code"]


def held(circle_id) -> int:
    with schema_context("ng"):
        return Account.objects.get(pk=Circle.objects.get(public_id=circle_id).account_id).wallet_balance


def run(now: datetime) -> dict:
    with schema_context("ng"):
        return services.circles_run_due(now=now)


def board(user, circle_id) -> dict:
    return client_for(user).get(f"/api/savings/circles/{circle_id}").json()


def three_member_circle(settings):
    """Ada organises (position 1), Bola and Chidi accept by phone: 1000.00 weekly."""
    settings.SAVINGS_CIRCLE_MAX_ATTEMPTS = 3
    settings.SAVINGS_CIRCLE_RETRY_SECONDS = 6 * 3600
    ada, bola, chidi = funded(amount=500_000), funded(amount=500_000), funded(amount=100_000)
    created = post(client_for(ada), "/api/savings/circles", {
        "name": "Market women ajo", "contribution": "1000.00", "frequency": "weekly",
        "members": [bola.phone, "0" + chidi.phone[4:]]})  # local form: normalised by the country adapter
    assert created.status_code == 201, created.content
    circle_id = created.json()["id"]
    assert [(m["position"], m["status"]) for m in created.json()["members"]] == \
        [(1, "active"), (2, "invited"), (3, "invited")]
    premature = post(client_for(ada), f"/api/savings/circles/{circle_id}/start", {})
    assert code(premature) == "invitations_pending"
    for member in (bola, chidi):
        invitations = client_for(member).get("/api/savings/invitations").json()["results"]
        assert [i["circle"]["id"] for i in invitations] == [circle_id]
        assert post(client_for(member), f"/api/savings/circles/{circle_id}/accept", {}).status_code == 200
    started = post(client_for(ada), f"/api/savings/circles/{circle_id}/start",
                   {"first_collection_at": START.isoformat()})
    assert started.json()["status"] == "active" and started.json()["cycles"] == 3
    return circle_id, ada, bola, chidi


def test_three_members_one_full_rotation_with_one_missed_contribution(settings):
    """Cycle 1 all pay, Ada gets 3000; cycle 2 Chidi's wallet is short: retried twice, then flagged (the group
    sees it), Bola gets the 2000 collected; cycle 3 Chidi pays, and his 1000 debt to Bola comes out of his
    own pot. Everyone ends having paid exactly what they received; the circle account ends at zero."""
    circle_id, ada, bola, chidi = three_member_circle(settings)
    assert run(START - HOUR) == {}  # not yet due
    assert run(START) == {"opened": 1, "collected": 3, "paid": 1}
    assert balances(ada, bola, chidi) == [500_000 - 100_000 + 300_000, 400_000, 0]
    assert held(circle_id) == 0

    week2 = START + timedelta(weeks=1)
    assert run(week2) == {"opened": 1, "collected": 2, "retry": 1}
    assert held(circle_id) == 200_000
    assert run(week2 + 6 * HOUR) == {"retry": 1}
    assert run(week2 + 9 * HOUR) == {}  # the next attempt is not due yet
    assert run(week2 + 12 * HOUR) == {"missed": 1, "paid": 1}
    seen = board(ada, circle_id)
    chidi_row = next(m for m in seen["members"] if m["phone"] == chidi.phone)
    assert chidi_row["contributions"][1]["status"] == "missed" and chidi_row["contributions"][1]["attempts"] == 3
    assert chidi_row["contributions"][1]["owed_to"] == bola.phone and chidi_row["owes"] == "1000.00"
    assert balances(bola) == [400_000 - 100_000 + 200_000]

    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=chidi), amount=100_000, reference=f"salary:{uuid.uuid4()}")
    assert run(START + timedelta(weeks=2)) == {"opened": 1, "collected": 3, "paid": 1}
    with schema_context("ng"):
        pot = CirclePayout.objects.get(circle__public_id=circle_id, cycle=3)
        assert (pot.collected_minor, pot.arrears_deducted_minor, pot.amount_minor) == (300_000, 100_000, 200_000)
        debt = Contribution.objects.get(circle__public_id=circle_id, cycle=2, member__user=chidi)
        assert debt.status == "covered" and debt.covered_from_pot
        circle = Circle.objects.get(public_id=circle_id)
        assert circle.status == "completed" and circle.cycle == 3
        assert savings_discrepancies() == []
    # Paid in = taken out for everyone: Ada 3000/3000, Bola 3000/3000, Chidi 2000/2000.
    assert balances(ada, bola, chidi) == [500_000, 500_000, 100_000 + 100_000 - 200_000 + 200_000]
    assert held(circle_id) == 0
    assert run(START + timedelta(weeks=5)) == {}  # a completed circle collects nothing more
    assert_books_balance("ng")


def test_the_organiser_cannot_take_the_members_money(settings):
    circle_id, ada, bola, chidi = three_member_circle(settings)
    run(START)  # cycle 1: the pot goes to Ada (position 1), by the rules
    run(START + timedelta(weeks=1))  # cycle 2 (Bola's turn): 2000 collected, Chidi's share being retried
    assert held(circle_id) == 200_000
    organiser = client_for(ada)
    base = f"/api/savings/circles/{circle_id}"
    with schema_context("ng"):
        members = {m.user_id: m.pk for m in Circle.objects.get(public_id=circle_id).members.all()}
    # No reordering to take Bola's turn, no new member, no removal, no cancel once started.
    reorder = organiser.put(f"{base}/order", {"members": [members[ada.pk], members[chidi.pk], members[bola.pk]]},
                            format="json")
    assert (reorder.status_code, code(reorder)) == (409, "circle_rules_fixed")
    assert code(post(organiser, f"{base}/invitations", {"phone": new_customer().phone})) == "circle_rules_fixed"
    assert code(post(organiser, f"{base}/members/{members[bola.pk]}/remove", {})) == "circle_rules_fixed"
    assert code(post(organiser, f"{base}/cancel", {})) == "circle_rules_fixed"
    # The operator's dissolution is not the organiser's, and the circle account is nobody's wallet.
    dissolve = post(organiser, f"/api/staff/savings/circles/{circle_id}/dissolve", {"reason": "mine now"})
    assert dissolve.status_code == 403
    assert client_for(ada).get("/api/wallet").json()["wallets"][0]["kind"] == "user_wallet"
    assert len(client_for(ada).get("/api/wallet").json()["wallets"]) == 1
    p2p = post(organiser, "/api/transfers", {"type": "p2p", "recipient": ada.email, "amount": "1.00"})
    assert code(p2p) == "self_transfer"
    # Nor can the organiser answer for, or pay the arrears of, somebody else.
    with schema_context("ng"):
        someone_else = Contribution.objects.filter(circle__public_id=circle_id, member__user=bola).first()
    assert someone_else is not None
    assert post(organiser, f"/api/savings/contributions/{someone_else.public_id}/pay", {}).status_code == 404
    # A stranger cannot even see the circle.
    assert client_for(new_customer()).get(base).status_code == 404
    with schema_context("ng"):
        pots = list(CirclePayout.objects.filter(circle__public_id=circle_id).values_list("member__user_id", "cycle"))
    assert pots == [(ada.pk, 1)] and held(circle_id) == 200_000
    assert_books_balance("ng")


def test_invitation_before_signup_and_declining(settings):
    ada = funded()
    stranger_phone = "+234803" + uuid.uuid4().int.__str__()[:7]
    created = post(client_for(ada), "/api/savings/circles", {"name": "Office esusu", "contribution": "500.00",
                                                             "frequency": "monthly", "members": [stranger_phone]})
    circle_id = created.json()["id"]
    # The phone's owner signs up later: the invitation waits for their verified number.
    from django.utils import timezone

    from tenant_apps.accounts.models import User

    with schema_context("ng"):
        newcomer = User.objects.create_user(email=f"n-{uuid.uuid4().hex[:8]}@example.test", phone=stranger_phone,
                                            phone_verified_at=timezone.now())
    assert [i["circle"]["id"] for i in client_for(newcomer).get("/api/savings/invitations").json()["results"]] == \
        [circle_id]
    assert board(newcomer, circle_id)["id"] == circle_id  # an invitee may look before answering
    declined = post(client_for(newcomer), f"/api/savings/circles/{circle_id}/decline", {})
    assert declined.status_code == 200
    # Declined: no longer invited, so no longer allowed to see the circle.
    assert code(post(client_for(newcomer), f"/api/savings/circles/{circle_id}/accept", {})) == "unknown_circle"
    alone = post(client_for(ada), f"/api/savings/circles/{circle_id}/start", {})
    assert code(alone) == "circle_too_small"
    assert post(client_for(ada), f"/api/savings/circles/{circle_id}/cancel", {}).json()["status"] == "cancelled"


def test_operator_dissolves_a_running_circle_and_returns_the_open_cycle(settings):
    circle_id, ada, bola, _chidi = three_member_circle(settings)
    run(START)
    run(START + timedelta(weeks=1))  # Ada and Bola paid cycle 2, Chidi's wallet is short (retrying)
    assert held(circle_id) == 200_000
    support = staff()
    dissolved = post(client_for(support), f"/api/staff/savings/circles/{circle_id}/dissolve",
                     {"reason": "members asked"})
    assert dissolved.status_code == 200 and dissolved.json()["status"] == "cancelled"
    assert held(circle_id) == 0
    assert balances(ada, bola) == [500_000 - 200_000 + 300_000 + 100_000, 500_000 - 200_000 + 100_000]
    assert code(post(client_for(support), f"/api/staff/savings/circles/{circle_id}/dissolve",
                     {"reason": "again"})) == "circle_not_running"
    assert run(START + timedelta(weeks=3)) == {}
    with schema_context("ng"):
        assert savings_discrepancies() == []
    assert_books_balance("ng")


def test_reconcile_covers_circle_accounts(settings):
    circle_id, *_members = three_member_circle(settings)
    run(START + timedelta(weeks=1))  # cycle 1 paid, cycle 2 partly collected
    with schema_context("ng"):
        assert savings_discrepancies() == []
        # A contribution row says "collected" behind the ledger's back: reported.
        Contribution.objects.filter(circle__public_id=circle_id, cycle=2, status="due").update(status="collected")
        kinds = {item.kind for item in savings_discrepancies()}
    assert kinds == {"circle_account_mismatch"}


def test_invitation_sms_goes_out_after_commit_in_the_invitees_language(settings, django_capture_on_commit_callbacks):
    from tenant_apps.notifications.messages import render_message

    settings.SAVINGS_SMS_NOTIFICATIONS = True
    ada = funded()
    with django_capture_on_commit_callbacks() as callbacks:
        created = post(client_for(ada), "/api/savings/circles", {"name": "Cousins", "contribution": "50.00",
                                                                 "frequency": "daily",
                                                                 "members": ["+2348031234567"]})
    assert created.status_code == 201 and len(callbacks) == 1  # one SMS task, enqueued after commit
    with schema_context("sn"):
        text = render_message(template="circle_invitation", language="fr", context={
            "organiser": "+221771234567", "circle": "Cousins", "amount": 5_000, "currency": "XOF",
            "frequency": "quotidien"}).text
    assert "vous invite dans la tontine « Cousins »" in text and "5 000" in text


CAP = 2_000_000  # NG tier 0: a wallet holds at most 20,000.00 NGN (issue 14)


def two_member_circle(settings, *, ada_funds: int, bola_funds: int):
    """Ada organises (position 1), Bola (position 2) accepts: 1000.00 weekly, started at START (services)."""
    settings.SAVINGS_CIRCLE_MAX_ATTEMPTS = 1
    ada, bola = funded(amount=ada_funds), new_customer()
    with schema_context("ng"):
        if bola_funds:
            fund_wallet(wallet=wallet_for(user=bola), amount=bola_funds, reference=f"test-fund:{uuid.uuid4()}")
        circle = services.circle_create(organiser=ada, name="Near the cap", contribution_minor=100_000,
                                        frequency="weekly", member_phones=[bola.phone])
        services.circle_respond(member=circle.members.get(phone=bola.phone), user=bola, accept=True)
        circle = services.circle_start(circle=circle, actor=ada, first_collection_at=START)
    return circle, ada, bola


def test_a_pot_over_the_recipients_maximum_balance_is_held_in_the_circle_then_paid(settings):
    """Ada's wallet would pass its tier's maximum balance with her pot: nothing moves, the pot waits in the
    circle's account (held, shown on the board), the rotation goes on, and it is paid once her wallet has room
    (here: her next contribution made room), even though the circle has completed meanwhile."""
    circle, ada, bola = two_member_circle(settings, ada_funds=1_950_000, bola_funds=500_000)
    assert run(START) == {"opened": 1, "collected": 2, "paid": 1}
    with schema_context("ng"):
        pot = CirclePayout.objects.get(circle=circle, cycle=1)
        assert (pot.status, pot.entry_id, pot.paid_at, pot.collected_minor) == ("held", None, None, 200_000)
        assert savings_discrepancies() == []
    assert balances(ada, bola) == [1_850_000, 400_000] and held(circle.public_id) == 200_000
    ada_row = next(m for m in board(bola, circle.public_id)["members"] if m["position"] == 1)
    assert (ada_row["pot_status"], ada_row["pot"]) == ("held", "2000.00")

    # Round 2: still no room before Ada's contribution (still held), then Bola's pot; the circle completes.
    assert run(START + timedelta(weeks=1)) == {"still_held": 1, "opened": 1, "collected": 2, "paid": 1}
    with schema_context("ng"):
        assert Circle.objects.get(pk=circle.pk).status == "completed"
        assert savings_discrepancies() == []  # an ended circle may hold its held pots, nothing else
    assert balances(ada, bola) == [1_750_000, 500_000] and held(circle.public_id) == 200_000

    assert run(START + timedelta(weeks=1, minutes=5)) == {"released": 1}  # the next beat: room now
    with schema_context("ng"):
        pot.refresh_from_db()
        assert (pot.status, pot.amount_minor) == ("paid", 200_000) and pot.entry_id and pot.paid_at
        assert savings_discrepancies() == []
    assert balances(ada, bola) == [1_950_000, 500_000] and held(circle.public_id) == 0
    assert run(START + timedelta(weeks=1, minutes=10)) == {}
    assert_books_balance("ng")


def test_late_arrears_to_a_member_at_the_cap_are_refused_before_anything_moves(settings):
    """Paying a missed contribution late credits the member owed: capped like a P2P receive (422, the payer
    keeps the money, the debt stays owed); once that wallet has room the same payment goes through."""
    from tenant_apps.ledger.services import transfer

    circle, ada, bola = two_member_circle(settings, ada_funds=1_950_000, bola_funds=0)
    assert run(START) == {"opened": 1, "collected": 1, "missed": 1, "paid": 1}  # Ada's own 1000 back to her
    with schema_context("ng"):
        debt = Contribution.objects.get(circle=circle, cycle=1, member__user=bola)
        assert debt.owed_to is not None and debt.owed_to.user_id == ada.pk
        fund_wallet(wallet=wallet_for(user=bola), amount=100_000, reference=f"salary:{uuid.uuid4()}")
        with pytest.raises(services.RecipientOverLimit) as refused:
            services.circle_pay_arrears(contribution=debt, user=bola)
        assert (refused.value.status_code, refused.value.code) == (422, "balance_limit_exceeded")
        debt.refresh_from_db()
        assert debt.status == "missed" and debt.entry_id is None
    assert balances(ada, bola) == [1_950_000, 100_000]
    with schema_context("ng"):
        transfer(source=wallet_for(user=ada), destination=wallet_for(user=new_customer()), amount=100_000,
                 reference=f"spend:{uuid.uuid4()}")
        assert services.circle_pay_arrears(contribution=debt, user=bola).status == "covered"
        assert savings_discrepancies() == []
    assert balances(ada, bola) == [1_950_000, 0]
    assert_books_balance("ng")


def test_a_circle_cannot_start_in_the_past_to_collect_every_round_at_once(settings):
    """Attack: the organiser started a daily circle with first_collection_at a year back; the next beat tick
    opened, collected and paid out every round in one go (each member charged for the whole rotation at once,
    not one contribution per day as they consented). A start before now is refused, nothing written; a start
    from now on runs one round per period."""
    ada, bola = funded(amount=500_000), funded(amount=500_000)
    created = post(client_for(ada), "/api/savings/circles", {"name": "Ajo", "contribution": "1000.00",
                                                           "frequency": "daily", "members": [bola.phone]})
    circle_id = created.json()["id"]
    assert post(client_for(bola), f"/api/savings/circles/{circle_id}/accept", {}).status_code == 200
    now = datetime.now(UTC)
    backdated = post(client_for(ada), f"/api/savings/circles/{circle_id}/start",
                     {"first_collection_at": (now - timedelta(days=365)).isoformat()})
    assert backdated.status_code == 400, backdated.content  # was 200: every round collected at the next tick
    assert code(backdated) == "start_in_the_past"
    assert list(backdated.json()["error"]["fields"]) == ["first_collection_at"]
    assert board(ada, circle_id)["status"] == "forming"
    assert run(now) == {} and balances(ada, bola) == [500_000, 500_000]
    started = post(client_for(ada), f"/api/savings/circles/{circle_id}/start", {})  # default: now
    assert started.status_code == 200 and started.json()["status"] == "active"
    assert run(datetime.now(UTC)) == {"opened": 1, "collected": 2, "paid": 1}  # one round, not the rotation
    assert balances(ada, bola) == [500_000 + 100_000, 500_000 - 100_000]
    assert_books_balance("ng")
