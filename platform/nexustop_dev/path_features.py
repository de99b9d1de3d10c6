"""The CPU per purchase of each priced feature of the purchase path (``bench_purchases --features``, issue 18).

Whole purchases, in-process, through the real services: ``purchase_create`` (the acceptance) for buyers that
differ by one feature only, then the dispatcher's settlement of their orders (claim, provider call, then
``settle_batch`` metered alone), and the CPU of this process and of its PostgreSQL backend per purchase:

* **customer**: a customer of the country operation (one ``purchase_accept`` call; the set-based settlement);
* **agent**: a selling agent under a parent agent (2-level chain, commission tiers on both levels): the quote
  carries commission lines, the acceptance runs in two stages (the agent's velocity count in Python), the
  settlement is the set-based one with the batch's commissions posted in one statement (the agents' wallets
  opened by an earlier sale);
* **reseller customer**: a customer of a reseller brand under the operation: the float is checked before and
  held in the acceptance, drawn in the settlement (two schemas, one transaction each);
* **velocity rule**: a customer while one per-user velocity rule is active (acceptance only: the risk gate).

Buyers, agents and the float are made by the services (users, ``fund_wallet``, ``add_agent``, ``fund_agent``,
``fund_float``), fresh per run (unique emails), so no limit of an earlier run's buyers is in the way. The
scenarios run interleaved in blocks (each block of one scenario, then the next...), so a change of load on the
shared machine falls on all of them alike. Every order is settled before the end (none is left for a
dispatcher), and the ledgers and the float are reconciled.
"""

from __future__ import annotations

import math
import resource
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from nexustop_dev.cpu_meter import process_cpu

ROUNDS = 5  # each scenario's purchases in this many blocks, the scenarios' blocks interleaved
PURCHASES_PER_BUYER = 50  # under an agent's default 60 sales/hour and a tier-0 buyer's daily KYC amount
AMOUNT_MINOR = 5_000  # the drive's purchase: 50.00 of airtime
VELOCITY_RULE = "bench-feature velocity"


def app_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


@dataclass
class Cost:
    """CPU seconds of this process and of its PostgreSQL backend over ``count`` purchases."""

    app: float = 0.0
    db: float = 0.0
    count: int = 0

    def ms(self) -> tuple[float, float]:
        """(app, PostgreSQL) ms per purchase."""
        n = max(self.count, 1)
        return self.app * 1000 / n, self.db * 1000 / n


@contextmanager
def metered(cost: Cost, backend: int) -> Iterator[None]:
    app, db = app_cpu(), process_cpu(backend)
    try:
        yield
    finally:
        cost.app += app_cpu() - app
        cost.db += process_cpu(backend) - db


@dataclass
class Scenario:
    """Buyers that differ from the customer baseline by one feature, in their tenant."""

    name: str
    tenant: Any
    buyers: list
    velocity_rule: bool = False
    acceptance: Cost = field(default_factory=Cost)
    settlement: Cost = field(default_factory=Cost)
    held: list[int] = field(default_factory=list)  # accepted, not settled yet
    orders: list[int] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)


# --- setup (services only) ---------------------------------------------------------------------------

def _new_user(*, role: str, label: str, run: str):
    from tenant_apps.accounts.models import User

    return User.objects.create_user(email=f"feature-{label}-{run}-{uuid.uuid4().hex[:6]}@example.test", role=role,
                                    phone=f"+23480{uuid.uuid4().int % 10**8:08d}", phone_verified_at=timezone.now())


def customers(*, tenant, count: int, run: str, label: str, funds_minor: int) -> list:
    """``count`` funded customers of ``tenant``."""
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    buyers = []
    with tenant_context(tenant):
        for index in range(count):
            user = _new_user(role="customer", label=f"{label}{index}", run=run)
            fund_wallet(wallet=wallet_for(user=user), amount=funds_minor, reference=f"feature-{run}-{label}-{index}")
            buyers.append(user)
    return buyers


def agents(*, tenant, count: int, run: str, funds_minor: int) -> list:
    """``count`` selling agents under one parent agent (levels 1 and 2 of a chain), funded down the tree
    (the operator admin funds the parent, the parent each seller: ``fund_agent``); commission tiers on both
    levels (kept if the tenant has them)."""
    from tenant_apps.accounts.models import User
    from tenant_apps.agents.services import add_agent, fund_agent
    from tenant_apps.pricing.models import CommissionTier

    with tenant_context(tenant):
        for level, rate_bp in ((1, 100), (2, 50)):
            CommissionTier.objects.get_or_create(level=level, defaults={"rate_bp": rate_bp})  # signals: pricing
        admin = User.objects.filter(role="operator_admin", is_active=True).order_by("pk").first()
        if admin is None:
            raise LookupError(f"no operator admin in {tenant.schema_name} to fund the agents")
        parent = add_agent(user=_new_user(role="agent", label="parent", run=run), parent=None)
        fund_agent(funder=admin, agent=parent, amount_minor=funds_minor * count, reference=f"feature-{run}-parent")
        sellers = []
        for index in range(count):
            agent = add_agent(user=_new_user(role="agent", label=f"agent{index}", run=run), parent=parent)
            fund_agent(funder=parent.user, agent=agent, amount_minor=funds_minor,
                       reference=f"feature-{run}-agent-{index}")
            sellers.append(agent.user)
    return sellers


def reseller_brand(*, parent) -> Any:
    """A reseller brand under ``parent``: its first one, else one provisioned as an approval does (tenant, float
    opened at the parent); kept for later runs."""
    from tenant_apps.agents.floats import open_float
    from tenant_apps.agents.onboarding import reseller_domain
    from tenants.connection import tenant_connection
    from tenants.models import Tenant, TenantKind
    from tenants.services import tenant_provision

    reseller = Tenant.objects.select_related("parent").filter(parent=parent, kind=TenantKind.RESELLER_BRAND) \
        .order_by("pk").first()
    if reseller is None:
        subdomain = f"{parent.schema_name.replace('_', '')}rs"
        tenant_provision(kind=TenantKind.RESELLER_BRAND, country=parent.country, name=f"Bench reseller {subdomain}",
                         domain=reseller_domain(parent=parent, subdomain=subdomain),
                         admin_email=f"admin@{subdomain}.localhost", admin_password=uuid.uuid4().hex,
                         parent=parent, schema_name=f"{parent.schema_name}_rs")
        tenant_connection().set_schema_to_public()
        reseller = Tenant.objects.select_related("parent").get(schema_name=f"{parent.schema_name}_rs")
    open_float(reseller=reseller)
    return reseller


def _velocity_rule(tenant, on: bool) -> None:
    """One per-user velocity rule (``risk_rule_sets``' first, never firing) on or off; the rule cache refilled
    outside the measurement."""
    from nexustop_dev.risk_rule_sets import RULE_SETS
    from tenant_apps.risk import engine
    from tenant_apps.risk.models import RiskRule
    from tenant_apps.risk.services import clean_rule

    with tenant_context(tenant):
        RiskRule.objects.filter(name=VELOCITY_RULE).delete()
        if on:
            RiskRule.objects.create(**clean_rule({"name": VELOCITY_RULE, **RULE_SETS["one"][0]}))
        engine.active_rules()


# --- measurement ------------------------------------------------------------------------------------

class PathFeatures:
    """Set up the scenarios, accept ``iterations`` purchases for each, settle them all, report."""

    def __init__(self, *, tenant, product_id: int, iterations: int, batch: int, run: str | None = None) -> None:
        self.tenant, self.product_id, self.iterations, self.batch = tenant, product_id, iterations, max(batch, 1)
        self.run = run or uuid.uuid4().hex[:8]
        self.backend = backend_pid()
        # Recipients unique to this run (an MTN prefix the drive does not use): no duplicate-guard refusal.
        self._phone_base = uuid.uuid4().int % 9_000_000
        self._phones = 0
        self.reseller: Any = None
        self.began = time.monotonic()
        self.scenarios: dict[str, Scenario] = {}

    def setup(self) -> None:
        self.began = time.monotonic()
        count = math.ceil(self.iterations / PURCHASES_PER_BUYER)
        funds = PURCHASES_PER_BUYER * AMOUNT_MINOR * 3  # prices are above face value; room to spare
        self.reseller = reseller_brand(parent=self.tenant)
        from tenant_apps.agents.floats import fund_float

        fund_float(reseller=self.reseller, amount_minor=self.iterations * AMOUNT_MINOR * 2,
                   reference=f"feature-float-{self.run}")
        self.scenarios = {
            "customer": Scenario("customer", self.tenant, customers(tenant=self.tenant, count=count, run=self.run,
                                                                    label="c", funds_minor=funds)),
            "agent": Scenario("agent", self.tenant, agents(tenant=self.tenant, count=count, run=self.run,
                                                           funds_minor=funds)),
            "reseller": Scenario("reseller", self.reseller, customers(tenant=self.reseller, count=count,
                                                                      run=self.run, label="r", funds_minor=funds)),
            "velocity": Scenario("velocity", self.tenant, customers(tenant=self.tenant, count=count, run=self.run,
                                                                    label="v", funds_minor=funds),
                                 velocity_rule=True),
        }

    def _phone(self) -> str:
        self._phones += 1
        number = (self._phone_base + self._phones) % 10_000_000
        if number % 10_000 // 10 == 999:  # the simulators' fault suffixes (9990-9998)
            number -= 10
        return f"0816{number:07d}"

    def _accept(self, scenario: Scenario, count: int) -> None:
        from tenant_apps.orders.services.create import purchase_create

        buyers = scenario.buyers
        with tenant_context(scenario.tenant):
            phones = [self._phone() for _ in range(count)]
            with metered(scenario.acceptance, self.backend):
                for index, phone in enumerate(phones):
                    order = purchase_create(user=buyers[(scenario.acceptance.count + index) % len(buyers)],
                                            product_id=self.product_id, recipient_phone=phone,
                                            amount_minor=AMOUNT_MINOR)
                    scenario.held.append(order.pk)
            scenario.acceptance.count += count

    def _settle(self, scenario: Scenario) -> None:
        """One batch as the dispatcher does it: claim, provider calls, then ``settle_batch`` (metered)."""
        from tenant_apps.orders.dispatch.batch import _calls, run_coroutine
        from tenant_apps.orders.dispatch.claims import claim_batch
        from tenant_apps.orders.dispatch.settle import settle_batch

        ids, scenario.held = scenario.held[:self.batch], scenario.held[self.batch:]
        with tenant_context(scenario.tenant):
            claim = claim_batch(limit=len(ids), lease_seconds=settings.ORDERS_DISPATCH_LEASE_SECONDS, order_ids=ids)
            if not claim.items:
                return
            run_coroutine(_calls(claim.items))
            with metered(scenario.settlement, self.backend):
                done = settle_batch(claim.items)
        settled = [order for order in done.values() if order is not None and order.status == "settled"]
        scenario.settlement.count += len(settled)
        scenario.orders += [item.order.pk for item in claim.items]

    def measure(self) -> None:
        """One purchase per scenario accepted and settled unmetered (imports, per-process caches, prepared
        statements warm), then the acceptances in interleaved blocks, then every order settled in interleaved
        batches (also when an acceptance raised: nothing is left held)."""
        order = list(self.scenarios.values())
        block = max(10, math.ceil(self.iterations / ROUNDS))
        try:
            for scenario in order:
                if scenario.velocity_rule:
                    _velocity_rule(scenario.tenant, True)
                try:
                    self._accept(scenario, 1)
                finally:
                    if scenario.velocity_rule:
                        _velocity_rule(scenario.tenant, False)
                self._settle(scenario)
                scenario.acceptance, scenario.settlement = Cost(), Cost()
            for done in range(0, self.iterations, block):
                for scenario in order:
                    if scenario.velocity_rule:
                        _velocity_rule(scenario.tenant, True)
                    try:
                        self._accept(scenario, min(block, self.iterations - done))
                    finally:
                        if scenario.velocity_rule:
                            _velocity_rule(scenario.tenant, False)
        finally:
            while any(scenario.held for scenario in order):
                for scenario in order:
                    if scenario.held:
                        self._settle(scenario)
            self._statuses()

    def _statuses(self) -> None:
        from tenant_apps.orders.models import Order

        for scenario in self.scenarios.values():
            with tenant_context(scenario.tenant):
                scenario.statuses = {}
                for status in Order.objects.filter(pk__in=scenario.orders).values_list("status", flat=True):
                    scenario.statuses[status] = scenario.statuses.get(status, 0) + 1

    def books(self) -> list[str]:
        """What disagrees after the run: both ledgers, the reseller's float against its mirror."""
        from tenant_apps.agents.floats import reconcile_reseller_floats
        from tenant_apps.wallet.services import reconcile_ledgers

        problems = [f"ledger {schema}: {item}" for schema, items in
                    reconcile_ledgers(schema_names=[self.tenant.schema_name, self.reseller.schema_name]).items()
                    for item in items]
        problems += [f"float: {problem}" for problem in reconcile_reseller_floats()
                     if problem.get("reseller") == self.reseller.schema_name]
        return problems

    def report(self, write: Callable[[str], None]) -> None:
        base = self.scenarios["customer"]
        (acc_app, acc_db), (set_app, set_db) = base.acceptance.ms(), base.settlement.ms()
        write(f"feature customer purchase (the baseline, {base.acceptance.count} purchases): acceptance "
              f"(purchase_create) {acc_app:.2f} ms app + {acc_db:.2f} ms PostgreSQL, settlement (settle_batch, "
              f"batches of {self.batch}) {set_app:.2f} ms app + {set_db:.2f} ms PostgreSQL per purchase")

        def delta(label: str, key: str, side: str, note: str) -> None:
            cost, ref = getattr(self.scenarios[key], side), getattr(base, side)
            (app, db), (ref_app, ref_db) = cost.ms(), ref.ms()
            write(f"feature {label} ({side}): {app - ref_app:+.2f} ms app + {db - ref_db:.2f} ms PostgreSQL per "
                  f"purchase over a customer's ({app:.2f} + {db:.2f} ms; {note})")

        delta("agent commissions", "agent", "acceptance", "2-level agent chain, the one purchase_accept "
              "call, then the agent's velocity count")
        delta("agent commissions", "agent", "settlement", "set-based, the batch's commissions in one statement")
        delta("reseller float", "reseller", "acceptance", "customer of a reseller brand: float checked, then held "
              "at the parent after the one purchase_accept call")
        delta("reseller float", "reseller", "settlement",
              "set-based, the float holds settled whole at the parent in one statement")
        delta("velocity rule", "velocity", "acceptance", "one per-user velocity_count rule active vs none, "
              "two stages; every rule type: manage.py bench_risk, end to end: bench_purchases --risk-rules")
        statuses: dict[str, int] = {}
        for scenario in self.scenarios.values():
            for status, count in scenario.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        problems = self.books()
        write(f"features' orders: {statuses} (tenants {self.tenant.schema_name} and {self.reseller.schema_name}, "
              f"{time.monotonic() - self.began:.1f} s with the setup); books: "
              f"{'; '.join(problems) if problems else 'both ledgers balanced, the float agrees with its mirror'}")
