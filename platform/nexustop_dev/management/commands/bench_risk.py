"""``manage.py bench_risk``: what the risk gate adds to one purchase, in statements and CPU.

In-process, against a bench tenant (``--schema``, provisioned like ``bench_purchases`` on first use) holding
``--history`` past decisions of ``--users`` customers (recipients, devices, IPs, products spread over two
days: the partial indexes have real work). For each rule set — none, one per-user velocity rule, and one rule
of every type and scope (``EVERY_RULE``) — it screens ``--iterations`` purchases, each in its own committed
transaction, exactly as ``purchase_create`` calls the gate, and prints per purchase: SQL statements, wall
time p50/p99, this process's CPU and the PostgreSQL backend's CPU (``/proc``). The baseline row is what the
purchase path did before the gate: ``kyc_reserve`` alone (the buyer's row lock, the KYC read, the spend row).

Needs a migrated database (``manage.py migrate_schemas --shared``) named by DATABASE_URL.
"""

from __future__ import annotations

import resource
import statistics
import time
import uuid
from collections.abc import Callable

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from nexustop_dev.risk_rule_sets import EVERY_RULE, RULE_SETS  # noqa: F401 (bench_risk.RULE_SETS, as documented)


def _backend_cpu() -> float:
    from nexustop_dev.management.commands.bench_purchases import _proc_cpu

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return _proc_cpu(cursor.fetchone()[0])


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Command(BaseCommand):
    help = "Measure the risk gate's cost per purchase (statements, wall time, CPU) with no rule, one, and all types."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", default="benchng")
        parser.add_argument("--iterations", type=int, default=400)
        parser.add_argument("--users", type=int, default=200)
        parser.add_argument("--history", type=int, default=50_000, help="past decisions to seed (once per schema)")

    def handle(self, *args, **opts) -> None:
        from nexustop_dev.management.commands.bench_purchases import Command as PurchaseBench

        PurchaseBench()._tenant(opts["schema"])
        with schema_context(opts["schema"]):
            users = self._users(opts["users"])
            self._seed(users, opts["history"])
            baseline = self._measure("kyc_reserve alone (before the gate)", users, opts["iterations"],
                                     lambda user, n: self._kyc_only(user, n))
            rows = [baseline]
            for label, rules in RULE_SETS.items():
                self._rules(rules)
                rows.append(self._measure(f"gate, {label} rules ({len(rules)})", users, opts["iterations"],
                                          lambda user, n: self._gate(user, n)))
            self._rules([])
        out = self.stdout.write
        out(f"{opts['iterations']} purchases per row, {opts['users']} buyers, history {opts['history']} decisions, "
            f"schema {opts['schema']}")
        out(f"{'':<40} {'statements':>10} {'wall p50':>9} {'wall p99':>9} {'CPU app':>8} {'CPU pg':>8}")
        for label, statements, p50, p99, app, pg in rows:
            out(f"{label:<40} {statements:>10.1f} {p50:>7.2f}ms {p99:>7.2f}ms {app:>6.2f}ms {pg:>6.2f}ms")
        for label, statements, p50, _p99, app, pg in rows[1:]:
            out(f"added by the risk engine, {label.split(', ')[1]}: {statements - baseline[1]:+.1f} statements, "
                f"{p50 - baseline[2]:+.2f} ms wall (p50), {app - baseline[4]:+.2f} ms app CPU, "
                f"{pg - baseline[5]:+.2f} ms PostgreSQL CPU per purchase")

    # --- data ---------------------------------------------------------------------------------------
    def _users(self, count: int) -> list:
        from tenant_apps.accounts.models import User

        users = list(User.objects.filter(email__startswith="bench-risk-").order_by("id")[:count])
        for _index in range(len(users), count):
            users.append(User.objects.create_user(
                email=f"bench-risk-{uuid.uuid4().hex[:10]}@example.test", role="customer",
                phone=f"+234803{uuid.uuid4().int % 10**7:07d}", phone_verified_at=timezone.now()))
        return users

    def _seed(self, users: list, rows: int) -> None:
        from tenant_apps.risk.models import RiskDecision

        have = RiskDecision.objects.filter(reference__startswith="bench-seed:").count()
        if have >= rows:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO risk_riskdecision (public_id, user_id, flow, product_type, product_id, amount_minor,"
                " currency, recipient_hash, recipient_new, recipient_label, device_hash, ip, channel, reference,"
                " subject_type, subject_id, outcome, rule_name, reason, stepped_up, counted, completed_at,"
                " review_status, review_note, created_at) "
                "SELECT gen_random_uuid(), (%s::bigint[])[1 + n %% %s],"
                " (ARRAY['purchase','p2p','bank_payout','funding'])[1 + n %% 4], 'airtime', n %% 300, 1000 + n,"
                " 'NGN', md5('r' || (n %% 5000)::text), n %% 3 = 0, '', md5('d' || (n %% 3000)::text),"
                " ('10.' || (n %% 250)::text || '.' || (n %% 7)::text || '.1')::inet, 'api', 'bench-seed:' || n, '',"
                " '', 'allow', '', '', '', true, CASE WHEN n %% 4 = 3 THEN now() - (n || ' seconds')::interval END,"
                " '', '', now() - ((n::bigint * 172800 / %s) || ' seconds')::interval"
                " FROM generate_series(%s, %s) AS n",
                [[user.pk for user in users], len(users), rows, have + 1, rows])
            cursor.execute("ANALYZE risk_riskdecision")

    def _rules(self, rules: list[dict]) -> None:
        from tenant_apps.risk.models import RiskRule
        from tenant_apps.risk.services import clean_rule

        RiskRule.objects.filter(name__startswith="bench-risk").delete()
        for number, fields in enumerate(rules):
            RiskRule.objects.create(**clean_rule({"name": f"bench-risk {number}", **fields}))

    # --- what is measured ------------------------------------------------------------------------------
    @staticmethod
    def _kyc_only(user, n: int) -> None:
        from tenant_apps.kyc.services import kyc_reserve

        kyc_reserve(user=user, amount_minor=100, currency="NGN", reference=f"bench-risk:{uuid.uuid4().hex}",
                    savepoint=False)

    @staticmethod
    def _gate(user, n: int) -> None:
        from tenant_apps.risk.gate import MoneyMove, screen
        from tenant_apps.risk.request_signals import RequestSignals, keyed_hash, reset_signals, set_signals

        token = set_signals(RequestSignals(channel="api", device_hash=keyed_hash(f"bench-device-{n % 3000}"),
                                           ip=f"10.{n % 250}.{n % 7}.1"))
        try:
            screen(MoneyMove(flow="purchase", user=user, amount_minor=100, currency="NGN",
                             reference=f"bench-risk:{uuid.uuid4().hex}", recipient=f"+234803{n % 5000:07d}",
                             product_id=n % 300, product_type="airtime", subject_type="order",
                             subject_id=str(uuid.uuid4())), savepoint=False)
        finally:
            reset_signals(token)

    def _measure(self, label: str, users: list, iterations: int,
                 body: Callable[[object, int], None]) -> tuple[str, float, float, float, float, float]:
        statements = [0]

        def count(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        walls: list[float] = []
        for warm in range(20):  # caches, connections
            with transaction.atomic():
                body(users[warm % len(users)], warm)
        pg_before, app_before = _backend_cpu(), _cpu()
        with connection.execute_wrapper(count):
            for n in range(iterations):
                started = time.perf_counter()
                with transaction.atomic():
                    body(users[n % len(users)], n)
                walls.append(time.perf_counter() - started)
        app, pg = _cpu() - app_before, _backend_cpu() - pg_before
        walls.sort()
        # BEGIN/COMMIT are not seen by the wrapper: +2 per purchase (the same in every row).
        return (label, statements[0] / iterations, statistics.median(walls) * 1000,
                walls[min(len(walls) - 1, int(0.99 * len(walls)))] * 1000, app * 1000 / iterations,
                pg * 1000 / iterations)
