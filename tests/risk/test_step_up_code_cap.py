"""Step-up SMS codes have a daily cap per user, like login and PIN-reset codes (``PHONE_OTP['MAX_CODES_PER_DAY']``).

Found from outside: payments needing a step-up, each a new movement (another amount), texted a new code every time
without end (SMS bombing of one's own phone at the tenant's cost, or a stolen session fishing for codes). Past the
cap the refusal answers 429 ``step_up_code_limit`` and texts nothing; a resend is refused the same way. Real
commits, the SMS simulator's outbox over HTTP.
"""

from __future__ import annotations

import requests
from django.conf import settings
from django.test import override_settings
from django_tenants.utils import schema_context

from tests.risk.helpers import buy, call, error, make_rule, person

CAP = 3


def _texts(stack, phone: str) -> list:
    return requests.get(f"{stack.sms.url}/outbox.json", params={"to": phone}, timeout=5).json()["messages"]


def test_a_burst_of_payments_needing_a_step_up_texts_at_most_the_daily_cap(live_db, risk_stack):
    from tenant_apps.risk.models import RiskRule, StepUpChallenge

    rule = make_rule(name="large purchase (cap)", rule_type="amount_above", threshold_amount="200.00",
                     action="step_up_otp")
    try:
        user, token = person(balance=500_000)
        product, phone = risk_stack.products["vt_airtime"], risk_stack.phone()
        with override_settings(PHONE_OTP={**settings.PHONE_OTP, "MAX_CODES_PER_DAY": CAP}):
            answers = [buy(token, product, phone, amount=f"{300 + index}.00", again=True) for index in range(CAP + 3)]
            assert [answer.status_code for answer in answers] == [428] * CAP + [429] * 3, \
                [answer.content for answer in answers]
            refused = error(answers[-1])
            assert refused["code"] == "step_up_code_limit" and "step_up" not in refused and refused["decision"]
            assert len(_texts(risk_stack, user.phone)) == CAP
            with schema_context("ng"):
                assert StepUpChallenge.objects.filter(user=user).count() == CAP
            # The same payment again within the cooldown names its challenge (nothing texted: not refused).
            again = buy(token, product, phone, amount="300.00", again=True)
            assert again.status_code == 428, again.content
            # A resend of a sent challenge is past the cap too: 429, nothing texted.
            challenge = error(answers[0])["step_up"]["challenge"]
            with override_settings(PHONE_OTP={**settings.PHONE_OTP, "MAX_CODES_PER_DAY": CAP,
                                              "RESEND_COOLDOWN_SECONDS": 0}):
                resent = call("POST", f"/api/risk/step-up/{challenge}/resend", token)
            assert resent.status_code == 429 and error(resent)["code"] == "step_up_code_limit", resent.content
            assert len(_texts(risk_stack, user.phone)) == CAP
        # Another user has a budget of their own.
        other, other_token = person(balance=500_000)
        with override_settings(PHONE_OTP={**settings.PHONE_OTP, "MAX_CODES_PER_DAY": CAP}):
            assert buy(other_token, product, phone, amount="300.00", again=True).status_code == 428
        assert len(_texts(risk_stack, other.phone)) == 1
    finally:
        with schema_context("ng"):
            RiskRule.objects.filter(pk=rule.pk).delete()
