"""Circle invitations text a phone number the organiser types: they are bounded per organiser and day.

Before, a verified customer could invite a stranger's number, remove the invitation and invite it again, or open
and cancel circles of thirty numbers, for ever: every invitation an SMS at the tenant's cost (SMS pumping, and
harassment of the number's owner), with no limit anywhere. Now each organiser sends at most
``SAVINGS_INVITATIONS_PER_DAY`` invitations in any 24 hours (every circle together, removed and declined ones
included): the next is refused (429 ``too_many_invitations``), nothing is written and no SMS goes out.
"""

from __future__ import annotations

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from tenant_apps.savings import common
from tenant_apps.savings.models import CircleMember
from tests.merchants.helpers import funded
from tests.wallet.helpers import client_for, post

pytestmark = pytest.mark.django_db

STRANGER = "+2348035550101"


def invite(client, circle_id: str, phone: str = STRANGER):
    return post(client, f"/api/savings/circles/{circle_id}/invitations", {"phone": phone}, key=None)


def test_invite_remove_invite_again_is_bounded_per_day(settings, django_capture_on_commit_callbacks):
    settings.SAVINGS_SMS_NOTIFICATIONS = True
    settings.SAVINGS_INVITATIONS_PER_DAY = 5
    ada = funded()
    client = client_for(ada)
    created = post(client, "/api/savings/circles", {"name": "Pump", "contribution": "10.00", "frequency": "daily"})
    assert created.status_code == 201, created.content
    circle_id = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=False) as sms:
        for _round in range(5):
            invited = invite(client, circle_id)
            assert invited.status_code == 201, invited.content
            member = next(m for m in invited.json()["members"] if m["phone"] == STRANGER)
            removed = client.post(f"/api/savings/circles/{circle_id}/members/{member['id']}/remove")
            assert removed.status_code == 200, removed.content
    assert len(sms) == 5
    with django_capture_on_commit_callbacks(execute=False) as sms:
        refused = invite(client, circle_id)
        other_circle = post(client, "/api/savings/circles", {"name": "Pump two", "contribution": "10.00",
                                                             "frequency": "daily", "members": ["+2348035550102"]})
    assert refused.status_code == 429, refused.content
    assert refused.json()["error"]["code"] == "too_many_invitations"
    assert other_circle.status_code == 429 and other_circle.json()["error"]["code"] == "too_many_invitations"
    assert sms == []
    with schema_context("ng"):
        assert CircleMember.objects.filter(circle__organiser=ada).exclude(user=ada).count() == 5
        assert not CircleMember.objects.filter(phone="+2348035550102").exists()


def test_another_organiser_is_not_held_back_by_the_first(settings):
    settings.SAVINGS_INVITATIONS_PER_DAY = 1
    first, second = funded(), funded()
    for organiser in (first, second):
        created = post(client_for(organiser), "/api/savings/circles", {
            "name": "Family", "contribution": "10.00", "frequency": "weekly", "members": [STRANGER]})
        assert created.status_code == 201, created.content
    again = post(client_for(first), "/api/savings/circles", {
        "name": "Family 2", "contribution": "10.00", "frequency": "weekly", "members": ["+2348035550103"]})
    assert again.status_code == 429


@pytest.mark.parametrize(("language", "text"), [
    ("fr", "Trop d'invitations envoyées aujourd'hui. Réessayez demain."),
    ("pt", "Demasiados convites enviados hoje. Tente novamente amanhã.")])
def test_the_refusal_reads_in_french_and_portuguese(language, text):
    with translation.override(language):
        assert str(common.TooManyInvitations().message) == text
