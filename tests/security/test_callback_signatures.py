"""Every provider callback endpoint, one table: who signs, and what a bad or missing signature does.

Each ``/webhook/`` route of the URL conf is in exactly one of two tables (a new route fails this test until it is
placed): the rails that sign their notifications (how: the header or body field carrying it), and the rails whose
providers publish no signature (why: only a status lookup with the provider decides). For every object we sent to
the endpoint's own provider (settled orders, pending funding intents and payouts, dedicated accounts: the victims
of tests/security/test_cross_provider_callbacks.py, in NG, GH and SN):

* signed rails: the provider's own callback about it, the signature removed, then wrong: a 4xx every time, the
  refusal logged (``provider callback refused``, ``bad_signature``, without the reference) and nothing changed;
* unsigned rails: the most harmful forged body about it (a reversal of a delivered order, a success of an unpaid
  funding, a failure of a payout in flight): never a 5xx and nothing changed, the provider not having said so.

Every money and state table of the three schemas is fingerprinted before and after. What the other files hold
for these endpoints: another provider's or another tenant's object (test_cross_provider_callbacks.py), the same
notification twice settling or crediting once and another amount or currency never credited (per rail:
tests/wallet/test_funding.py, test_funding_mismatch.py, test_mobile_money_rails.py, test_virtual_accounts.py,
tests/orders/test_webhooks_and_recovery.py).
"""

from __future__ import annotations

import json
import logging

from provider_plugins.aggregator.protocol import SIGNATURE_HEADER as AGG_SIGNATURE
from tests.security.test_cross_provider_callbacks import (
    ENDPOINTS,
    HOSTS,
    _fingerprints,
    _send,
    _webhook_routes,
    hostile,
    sims,  # noqa: F401  (the module's fixture: simulators of every provider)
    victim_world,
)
from tests.support.attack import fingerprint_diff

# endpoint -> where its provider's signature is: request headers, or "body:<field>" of a JSON body.
SIGNED: dict[str, tuple[str, ...]] = {
    "/webhook/paystack": ("x-paystack-signature",),  # HMAC-SHA512 of the raw body with the secret key
    "/webhook/flutterwave": ("verif-hash",),  # the secret hash set in the dashboard
    "/webhook/aggregator": (AGG_SIGNATURE,),  # HMAC-SHA256 of timestamp and body
    "/webhook/wave": ("wave-signature",),  # t=<timestamp>,v1=<HMAC-SHA256>
    "/webhook/cinetpay": ("x-token",),  # HMAC-SHA256 of the notification's fields
    "/webhook/airtel_money": ("body:hash",),  # the callback's hash of the transaction with the callback key
}
# endpoint -> why no signature is checked: the provider publishes none; its status lookup decides.
UNSIGNED: dict[str, str] = {
    "/webhook/vtpass": "VTPass callbacks are unsigned: the transaction is requeried",
    "/webhook/dtone": "DT One posts the transaction object unsigned: it is looked up by id",
    "/webhook/orange": "the contract body is unsigned; Orange's native one carries the notif_token we issued",
    "/webhook/mtn_momo": "MTN MoMo callbacks are unsigned: the request-to-pay status is polled",
    "/webhook/mtn": "the contract's path for MTN MoMo's callbacks (same handler)",
    "/webhook/mtn_momo/disbursement": "MTN MoMo disbursement callbacks are unsigned: the transfer is looked up",
    "/webhook/cinetpay/transfer": "CinetPay transfer notifications are unsigned: the transfer is checked",
}


NOTES = frozenset({"orders_orderattempt", "wallet_fundingintent"})


def _intent_states() -> dict[str, list[tuple]]:
    from django_tenants.utils import schema_context

    from tenant_apps.wallet.models import FundingIntent

    found = {}
    for schema in HOSTS:
        with schema_context(schema):
            found[schema] = list(FundingIntent.objects.order_by("id").values_list(
                "reference", "status", "failure_reason", "credit_entry_id", "verified_amount_minor",
                "verified_currency", "completed_at"))
    return found


def test_every_webhook_route_is_in_the_table():
    routes = {f"/{route}" for route, _view in _webhook_routes()}
    assert set(SIGNED) | set(UNSIGNED) == routes == set(ENDPOINTS)
    assert not set(SIGNED) & set(UNSIGNED)


def _without_signature(headers: dict, body: bytes, where: tuple[str, ...], *, wrong: bool) -> tuple[dict, bytes]:
    """The same request with its signature removed, or (``wrong``) replaced by one of the same shape."""
    def spoil(value: str) -> str:
        return value[:-4] + ("0000" if not value.endswith("0000") else "1111")

    headers = dict(headers)
    for place in where:
        if place.startswith("body:"):
            payload = json.loads(body)
            field = place.split(":", 1)[1]
            if wrong:
                payload[field] = spoil(str(payload[field]))
            else:
                payload.pop(field)
            body = json.dumps(payload).encode()
            continue
        name = next((key for key in headers if key.lower() == place.lower()), None)
        assert name is not None, f"{place} not among {sorted(headers)}"
        if wrong:
            headers[name] = spoil(str(headers[name]))
        else:
            headers.pop(name)
    return headers, body


def test_bad_or_missing_signatures_and_unsigned_forgeries_change_nothing(db, sims, caplog, monkeypatch):  # noqa: F811

    stack, gateways = sims
    victims = victim_world(stack, gateways, monkeypatch)

    before, intents_before = _fingerprints(), _intent_states()
    answers: dict[str, list[int]] = {}
    refused_without_log: list[str] = []
    with caplog.at_level(logging.INFO):
        for endpoint, plugin in ENDPOINTS.items():
            own = [victim for victim in victims if victim.plugin == plugin]
            assert own, f"no object sent to {plugin} to aim {endpoint} at"
            for victim in own:
                method, headers, body = hostile(endpoint, victim, gateways)
                host = HOSTS[victim.schema]
                if endpoint in UNSIGNED:
                    answer = _send(host, endpoint, method, headers, body)
                    answers.setdefault(f"{endpoint} unsigned x {victim.kind}", []).append(answer.status_code)
                    continue
                for wrong in (False, True):
                    spoiled_headers, spoiled_body = _without_signature(headers, body, SIGNED[endpoint], wrong=wrong)
                    caplog.clear()
                    answer = _send(host, endpoint, method, spoiled_headers, spoiled_body)
                    case = f"{endpoint} {'wrong' if wrong else 'no'} signature x {victim.kind}"
                    answers.setdefault(case, []).append(answer.status_code)
                    if not any(r.getMessage() == "provider callback refused" and getattr(r, "reason", "") ==
                               "bad_signature" for r in caplog.records):
                        refused_without_log.append(case)
                    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
                    assert victim.reference not in logged, case

    after = _fingerprints()
    intents_after = _intent_states()
    changed = {schema: fingerprint_diff(before[schema], after[schema]) for schema in HOSTS}
    # What a lookup with the provider notes (an order attempt's last answer, a funding intent's provider status)
    # is neither money nor state; the intents' state is compared on its own.
    assert {schema: set(diff) - NOTES for schema, diff in changed.items()} == {schema: set() for schema in HOSTS}, \
        changed
    assert intents_after == intents_before
    signed = {case: codes for case, codes in answers.items() if "signature" in case}
    assert signed and all(400 <= code < 500 for codes in signed.values() for code in codes), signed
    assert all(code < 500 for codes in answers.values() for code in codes), answers
    assert refused_without_log == []
