"""A payment refused for a step-up, sent several times at once, texts one code (SMS bombing through the gate).

Found from outside: the same large purchase sent 6 times together (one Idempotency-Key each) got 6 answers 428 and
the customer got 6 SMS codes: each refusal looked for a recent challenge of the same payment (none yet: their rows
are written after the rollback) and created and texted its own. The delivery is now claimed atomically, with the OTP
cooldown's claim (``accounts.services.sms_send_claim``, a Redis SET NX per tenant, user, method and payment): one
challenge is created and texted, and every answer names it (and once it is used, the same payment again gets a code
of its own). Real commits, real threads, the SMS simulator's outbox.
"""

from __future__ import annotations

import uuid

import requests
from django_tenants.utils import schema_context

from tests.risk.helpers import buy, call, error, make_rule, person, sms_code
from tests.support.concurrency import run_concurrently

RACERS = 6


def test_one_payment_refused_for_a_step_up_several_times_at_once_texts_one_code(live_db, risk_stack):
    from tenant_apps.risk.models import RiskRule, StepUpChallenge

    rule = make_rule(name="large purchase (race)", rule_type="amount_above", threshold_amount="200.00",
                     action="step_up_otp")
    try:
        user, token = person(balance=200_000)
        product, phone = risk_stack.products["vt_airtime"], risk_stack.phone()
        answers = run_concurrently(RACERS, lambda _index: buy(token, product, phone, amount="300.00", again=True))
        assert not [answer for answer in answers if isinstance(answer, Exception)], answers
        assert [answer.status_code for answer in answers] == [428] * RACERS  # type: ignore[union-attr]
        challenges = {error(answer)["step_up"]["challenge"] for answer in answers}
        assert len(challenges) == 1, challenges  # every answer names the one challenge
        texts = requests.get(f"{risk_stack.sms.url}/outbox.json", params={"to": user.phone}, timeout=5) \
            .json()["messages"]
        assert len(texts) == 1, texts
        challenge = challenges.pop()
        with schema_context("ng"):
            assert list(StepUpChallenge.objects.filter(user=user).values_list("public_id", flat=True)) \
                == [uuid.UUID(challenge)]
        # Confirmed and used, the same payment again a moment later is a new movement to confirm: a new code.
        code = sms_code(risk_stack, user.phone)
        verified = call("POST", f"/api/risk/step-up/{challenge}/verify", token, {"code": code})
        assert verified.status_code == 200, verified.content
        assert buy(token, product, phone, amount="300.00", again=True, step_up=challenge).status_code == 202
        asked = buy(token, product, phone, amount="300.00", again=True)
        assert asked.status_code == 428 and error(asked)["step_up"]["challenge"] != challenge
        assert len(requests.get(f"{risk_stack.sms.url}/outbox.json", params={"to": user.phone}, timeout=5)
                   .json()["messages"]) == 2
    finally:
        with schema_context("ng"):
            RiskRule.objects.filter(pk=rule.pk).delete()
