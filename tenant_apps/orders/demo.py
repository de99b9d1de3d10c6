"""`make run`: 30 days of life in every demo tenant, so every chart of the back office and console tells a story.

Everything goes THROUGH THE SERVICES, as a customer's day would: wallet fundings through the gateway
simulators (``wallet.funding.funding_start``, the payment completed at the simulator, verified and
credited by the funding poll), purchases (``orders.services.purchase_create`` then the real submit to
the VTPass/MTN/aggregator simulators: holds, settlements, refunds, reseller floats and agent commissions
all posted by the code that posts them in production), P2P transfers (``wallet.transfers.p2p_transfer``).
So the books balance by construction (``manage.py reconcile_ledger`` passes afterwards).

Time: each event happens at its own moment of the last 30 days (freezegun moves the clock; every row,
journal entry and KYC spend is dated by the code itself). The story: sales grow over the month, weekends
are busier, airtime leads, data follows, Nigerians pay some bills, a provider outage 6 days ago refunded
a third of that day's orders, and a few sales fail every day.

Idempotent: every order has a dedupe key ``demo:<date>:<n>`` (``purchase_create`` returns the existing
order), a day whose last order exists is skipped whole, and fundings and transfers are made once per
customer and day. Running it again the same day only adds what the clock has reached since; on a later
day it adds the days since. Fast: each purchase is sent and settled in this process (``order_submit``: the
dispatcher's steps), Celery runs eagerly (no broker round trips), SMS are off, the simulators are
in-process; the figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import requests
from django.conf import settings
from django.db import connections, transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

DAYS = 30
DEMO_HOST = "127.0.0.1"
CUSTOMERS = 8
# Orders per day at the end of the month (they grow from ~55 % of it), per demo tenant.
DAILY_ORDERS = {"ng": 6, "quickvend": 2, "gh": 2, "sn": 2}
OUTAGE_DAYS_AGO = 6  # the day a provider failed a third of Nigeria's orders (refunded)
AIRTIME = {"NGN": (100, 200, 200, 500, 500, 1000, 1500), "GHS": (2, 5, 5, 10, 20), "XOF": (500, 1000, 1000, 2000, 5000)}
# Major units (the unverified tier's limits cap them: kyc_balance_room).
FUNDING = {"NGN": 5_000, "GHS": 200, "XOF": 25_000, "GNF": 300_000, "GMD": 2_000, "LRD": 5_000}
# The customers' top-ups: these where named, else the country's first gateway of the demo (tenant_apps.wallet.demo:
# a mobile-money rail outside Nigeria, Ghana and Senegal; Orange Money in Guinea-Bissau and Sierra Leone); a
# country with none (Cabo Verde, Mauritania: agents' cash only) has no funding history of its own.
FUNDING_GATEWAY = {"NG": "paystack", "GH": "paystack", "SN": "wave"}


# Among a country's gateways, the one whose checkout the history completes first (the simulators' control
# endpoint approves a payment of any of them; these settle at once).
GATEWAY_PREFERENCE = ("wave", "mtn_momo", "airtel_money", "cinetpay", "orange_money", "flutterwave")


def funding_gateway(country: str) -> str | None:
    from tenant_apps.wallet.demo import DEMO_GATEWAYS

    if country in FUNDING_GATEWAY:
        return FUNDING_GATEWAY[country]
    there = {key for code, key, _ in DEMO_GATEWAYS if code == country}
    return next((key for key in GATEWAY_PREFERENCE if key in there), None)


# The providers the demo sells through (shared_apps.providers.demo: VTPass, Reloadly, DT One) and every funding
# gateway above (tests/providers/test_demo_seed.py keeps the lists together).
SIMULATORS = ("vtpass", "aggregator", "dtone", "paystack", "wave", "mtn_momo", "cinetpay", "orange_money",
              "airtel_money", "flutterwave")


@dataclass
class Tally:
    orders: int = 0
    refunded: int = 0
    fundings: int = 0
    transfers: int = 0
    skipped: Counter = field(default_factory=Counter)  # why something did not happen (a limit, the wallet...)

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1


@contextlib.contextmanager
def _simulators():
    """The demo simulators on their demo ports (started here unless something already listens there)."""
    from provider_plugins.registry import get_plugin
    from provider_plugins.simulate import demo_ports
    from shared_apps.providers.demo import demo_port_free

    ports = demo_ports(getattr(settings, "PROVIDER_SIMULATOR_PORTS", None))
    # The seeding processes date their requests in the past (their clocks are moved); VTPass, like the real one,
    # refuses a request id dated another day unless told not to check, and a "likely duplicate" by its own clock.
    options = {"vtpass": {"check_request_id_date": False, "duplicate_window_seconds": 0}}
    started = []
    try:
        for key in SIMULATORS:
            plugin = get_plugin(key)
            if plugin.simulator is not None and demo_port_free(ports[key]):
                simulator_class = plugin.load_simulator()
                started.append(simulator_class(host=DEMO_HOST, port=ports[key], **options.get(key, {})).start())
        yield ports
    finally:
        for simulator in started:
            simulator.stop()


@contextlib.contextmanager
def _eager_celery():
    """Tasks run in this process at once (the submit after a purchase, the poll after a funding)."""
    from celery import current_app

    before = current_app.conf.task_always_eager, current_app.conf.task_eager_propagates
    current_app.conf.task_always_eager, current_app.conf.task_eager_propagates = True, False
    try:
        yield
    finally:
        current_app.conf.task_always_eager, current_app.conf.task_eager_propagates = before


@contextlib.contextmanager
def _fast_freezegun():
    """freezegun inspects the call stack on every clock read when its ignore list is not empty (slow under
    Django's deep stacks); nothing here needs the real time, so the list is emptied while seeding."""
    import freezegun
    from freezegun.config import settings as freezegun_settings

    before = list(freezegun_settings.default_ignore_list)
    freezegun.configure(default_ignore_list=[])
    try:
        yield
    finally:
        freezegun.configure(default_ignore_list=before)


def _number(adapter, network, rng: random.Random, suffix: str = "") -> str:
    """A valid mobile number of ``network`` (E.164), ending in ``suffix`` when given (simulator fault codes)."""
    import phonenumbers

    example = phonenumbers.example_number_for_type(adapter.code, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise ValueError(f"phonenumbers has no example mobile number for {adapter.code}")
    length = len(phonenumbers.national_significant_number(example))
    for _ in range(200):
        prefix = rng.choice(network.prefixes)
        middle = "".join(rng.choice("0123456789") for _ in range(max(length - len(prefix) - len(suffix), 0)))
        candidate = f"+{adapter.calling_code}{prefix}{middle}{suffix}"
        try:
            phone = adapter.normalize_phone(candidate)
        except Exception:  # noqa: S112 - not a valid number of this plan: try another
            continue
        if adapter.detect_network(phone) == network.key:
            return phone
    return ""


def _customers(tenant, adapter, rng: random.Random, password_hash: str, sold: set[str]) -> list:
    """The tenant's demo customers (made once), on the networks it sells airtime for. ``password_hash``: the
    demo password hashed once, not once per customer."""
    from tenant_apps.accounts.models import User

    domain = tenant.domains.filter(is_primary=True).values_list("domain", flat=True).first()
    networks = [network for network in adapter.numbering_plan.networks if network.prefixes and network.key in sold]
    networks = networks or [network for network in adapter.numbering_plan.networks if network.prefixes]
    people = []
    for n in range(1, CUSTOMERS + 1):
        email = f"demo-customer-{n:02d}@{domain}"
        user = User.objects.filter(email=email).first()
        if user is None:
            phone = ""
            while not phone or User.objects.filter(phone=phone).exists():
                phone = _number(adapter, networks[(n - 1) % min(len(networks), 3)], rng)
            user = User.objects.create_user(email=email, password=None, role="customer", phone=phone,
                                            phone_verified_at=timezone.now() - timedelta(days=DAYS + 1),
                                            email_verified_at=timezone.now() - timedelta(days=DAYS + 1),
                                            preferred_language=tenant.default_language)
            User.objects.filter(pk=user.pk).update(password=password_hash,
                                                   date_joined=timezone.now() - timedelta(days=DAYS + 1 - n))
        people.append(user)
    return people


def _seller_agent(tenant):
    from tenant_apps.accounts.models import User

    domain = tenant.domains.filter(is_primary=True).values_list("domain", flat=True).first()
    return User.objects.filter(email=f"cash-agent@{domain}", role="agent").first()


# A pending answer (DT One confirms asynchronously and calls back a web server that does not run while seeding) is
# asked again this many times, a few minutes apart in the history's clock, after the simulator's completion delay.
PENDING_REQUERIES = 6
SIMULATOR_COMPLETION_SECONDS = 0.1


def finish_pending(order_id: int, *, at: datetime, clock) -> str:
    """Bring a demo order the provider answered "pending" to its final state now, dated minutes after ``at``.

    What the requery task does in production, here and in the past (``order_ask_once``; a fail-over's next attempt
    is sent as the dispatcher would, ``order_submit``): left pending, the order was asked again by the first
    ``make run`` worker weeks later, when the simulator that took it no longer knew it, and refunded then, with an
    SMS about a month-old purchase and a seeding summary that no longer held. The last try is past the
    unknown-request grace, so an answer the provider never recorded decides (refund). Returns the order's status."""
    from tenant_apps.orders.models import Order, OrderStatus
    from tenant_apps.orders.services.requery import order_ask_once
    from tenant_apps.orders.services.submit import order_submit

    status = Order.objects.filter(pk=order_id).values_list("status", flat=True).first() or ""
    grace = timedelta(seconds=settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS)
    for attempt in range(PENDING_REQUERIES):
        if status not in (OrderStatus.PENDING, OrderStatus.HELD, OrderStatus.SUBMITTED, OrderStatus.FAILED):
            break
        last = attempt == PENDING_REQUERIES - 1
        clock.move_to(at + (grace + timedelta(minutes=1) if last else timedelta(minutes=2 * (attempt + 1))))
        if status == OrderStatus.PENDING:
            time.sleep(SIMULATOR_COMPLETION_SECONDS)  # the simulator's own (real-time) completion timer
            order = order_ask_once(order_id=order_id)
        else:  # a fail-over's next attempt, ready in the outbox
            order = order_submit(order_id=order_id)
        status = order.status if order is not None else ""
    return status


def finish_leftovers(clock) -> int:
    """Demo orders a seeding of an earlier version left pending: decided now, dated minutes after they were made
    (:func:`finish_pending`); returns how many."""
    from tenant_apps.orders.models import Order, OrderStatus

    leftovers = list(Order.objects.filter(dedupe_key__startswith="demo:", status=OrderStatus.PENDING)
                     .values_list("pk", "created_at"))
    for order_id, created_at in leftovers:
        finish_pending(order_id, at=created_at, clock=clock)
    return len(leftovers)


class Day:
    """One tenant's day: what happens and when, drawn from a generator seeded by (tenant, date)."""

    def __init__(self, *, tenant, adapter, pricer, day: date, today: date, now: datetime, people, agent,
                 ports, tally: Tally) -> None:
        self.tenant, self.adapter, self.pricer, self.day = tenant, adapter, pricer, day
        self.people, self.agent, self.ports, self.tally, self.now = people, agent, ports, tally, now
        self.rng = random.Random(f"{tenant.schema_name}:{day.isoformat()}")
        self.currency = adapter.currency_info.code
        self.scale = 10 ** int(adapter.minor_unit)
        offset = (today - day).days
        growth = 0.55 + 0.45 * (DAYS - 1 - offset) / (DAYS - 1)
        weekend = 1.35 if day.weekday() >= 5 else 1.0
        base = DAILY_ORDERS.get(tenant.schema_name, 3)
        self.count = max(1, round(base * growth * weekend * self.rng.uniform(0.8, 1.2)))
        self.fail_rate = 0.35 if offset == OUTAGE_DAYS_AGO and tenant.schema_name == "ng" else 0.04
        start = datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())
        self.moments = sorted(start + timedelta(minutes=self.rng.randint(7 * 60, 22 * 60)) for _ in range(self.count))

    def key(self, n: int) -> str:
        return f"demo:{self.day.isoformat()}:{n}"

    # --- money in ---------------------------------------------------------------------------------
    def fund(self, user, at: datetime, clock) -> None:
        from tenant_apps.kyc.selectors import kyc_balance_room
        from tenant_apps.wallet.funding import funding_start
        from tenant_apps.wallet.models import FundingIntent
        from tenant_apps.wallet.views import NOTIFY_PATHS

        if FundingIntent.objects.filter(user=user, created_at__date=self.day).exists():
            return
        room = kyc_balance_room(user=user, currency=self.currency)
        amount = FUNDING.get(self.currency, 100) * self.scale
        if room.cap is not None:
            amount = min(amount, room.cap - room.holdings)
        amount -= amount % (5 * self.scale)  # whole units, a multiple of 5 (CinetPay refuses others), as people pay
        if amount <= 0:
            return
        gateway = funding_gateway(self.tenant.country)
        if gateway is None:
            self.tally.skip("funding:no_rail_in_this_country")
            return
        clock.move_to(at - timedelta(minutes=self.rng.randint(5, 40)))
        try:
            with transaction.atomic():
                site = f"http://{self.tenant.schema_name}.localhost:{getattr(settings, 'DEMO_WEB_PORT', 8000)}"
                notify = NOTIFY_PATHS.get(gateway)  # the rails that need a notification URL (CinetPay, MoMo, Orange)
                intent = funding_start(user=user, amount_minor=amount, currency=self.currency, gateway_key=gateway,
                                       callback_url=f"{site}/wallet/fund/return/",
                                       notify_url=f"{site}{notify}" if notify else "")
                # The customer pays on the checkout page (the simulator's control endpoint does what its page does).
                requests.post(f"http://{DEMO_HOST}:{self.ports[gateway]}/_simulator/complete/{intent.reference}",
                              json={"approve": True}, timeout=5)
            # On commit the funding poll (eager) verified the payment with the gateway and credited the wallet.
            self.tally.fundings += 1
        except Exception as error:  # a gateway not configured here: this customer keeps what they have
            self.tally.skip(f"funding:{getattr(error, 'code', type(error).__name__)}")

    # --- purchases ----------------------------------------------------------------------------------
    def pick(self, n: int):
        """(buyer, product, recipient, amount_minor, customer_number) for the day's n-th order."""
        from shared_apps.catalog.models import ProductType
        from tenant_apps.orders.routing import is_cross_network, operator_network

        rng = self.rng
        agent_sale = self.agent is not None and self.tenant.kind == "reseller_brand" and rng.random() < 0.6
        buyer = self.agent if agent_sale else rng.choice(self.people)
        networks = [network for network in self.adapter.numbering_plan.networks
                    if network.key in self.pricer.airtime]
        failing = rng.random() < self.fail_rate
        own = not agent_sale and rng.random() < 0.7 and not failing
        if own:
            recipient = buyer.phone
        else:
            network = rng.choice(networks) if networks else None
            recipient = _number(self.adapter, network, rng, suffix="9990" if failing else "") if network else ""
        network_key = self.adapter.detect_network(recipient) if recipient else ""
        roll = rng.random()
        bills = self.tenant.country == "NG" and not agent_sale
        if bills and roll > 0.9:
            kind = ProductType.ELECTRICITY if roll > 0.95 else ProductType.CABLE_TV
            from shared_apps.catalog.selectors import products_for_listing

            choices = [p for p in products_for_listing(country=self.tenant.country, product_type=kind)
                       if p.is_open_amount or (p.face_value_minor or 0) <= 5_000 * self.scale]
            if choices:
                product = rng.choice(choices)
                amount = rng.choice((1000, 2000, 3000)) * self.scale if product.is_open_amount else None
                meter = "".join(rng.choice("123456789") for _ in range(11 if kind == ProductType.ELECTRICITY else 10))
                return buyer, product, buyer.phone, amount, meter
        if roll < 0.38:
            bundles = [p for p in self.pricer.products.values() if p.product_type == ProductType.DATA
                       and not p.is_open_amount and not is_cross_network(p)
                       and operator_network(p.operator) == network_key
                       and (p.face_value_minor or 0) <= 3_000 * self.scale]
            if bundles:
                return buyer, rng.choice(sorted(bundles, key=lambda p: p.pk)), recipient, None, ""
        product = self.pricer.airtime.get(network_key) or self.pricer.any_network_airtime
        if product is None:
            return None
        amount = rng.choice(AIRTIME.get(self.currency, (10, 20, 50))) * self.scale
        amount = max(min(amount, product.max_amount_minor or amount), product.min_amount_minor or 0)
        return buyer, product, recipient, amount, ""

    def order(self, n: int, at: datetime, clock) -> None:
        from shared_apps.core.errors import ApiError
        from tenant_apps.ledger.services import wallet_for
        from tenant_apps.orders.services.create import purchase_create
        from tenant_apps.orders.services.submit import order_submit
        from tenant_apps.pricing.quotes import quote_price

        picked = self.pick(n)
        if picked is None or not picked[2]:
            self.tally.skip("no_product")
            return
        buyer, product, recipient, amount, customer_number = picked
        try:
            price = quote_price(product=product, amount_minor=amount, buyer=buyer,
                                pricing=self.pricer.pricing).price_minor
        except ApiError as error:
            self.tally.skip(f"quote:{error.code}")
            return
        if buyer.role != "agent" and wallet_for(user=buyer, currency=self.currency).wallet_balance < price:
            self.fund(buyer, at, clock)
        clock.move_to(at)
        try:
            with transaction.atomic():
                order = purchase_create(user=buyer, product_id=product.pk, recipient_phone=recipient,
                                        amount_minor=amount, customer_number=customer_number, confirm_duplicate=True,
                                        dedupe_key=self.key(n), source="demo")
        except ApiError as error:  # a limit, the wallet, the float: that customer did not buy this time
            self.tally.skip(f"purchase:{error.code}")
            return
        # The dispatcher's steps, here and now, against the simulator: settled, or refunded.
        order_submit(order_id=order.pk)
        finish_pending(order.pk, at=at, clock=clock)
        self.tally.orders += 1

    # --- P2P -----------------------------------------------------------------------------------------
    def transfer(self, at: datetime, clock) -> None:
        from shared_apps.core.errors import ApiError
        from tenant_apps.wallet.models import Transfer
        from tenant_apps.wallet.transfers import p2p_transfer

        if len(self.people) < 2 or self.rng.random() > 0.6:
            return
        sender, receiver = self.rng.sample(self.people, 2)
        if Transfer.objects.filter(sender=sender, created_at__date=self.day).exists():
            return
        amount = self.rng.choice((1, 2, 5)) * FUNDING.get(self.currency, 100) // 20 * self.scale
        clock.move_to(at)
        try:
            with transaction.atomic():
                p2p_transfer(sender=sender, recipient=receiver.phone, amount_minor=amount)
            self.tally.transfers += 1
        except ApiError as error:
            self.tally.skip(f"transfer:{error.code}")

    def run(self, done_keys: set[str], clock) -> None:
        if self.key(self.count - 1) in done_keys:
            return  # a day seeded before: nothing of it is made twice
        for n, at in enumerate(self.moments):
            if at > self.now:
                break  # today: only what the clock has reached
            if self.key(n) in done_keys:
                continue
            self.order(n, at, clock)
            if n == len(self.moments) // 2 and at <= self.now:
                self.transfer(at + timedelta(minutes=3), clock)


def _seed_tenants(domains: list[str], now: datetime, password_hash: str, ports: dict[str, int]) -> list[str]:
    """Seed the given demo tenants (in this process); one line per tenant with what was added."""
    from freezegun import freeze_time

    from countries.registry import get_adapter
    from tenant_apps.bulk.services import Pricer
    from tenant_apps.orders.models import Order
    from tenants.models import Domain

    today = timezone.localdate(now)
    lines = []
    # No SMS about the past; no per-statement SQL log (DEBUG's cursor wrapper records every query).
    quiet = override_settings(ORDERS_SMS_NOTIFICATIONS=False, WALLET_SMS_NOTIFICATIONS=False, DEBUG=False)
    try:
        with _eager_celery(), quiet, _fast_freezegun(), freeze_time(now, tick=True) as clock:
            for name in domains:
                domain = Domain.objects.select_related("tenant").filter(domain=name).first()
                if domain is None:
                    continue
                tenant = domain.tenant
                adapter = get_adapter(tenant.country)
                tally = Tally()
                with schema_context(tenant.schema_name):
                    rng = random.Random(f"people:{tenant.schema_name}")
                    clock.move_to(now - timedelta(days=DAYS + 1))
                    pricer = Pricer(user=None)
                    people = _customers(tenant, adapter, rng, password_hash, set(pricer.airtime))
                    agent = _seller_agent(tenant)
                    done = {key for key in Order.objects.filter(dedupe_key__startswith="demo:")
                            .values_list("dedupe_key", flat=True) if key is not None}
                    for offset in range(DAYS - 1, -1, -1):
                        Day(tenant=tenant, adapter=adapter, pricer=pricer, day=today - timedelta(days=offset),
                            today=today, now=now, people=people, agent=agent, ports=ports, tally=tally).run(done, clock)
                    finish_leftovers(clock)
                    clock.move_to(now)
                    refunded = Order.objects.filter(dedupe_key__startswith="demo:", status__in=("released", "reversed"))
                    tally.refunded = refunded.exclude(dedupe_key__in=done).count()
                lines.append(f"demo history {tenant.schema_name}: +{tally.orders} orders ({tally.refunded} refunded), "
                             f"+{tally.fundings} fundings, +{tally.transfers} transfers over {DAYS} days "
                             f"(customers demo-customer-01..{CUSTOMERS:02d}@{name})"
                             + (f"; not done: {dict(tally.skipped)}" if tally.skipped else ""))
    finally:
        connections.close_all()
    return lines


def _seed_group(args: tuple) -> list[str]:
    return _seed_tenants(*args)


def seed_demo_history(*, workers: int = 2) -> list[str]:
    """Seed the last 30 days in every demo tenant (idempotent); one line per tenant with what was added.

    The tenants are seeded by ``workers`` processes side by side (forked before the simulators' threads start;
    each process has its own database connection and clock); the biggest tenant alone, the others together.
    """
    import multiprocessing

    from django.contrib.auth.hashers import make_password

    from tenants.demo import DEMO_TENANTS, demo_password

    started, cpu_before = time.monotonic(), _cpu_seconds()
    now = timezone.now()
    password_hash = make_password(demo_password())
    domains = [spec.domain for spec in DEMO_TENANTS]
    groups = [domains[:1], domains[1:]] if workers > 1 and len(domains) > 1 else [domains]
    forking = len(groups) > 1 and "fork" in multiprocessing.get_all_start_methods()
    pool = None
    if forking:
        connections.close_all()  # each process opens its own connection
        pool = multiprocessing.get_context("fork").Pool(processes=len(groups))
    try:
        with _simulators() as ports:
            work = [(group, now, password_hash, ports) for group in groups]
            results = pool.map(_seed_group, work) if pool is not None else [_seed_group(item) for item in work]
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    lines = [line for result in results for line in result]
    lines.append(f"demo history seeded in {time.monotonic() - started:.1f} s ({len(groups)} process(es), "
                 f"{_cpu_seconds() - cpu_before:.1f} s of CPU in them)")
    return lines


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the seeding processes)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
