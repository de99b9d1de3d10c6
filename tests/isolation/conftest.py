"""Tenant A (ng) with real objects of every kind, and attackers on tenants B (sn, quickvend)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import call, login, make_user
from tests.orders.helpers import make_review_order
from tests.support.attack import Victim


@pytest.fixture(autouse=True)
def _simulated_providers(simulated_providers):
    """SMS and KYC on their simulators, a clean Redis (tests/fixtures/sms_kyc.py)."""
    yield

VICTIM_SCHEMA, VICTIM_DOMAIN = "ng", "ng.localhost"
BVN = "22287654321"  # not the adapter's example number, so a leak is unambiguous


@pytest.fixture
def victim(db) -> Victim:
    """Tenant A's customer with a funded wallet, a KYC submission, a wallet adjustment (idempotency key,
    ledger entry, audit event), a role change (audit), an order in manual review (hold placed) and live
    tokens."""
    from tenant_apps.kyc.services import kyc_submit
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    client = Client()
    customer = make_user(VICTIM_SCHEMA, email="victim@ng.example", phone="+2348031110001")
    staff = make_user(VICTIM_SCHEMA, email="victim-staff@ng.example", phone="+2348031110002")
    make_user(VICTIM_SCHEMA, email="victim-finance@ng.example", role="operator_finance", phone="+2348031110003")
    admin = make_user(VICTIM_SCHEMA, email="victim-admin@ng.example", role="operator_admin", phone="+2348031110004")
    with schema_context(VICTIM_SCHEMA):
        fund_wallet(wallet=wallet_for(user=customer), amount=500_000, reference="paystack:victim-funding")
        submission = kyc_submit(user=customer, scheme="bvn", number=BVN)
        order = make_review_order(customer, recipient="+2348031110009")  # in the staff review queue
    admin_tokens = login(Client(HTTP_HOST=VICTIM_DOMAIN), "victim-admin@ng.example")
    customer_tokens = login(Client(HTTP_HOST=VICTIM_DOMAIN), "victim@ng.example")
    finance_tokens = login(Client(HTTP_HOST=VICTIM_DOMAIN), "victim-finance@ng.example")
    adjusted = call(client, "POST", "/api/wallet/adjustments",
                    {"user": str(customer.public_id), "amount": "25.00", "reason": "goodwill"},
                    token=finance_tokens["access"], HTTP_HOST=VICTIM_DOMAIN, HTTP_IDEMPOTENCY_KEY="victim-adjust-1")
    assert adjusted.status_code == 201, adjusted.content
    promoted = call(client, "POST", f"/api/accounts/users/{staff.public_id}/role", {"role": "operator_support"},
                    token=admin_tokens["access"], HTTP_HOST=VICTIM_DOMAIN)
    assert promoted.status_code == 200, promoted.content
    with schema_context(VICTIM_SCHEMA):
        from tenant_apps.audit.models import AuditEvent
        from tenant_apps.idempotency.models import IdempotencyKey

        assert IdempotencyKey.objects.exists() and AuditEvent.objects.exists()
        admin_id = str(admin.public_id)
        objects = seed_victim_objects(customer=customer, staff=staff, admin=admin)
    return Victim(
        schema=VICTIM_SCHEMA, domain=VICTIM_DOMAIN,
        ids={"user": str(customer.public_id), "staff": str(staff.public_id), "admin": admin_id,
             "kyc_submission": str(submission.public_id), "refresh": customer_tokens["refresh"],
             "admin_access": admin_tokens["access"], "customer_access": customer_tokens["access"],
             "user_email": "victim@ng.example", "idempotency_key": "victim-adjust-1",
             "review_order": str(order.public_id),
             **{name: value for name, (value, _markers) in objects.items()}},
        markers={"victim@ng.example", "victim-staff@ng.example", "victim-finance@ng.example",
                 "victim-admin@ng.example", f"admin@{VICTIM_DOMAIN}", "+2348031110004", str(customer.public_id),
                 str(staff.public_id), admin_id, str(submission.public_id), "+2348031110001", "+2348031110002",
                 BVN, "paystack:victim-funding", adjusted.json()["reference"], "goodwill",
                 *(marker for _value, markers in objects.values() for marker in markers)})


VICTIM_RULE_ID = 987_654_321  # far beyond any id the attacking schemas' sequences reach


def seed_victim_objects(*, customer, staff, admin) -> dict[str, tuple[str, set[str]]]:
    """One real object of every kind an endpoint takes by id, in A's schema: kind -> (id, leak markers).

    B's attacks then aim at ids that exist in A (not made-up ones), so "refused" proves that A's
    object is unreachable, and the fingerprint proves it unchanged."""
    from django.utils import timezone

    from tenant_apps.agents.api_keys import api_key_create
    from tenant_apps.agents.models import Agent, ResellerApplication, WebhookDelivery, WebhookSubscription
    from tenant_apps.orders.models import Order
    from tenant_apps.pricing.models import PriceRule
    from tenant_apps.subscriptions.models import Subscription
    from tenant_apps.wallet.models import FundingIntent, Transfer

    now = timezone.now()
    order = Order.objects.create(user=customer, product_id=1, product_type="airtime", product_name="MTN Airtime",
                                 operator="mtn", recipient_phone="+2348031110005", currency="NGN",
                                 face_value_minor=10_000, price_minor=10_000, status="settled",
                                 provider_reference="victim-provider-ref", created_at=now, updated_at=now,
                                 final_at=now)
    subscription = Subscription.objects.create(user=customer, product_id=1, product_name="MTN Airtime",
                                               frequency="weekly", recipient_phone="+2348031110006",
                                               amount_minor=10_000, anchor_day=1, next_run_at=now)
    transfer = Transfer.objects.create(type="p2p", sender=customer, recipient_user=staff, amount_minor=1_000,
                                       currency="NGN", status="succeeded", reference="victim-transfer-ref")
    funding = FundingIntent.objects.create(user=customer, gateway="paystack", provider_id=1,
                                           reference="victim-funding-intent-ref", amount_minor=5_000,
                                           currency="NGN", status="failed",  # final: reading it asks no gateway
                                           authorization_url="https://pay.example/victim-checkout")
    agent_user = make_user(VICTIM_SCHEMA, email="victim-agent@ng.example", role="agent", phone="+2348031110007")
    agent = Agent.objects.create(user=agent_user)
    Agent.objects.filter(pk=agent.pk).update(path=f"{agent.pk}/")
    issued = api_key_create(name="victim key", scopes=["read"], user=customer, created_by=admin)
    application = ResellerApplication.objects.create(
        company_name="Victim Reseller Ltd", registration_number="RC-VICTIM-1", desired_subdomain="victimshop",
        contact_name="Victim Contact", contact_email="victim-reseller@ng.example", contact_phone="+2348031110008")
    rule = PriceRule.objects.create(id=VICTIM_RULE_ID, product_type="airtime", mode="percent", value=123)
    hook = WebhookSubscription.objects.create(url="https://victim-hooks.example/nx", events=["order.settled"],
                                              secret_encrypted="x", created_by=admin)
    delivery = WebhookDelivery.objects.create(subscription=hook, event="order.settled",
                                              payload={"order": str(order.public_id)})
    key_id = issued.key.key_id
    from datetime import timedelta

    from tenant_apps.cash.models import CashTransaction, WithdrawalCode
    from tenant_apps.ledger.services import fund_wallet, place_hold, wallet_for

    fund_wallet(wallet=wallet_for(user=agent_user), amount=100_000, reference="test:victim-agent-float")
    cash = CashTransaction.objects.create(
        kind="cash_in", reference="ci_victimcashref", agent=agent_user, customer=customer, amount_minor=7_000,
        currency="NGN", status="awaiting_confirmation", expires_at=now + timedelta(minutes=5),
        hold=place_hold(wallet=wallet_for(user=agent_user), amount=7_000, reference="cashin:ci_victimcashref"))
    code = WithdrawalCode(customer=customer, amount_minor=3_000, fee_minor=30, currency="NGN", code_hash="x$y",
                          expires_at=now + timedelta(minutes=30))
    code.hold = place_hold(wallet=wallet_for(user=customer), amount=3_030, reference=f"cashout:{code.public_id}")
    code.save()
    merchant, payment, circle, member, contribution, goal = _seed_merchant_and_savings(customer=customer, admin=admin)
    remittance = _seed_remittance(customer=customer)
    from tenant_apps.bulk.models import BulkBatch, BulkRow

    batch = BulkBatch.objects.create(user=agent_user, file_sha256="f" * 64, file_name="victim-bulk.csv",
                                     currency="NGN", row_count=1, valid_count=1, created_at=now)
    BulkRow.objects.create(batch=batch, line=2, raw_number="08031110010", recipient_phone="+2348031110010",
                           network="mtn", status="ready")
    from tenant_apps.risk.models import RiskDecision, RiskRule, StepUpChallenge, UserDevice

    risk_rule = RiskRule.objects.create(name="victim-risk-rule", rule_type="amount_above", action="hold",
                                        threshold_amount_minor=900_000_000, currency="NGN", is_active=False)
    held = RiskDecision.objects.create(user=customer, flow="p2p", amount_minor=4_000, currency="NGN",
                                       reference="transfer:victim-held-ref", subject_type="transfer",
                                       subject_id=str(transfer.public_id), outcome="hold", rule=risk_rule,
                                       rule_name="victim-risk-rule", review_status="pending")
    challenge = StepUpChallenge.objects.create(user=customer, method="otp", fingerprint="victim",
                                               expires_at=now + timedelta(minutes=10))
    device = UserDevice.objects.create(user=customer, device_hash="victimdevice0000000000000000000a",
                                       user_agent="VictimBrowser/1.0")
    from tenant_apps.privacy.models import DataExport

    export = DataExport.objects.create(user=customer, status="ready", file_key="tenants/ng/privacy/exports/victim.zip",
                                       expires_at=now + timedelta(hours=1))
    return {
        "data_export": (str(export.public_id), {str(export.public_id), "victim.zip"}),
        "bulk_batch": (str(batch.public_id), {str(batch.public_id), "victim-bulk.csv", "+2348031110010"}),
        "risk_rule": (str(risk_rule.public_id), {str(risk_rule.public_id), "victim-risk-rule"}),
        "risk_decision": (str(held.public_id), {str(held.public_id), "transfer:victim-held-ref"}),
        "step_up": (str(challenge.public_id), {str(challenge.public_id)}),
        "device": (str(device.public_id), {str(device.public_id), "VictimBrowser/1.0"}),
        "cash_transaction": (str(cash.public_id), {str(cash.public_id), "ci_victimcashref"}),
        "withdrawal_code": (str(code.public_id), {str(code.public_id)}),
        "merchant": (str(merchant.public_id), {str(merchant.public_id), "Victim Bakery", merchant.code}),
        "merchant_payment": (str(payment.public_id), {str(payment.public_id), payment.reference}),
        "circle": (str(circle.public_id), {str(circle.public_id), "Victim ajo"}),
        "circle_member": (str(member.pk), set()),  # an integer: too short to be a leak marker
        "contribution": (str(contribution.public_id), {str(contribution.public_id)}),
        "goal": (str(goal.public_id), {str(goal.public_id), "Victim school fees"}),
        "remittance_quote": (str(remittance.quote.public_id), {str(remittance.quote.public_id),
                                                               "Victim Abroad Recipient", "+233244111009"}),
        "remittance": (str(remittance.public_id), {str(remittance.public_id)}),
        "order": (str(order.public_id), {str(order.public_id), "+2348031110005", "victim-provider-ref"}),
        "subscription": (str(subscription.public_id), {str(subscription.public_id), "+2348031110006"}),
        "transfer": (str(transfer.public_id), {str(transfer.public_id), "victim-transfer-ref"}),
        "funding_intent": (str(funding.public_id), {str(funding.public_id), "victim-funding-intent-ref",
                                                    "victim-checkout"}),
        "agent": (str(agent.public_id), {str(agent.public_id), "victim-agent@ng.example", "+2348031110007"}),
        "api_key": (key_id, {key_id}),
        "reseller_application": (str(application.public_id), {str(application.public_id), "Victim Reseller Ltd",
                                                              "victim-reseller@ng.example", "RC-VICTIM-1"}),
        "price_rule": (str(rule.pk), set()),  # an integer: too short to be a leak marker
        "webhook_delivery": (str(delivery.public_id), {str(delivery.public_id), "victim-hooks.example"}),
    }


def _seed_remittance(*, customer):
    """A's remittance to GH held for review (sanctions), on hold in A's wallet, and its quote."""
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.ledger.services import fund_wallet, place_hold, wallet_for
    from tenant_apps.remittances.models import Quote, Remittance

    quote = Quote.objects.create(
        user=customer, destination_country="GH", destination_schema="gh", method="wallet", send_currency="NGN",
        receive_currency="GHS", send_minor=500_000, fee_minor=15_000, principal_minor=485_000,
        mid_rate_e9=10_000_000, rate_e9=9_850_000, margin_bps=150, receive_minor=4_777,
        recipient_name="Victim Abroad Recipient", recipient_phone="+233244111009", screening="hit",
        expires_at=timezone.now() + timedelta(hours=1))
    fund_wallet(wallet=wallet_for(user=customer), amount=500_000, reference="test:victim-remittance")
    public_id = uuid.uuid4()
    return Remittance.objects.create(
        public_id=public_id, quote=quote, sender=customer, destination_country="GH", destination_schema="gh",
        method="wallet", send_currency="NGN", receive_currency="GHS", send_minor=500_000, fee_minor=15_000,
        principal_minor=485_000, rate_e9=9_850_000, receive_minor=4_777, recipient_name=quote.recipient_name,
        recipient_phone=quote.recipient_phone, status="held_for_review", review_reason="sanctions",
        hold=place_hold(wallet=wallet_for(user=customer), amount=500_000, reference=f"remit:{public_id}"))


def _seed_merchant_and_savings(*, customer, admin):
    """A's approved business with one payment, a running circle with a collected contribution, a goal."""
    from datetime import date, timedelta

    from django.utils import timezone

    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.merchants import services as merchants
    from tenant_apps.savings import goals as savings_goals
    from tenant_apps.savings import services as savings
    from tenant_apps.savings.models import Contribution

    merchant = merchants.merchant_register(owner=customer, business_name="Victim Bakery", category_code="groceries",
                                           city="Lagos", address="1 Victim Street, Lagos")
    merchant = merchants.merchant_decide(reviewer=admin, merchant=merchant, action="approve")
    payer = make_user(VICTIM_SCHEMA, email="victim-payer@ng.example", phone="+2348031110010")
    fund_wallet(wallet=wallet_for(user=payer), amount=100_000, reference="paystack:victim-payer-funding")
    payment = merchants.merchant_pay(payer=payer, payee=merchants.payee_from_code(merchant.code), amount_minor=20_000)
    circle = savings.circle_create(organiser=customer, name="Victim ajo", contribution_minor=1_000,
                                   frequency="weekly", member_phones=[payer.phone])
    member = circle.members.get(phone=payer.phone)
    savings.circle_respond(member=member, user=payer, accept=True)
    circle = savings.circle_start(circle=circle, actor=customer, first_collection_at=timezone.now())
    savings.circle_run(circle=circle, now=timezone.now() + timedelta(seconds=1))
    contribution = Contribution.objects.filter(circle=circle).first()
    goal = savings_goals.goal_create(owner=customer, name="Victim school fees", target_minor=50_000,
                                     lock_until=date.today() + timedelta(days=60))
    savings_goals.goal_deposit(goal=goal, owner=customer, amount_minor=5_000, reference="goal-deposit:victim")
    return merchant, payment, circle, member, contribution, goal


@pytest.fixture
def attacker_tokens(db):
    """Tokens of a verified customer and of the operator_admin of each attacking tenant."""

    def make(schema: str, domain: str) -> dict[str, str]:
        ng_like = schema != "sn"
        make_user(schema, email=f"attacker@{domain}", phone="+2348031119999" if ng_like else "+221771119999")
        make_user(schema, email=f"finance@{domain}", role="operator_finance",
                  phone="+2348031119998" if ng_like else "+221771119998")
        make_user(schema, email=f"operator-admin@{domain}", role="operator_admin",
                  phone="+2348031119997" if ng_like else "+221771119997")
        client = Client(HTTP_HOST=domain)
        return {"customer": login(client, f"attacker@{domain}")["access"],
                "finance": login(client, f"finance@{domain}")["access"],
                "admin": login(client, f"operator-admin@{domain}")["access"]}

    return make
