"""The ONE hook every money movement goes through: KYC limits, then the tenant's risk rules, then the record.

``screen(MoneyMove(...))`` is called by every flow that moves a customer's money, inside the flow's own
transaction, before any ledger write:

* purchases (API, pages, subscriptions, agent sales): ``orders.services.purchase_create``
* P2P transfers, bank payouts, mobile-money payouts: ``wallet.transfers``
* cash-out withdrawal codes and agent cash-in: ``cash.services``
* wallet funding (the checkout start) and bank transfers into a dedicated account: ``wallet.funding``,
  ``wallet.virtual_accounts`` (money already arrived: recorded, never refused)

It replaces the flows' former call to ``kyc_reserve`` (which takes the buyer's row lock and counts the daily
limit): a new flow needs the KYC limits, and gets the rules with them; ``tests/risk/test_gate_coverage.py``
fails when a module outside this app and KYC calls ``kyc_reserve`` itself. The rules are evaluated after that
row lock, so two racing movements of one user are judged one after the other (each sees the other's record);
rules that count a shared key (recipient, device, IP, product) take a transaction advisory lock on that key
too. What happens:

* allow: the decision is recorded (it counts in later windows) and the flow goes on;
* hold: the same, ``Screening.held`` is true: the flow keeps the money on hold and does not send it until an
  operator releases it (``risk.review``); a flow that cannot wait (cash-out, funding) is blocked instead;
* step-up: 428 ``step_up_required`` unless the request carries a verified challenge for this very movement
  (``X-Step-Up``), or, on USSD, the transaction PIN the customer just typed to confirm it
  (:func:`step_up_proven`); a run without a person (a subscription) is held instead;
* block: 403 ``risk_blocked``.

Refusals roll the flow's transaction back; their decision (and the step-up challenge, and its SMS) is written
after the rollback (``ApiError.after_rollback``), so the review queue shows them too.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy

from shared_apps.core.locks import lock_risk_scopes, lock_user

from . import engine, stepup
from .errors import RiskBlocked, StepUpRequired
from .models import (
    HOLDABLE,
    INFLOWS,
    STEP_UP_ACTIONS,
    Action,
    Outcome,
    ReviewStatus,
    RiskDecision,
    UserDevice,
)
from .request_signals import current_signals, keyed_hash

_PIN_MESSAGE = gettext_lazy("Confirm it is you with your transaction PIN, then try again.")
# (user id, proof) of a step-up proven in the current block (:func:`step_up_proven`)
_proven: ContextVar[tuple[int, str] | None] = ContextVar("risk_step_up_proven", default=None)
PROOF_CHANNELS = {"pin": frozenset({"ussd"})}  # proof -> the channels where it stands for a step-up


@contextmanager
def step_up_proven(*, user: Any, proof: str) -> Iterator[None]:
    """The caller has just verified ``proof`` for ``user`` in this request: the movements of ``user`` screened in
    this block pass a step-up rule with it (``stepped_up=proof`` on the decision, like a consumed challenge).

    ``proof="pin"``: the transaction PIN, checked (counted, lockout) by ``pins.gate.authorise`` for the very
    confirmation that runs here. It stands for a step-up on the ``ussd`` channel only: there the gateway gives the
    caller's number from the mobile network (possession of the SIM, what an SMS code proves) and the PIN adds what
    the customer knows, while the customer has no second screen to answer a challenge on. Elsewhere (a PIN sent
    in a web or API request proves no possession) it is ignored and the step-up is asked as before. Another
    user's movement in the block (an agent's request screening the customer's cash-in) is not covered.
    """
    if proof not in PROOF_CHANNELS:
        raise ValueError(f"unknown step-up proof {proof!r}")
    token = _proven.set((user.pk, proof))
    try:
        yield
    finally:
        _proven.reset(token)


def _proof_for(move: MoneyMove, channel: str) -> str:
    """The step-up proof of the current block that covers ``move`` on ``channel`` ("" when none)."""
    found = _proven.get()
    if found is None or found[0] != getattr(move.user, "pk", None) or channel not in PROOF_CHANNELS[found[1]]:
        return ""
    return found[1]


@dataclass(frozen=True)
class MoneyMove:
    """One movement of a user's money, described for the gate."""

    flow: str
    user: Any
    amount_minor: int
    currency: str
    reference: str  # the movement's KYC/ledger reference ("ord-…", "transfer:p2p_…", "funding:fund_…")
    recipient: str = ""  # normalised: a phone in E.164, a meter number, "bank:058:0123456789", a user's public id
    recipient_label: str = ""  # masked, for the review queue
    product_id: int | None = None
    product_type: str = ""
    subject_type: str = ""  # order, transfer, withdrawal_code, funding, cash
    subject_id: str = ""
    kyc: bool = True  # count it against the user's KYC limits (kyc_reserve: also the row lock)
    for_customer: bool = False  # an agent moves the user's money for them (cash-in): KYC refusals say "the customer's"
    evaluate: bool = True  # False: money that already arrived (recorded, never refused)
    completed: bool = False  # an inflow already credited (its ``completed_at`` is now)


@dataclass
class Screening:
    decision_id: int
    outcome: str
    held: bool = False
    rule_name: str = ""
    stepped_up: str = ""
    reasons: list[str] = field(default_factory=list)


def _advisory_key(text: str) -> int:
    schema = getattr(connection, "schema_name", "public")
    digest = hashlib.blake2b(f"{schema}:risk:{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_user(user: Any) -> None:
    lock_user(user.pk)


def screen(move: MoneyMove, *, savepoint: bool = True) -> Screening:
    """Check KYC and the rules for ``move`` in the caller's transaction; record the decision.

    Raises ``KycLimitExceeded`` (403), :class:`RiskBlocked` (403) or :class:`StepUpRequired` (428); the
    caller's transaction rolls back. ``savepoint=False``: the caller rolls everything back on any error (a
    purchase), so the KYC step needs no savepoint.
    """
    if move.kyc:
        from tenant_apps.kyc.services import kyc_reserve

        kyc_reserve(user=move.user, amount_minor=move.amount_minor, currency=move.currency,
                    reference=move.reference, savepoint=savepoint,
                    for_customer=move.for_customer)  # locks the user row
    else:
        _lock_user(move.user)
    signals = current_signals()
    now = timezone.now()
    recipient_hash = keyed_hash(move.recipient)
    facts_move = engine.Move(
        flow=move.flow, user_id=move.user.pk, amount_minor=move.amount_minor, recipient_hash=recipient_hash,
        product_id=move.product_id, product_type=move.product_type, device_hash=signals.device_hash,
        token_device=signals.token_device, ip=signals.ip, interactive=signals.interactive)
    rules = engine.active_rules() if move.evaluate else []
    facts = engine.load_facts(facts_move, now=now, rules=rules)  # no applicable rule: no statement
    keys = engine.scope_keys(facts_move, facts)
    if keys:  # counts over a key other users share: serialise on it too, then read again
        lock_risk_scopes(_advisory_key(key) for key in keys)  # ascending: two gates never cross
        facts = engine.load_facts(facts_move, now=now, rules=rules)
    device_hash = signals.device_hash or next((fact.device_hash for fact in facts if fact.device_hash), "") or ""
    context = _Decide(move=move, signals=signals, recipient_hash=recipient_hash, device_hash=device_hash,
                      recipient_new=bool(facts) and facts[0].recipient_seen is False)
    for fact in facts:
        verdict = engine.judge(fact, facts_move)
        if not verdict.fired:
            continue
        context.reasons.append(f"{fact.name}: {verdict.reason}")
        if fact.action == Action.ALLOW:
            context.decide(Outcome.ALLOW, fact, verdict.reason)
            break
        if fact.action in STEP_UP_ACTIONS:
            if context.step_up_passed(fact):
                if context.rule is None:  # recorded as the rule that asked, unless a later rule decides
                    context.decide(Outcome.ALLOW, fact, f"{verdict.reason} (confirmed: {context.stepped_up})")
                continue
            if signals.interactive:
                context.refuse_step_up(fact, verdict.reason)  # raises
            context.decide(Outcome.HOLD, fact, f"{verdict.reason} (no one to confirm: held)")
            break
        if fact.action == Action.HOLD:
            context.decide(Outcome.HOLD, fact, verdict.reason)
            break
        context.refuse_block(fact, verdict.reason)  # raises
    if context.outcome == Outcome.HOLD and move.flow not in HOLDABLE:
        context.refuse_block(context.rule, context.reason + " (this payment cannot wait for a review)")
    return context.record(now=now)


@dataclass
class _Decide:
    move: MoneyMove
    signals: Any
    recipient_hash: str
    device_hash: str
    recipient_new: bool = False  # known when rules were read (refusals record it; the INSERT computes its own)
    outcome: str = Outcome.ALLOW
    rule: Any = None  # engine.RuleFacts
    reason: str = ""
    stepped_up: str = ""
    reasons: list[str] = field(default_factory=list)

    def decide(self, outcome: str, rule: Any, reason: str) -> None:
        self.outcome, self.rule, self.reason = outcome, rule, reason[:200]

    # --- step-up ----------------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        move = self.move
        return stepup.fingerprint(user_id=move.user.pk, flow=move.flow, amount_minor=move.amount_minor,
                                  currency=move.currency, recipient_hash=self.recipient_hash,
                                  product_id=move.product_id)

    def step_up_passed(self, fact: Any) -> bool:
        """A verified challenge for this movement came with the request: used now (once); or the block proved it
        otherwise (:func:`step_up_proven`: the PIN of a USSD confirmation). The device that answered becomes
        trusted (new-device rules spare it from now on)."""
        if self.stepped_up:
            return True
        proof = _proof_for(self.move, self.signals.channel)
        if proof:  # the PIN typed on this USSD confirmation (step_up_proven): no challenge to consume
            self.stepped_up = proof
        else:
            if not self.signals.step_up:
                return False
            challenge = stepup.consume(user=self.move.user, challenge_id=self.signals.step_up,
                                       fingerprint=self.fingerprint())
            if challenge is None:
                return False
            self.stepped_up = challenge.method
        if self.device_hash:
            UserDevice.objects.filter(user=self.move.user, device_hash=self.device_hash, trusted_at__isnull=True) \
                .update(trusted_at=timezone.now(), trust_reason="step_up", signed_out_at=None)
        return True

    def refuse_step_up(self, fact: Any, reason: str) -> None:
        move = self.move
        method = stepup.method_for(action=fact.action, user=move.user)
        challenge_id = uuid.uuid4()
        fingerprint = self.fingerprint()
        error = StepUpRequired(_PIN_MESSAGE) if method == "pin" else StepUpRequired()
        decision = self._row(outcome=Outcome.STEP_UP, rule=fact, reason=reason, counted=False)
        answer = {
            "challenge": str(challenge_id), "method": method,
            "verify": f"/api/risk/step-up/{challenge_id}/verify",
            "send": "code" if method == "otp" else "pin",
            "then": f"Send the same request again with the header X-Step-Up: {challenge_id}",
            "expires_in": stepup.ttl_seconds(), "decision": str(decision.public_id),
        }
        sms_context = {"amount": move.amount_minor, "currency": move.currency}  # step_up_otp.sms.txt writes it

        def record() -> None:  # after the rollback; the answer is rendered after this ran
            decision.save(force_insert=True)
            # The same payment again before the code was used, or at the same instant as another refusal of it (the
            # delivery is claimed atomically): one challenge, one SMS, named in every answer.
            try:
                pending_id = stepup.challenge_for_refusal(user=move.user, fingerprint=fingerprint, method=method,
                                                          challenge_id=challenge_id)
            except stepup.StepUpCodeLimit as limit:  # no code can be sent today: nothing to answer with (429)
                error.status_code, error.code, error.message = limit.status_code, limit.code, limit.message
                error.extra = {"decision": answer["decision"]}
                return
            if pending_id != str(challenge_id):
                answer.update(challenge=pending_id, verify=f"/api/risk/step-up/{pending_id}/verify",
                              then=f"Send the same request again with the header X-Step-Up: {pending_id}")
                if method == "otp":
                    answer["sent_to"] = stepup.mask_phone(move.user.phone or "")
                return
            _challenge, delivered = stepup.challenge_create(
                public_id=challenge_id, user=move.user, decision=decision, rule_id=fact.rule_id, method=method,
                fingerprint=fingerprint, device_hash=self.device_hash, context=sms_context)
            answer.update(delivered)

        error.after_rollback(record)
        error.extra = {"step_up": answer}
        raise error

    def refuse_block(self, fact: Any, reason: str) -> None:
        decision = self._row(outcome=Outcome.BLOCK, rule=fact, reason=reason, counted=False)
        error = RiskBlocked()
        error.after_rollback(lambda: decision.save(force_insert=True))
        error.extra = {"decision": str(decision.public_id)}  # what support asks for
        raise error

    # --- the record ------------------------------------------------------------------------------------------
    def _row(self, *, outcome: str, rule: Any, reason: str, counted: bool) -> RiskDecision:
        move, signals = self.move, self.signals
        return RiskDecision(
            user=move.user, flow=move.flow, product_type=move.product_type, product_id=move.product_id,
            amount_minor=move.amount_minor, currency=move.currency, recipient_hash=self.recipient_hash,
            recipient_new=self.recipient_new, recipient_label=move.recipient_label[:60],
            device_hash=self.device_hash, ip=signals.ip,
            channel=signals.channel, reference=move.reference[:160], subject_type=move.subject_type,
            subject_id=move.subject_id, outcome=outcome, rule_id=getattr(rule, "rule_id", None),
            rule_name=(getattr(rule, "name", "") or "")[:120], reason=reason[:200], stepped_up=self.stepped_up,
            counted=counted, created_at=timezone.now())

    def record(self, *, now: datetime) -> Screening:
        """One call (``risk_record_decision``): the decision (its ``recipient_new`` computed there) and, when the
        request names a device, that device's first-seen row (the user's first device is trusted)."""
        move, signals = self.move, self.signals
        held = self.outcome == Outcome.HOLD
        decision_id = _insert_decision(
            move=move, signals=signals, recipient_hash=self.recipient_hash,
            device_hash=self.device_hash, outcome=self.outcome, rule=self.rule, reason=self.reason,
            stepped_up=self.stepped_up, review_status=ReviewStatus.PENDING if held else "",
            completed_at=now if move.completed and move.flow in INFLOWS else None, now=now,
            record_device=bool(signals.device_hash))
        return Screening(decision_id=decision_id, outcome=self.outcome, held=held,
                         rule_name=getattr(self.rule, "name", "") or "", stepped_up=self.stepped_up,
                         reasons=self.reasons)




def decision_json(*, move: MoneyMove, signals: Any, recipient_hash: str, device_hash: str, outcome: str, rule: Any,
                  reason: str, stepped_up: str, review_status: str, completed_at: datetime | None, now: datetime,
                  record_device: bool) -> dict[str, Any]:
    """A decision as the server-side ``risk_record_decision`` (migration 0003) records it: the gate's record,
    and the purchase's one call (``purchase_accept``) when no rule applies."""
    return {
        "user": move.user.pk, "device": device_hash, "channel": signals.channel, "ua": signals.user_agent[:200],
        "now": now.isoformat(), "ip": signals.ip, "record_device": record_device, "flow": move.flow,
        "product_type": move.product_type, "product": move.product_id, "amount": move.amount_minor,
        "currency": move.currency, "recipient": recipient_hash, "label": move.recipient_label[:60],
        "reference": move.reference[:160], "subject_type": move.subject_type, "subject_id": move.subject_id,
        "outcome": outcome, "rule": getattr(rule, "rule_id", None),
        "rule_name": (getattr(rule, "name", "") or "")[:120],
        "reason": reason[:200], "stepped_up": stepped_up, "review_status": review_status,
        "completed_at": completed_at.isoformat() if completed_at else None,
    }


def allowed_without_rules(move: MoneyMove) -> dict[str, Any]:
    """The record of a movement no rule applies to (``screen``'s answer then): allowed, counted, the device seen."""
    signals = current_signals()
    return decision_json(move=move, signals=signals, recipient_hash=keyed_hash(move.recipient),
                         device_hash=signals.device_hash or "", outcome=Outcome.ALLOW, rule=None, reason="",
                         stepped_up="", review_status="", completed_at=None, now=timezone.now(),
                         record_device=bool(signals.device_hash))


def rules_apply(move: MoneyMove) -> bool:
    """Whether any of the tenant's active rules applies to ``move`` (the per-process rule cache: no statement)."""
    return move.evaluate and any(rule.applies(flow=move.flow, product_type=move.product_type)
                                 for rule in engine.active_rules())


def _insert_decision(**fields: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT risk_record_decision(%s::jsonb)", [json.dumps(decision_json(**fields))])
        return cursor.fetchone()[0]


def inflow_completed(*, reference: str, at: datetime | None = None) -> int:
    """The money of a screened inflow (a funding, a cash-in) arrived: payout-after-funding windows start now."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE risk_riskdecision SET completed_at = %s WHERE reference = %s AND counted "
                       "AND completed_at IS NULL", [at or timezone.now(), reference[:160]])
        return cursor.rowcount


def link_subject(*, decision_id: int, subject_type: str, subject_id: str) -> None:
    """Point a decision at the row the flow created after screening (when its id was not known before)."""
    RiskDecision.objects.filter(pk=decision_id).update(subject_type=subject_type, subject_id=subject_id)
