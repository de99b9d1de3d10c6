"""``manage.py bench_ledger``: postings per second through the service layer, beside pgbench.

Each transfer is one journal entry with three postings (source wallet, destination
wallet, fee to the fees system account). Modes:

* ``derived`` (what the ledger does): the fees account has no cached balance;
  posting to it is an INSERT, so concurrent transfers never wait on it.
* ``hot`` (the design we rejected): the same, plus ``UPDATE`` of one cached
  balance row for the fees account in every transaction, which every transfer
  has to lock until it commits.

pgbench runs the same SQL shape (entry INSERT ... ON CONFLICT, conditional wallet
UPDATEs in id order, one multi-row postings INSERT, the deferred balance check at
COMMIT) against the same database, so the ratio shows the service layer's cost.
Bench data are committed in the chosen schema under references ``bench-<run>-...``.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import tempfile
import threading
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django_tenants.utils import schema_context

from nexustop_dev.replay import pgbench_binary
from tenant_apps.accounts.models import User
from tenant_apps.ledger.models import Account, AccountKind
from tenant_apps.ledger.services import fund_wallet, system_account, transfer

POSTINGS_PER_TRANSFER = 3

PGBENCH_SCRIPT = """\\set src random(:wmin, :wmax)
\\set dst :wmin + ((:src - :wmin + random(1, :n - 1)) % :n)
\\set amt random(1, 100)
BEGIN;
{hot}INSERT INTO ledger_journalentry (entry_type, reference, metadata, created_at)
  VALUES ('bench_pgbench', 'pgb-' || gen_random_uuid()::text, '{{}}'::jsonb, now())
  ON CONFLICT (entry_type, reference) DO NOTHING RETURNING id AS entry_id \\gset
\\if :src < :dst
UPDATE ledger_account SET balance = balance - (:amt + 1)
  WHERE id = :src AND balance - (:amt + 1) >= 0 RETURNING balance;
UPDATE ledger_account SET balance = balance + :amt WHERE id = :dst AND balance + :amt >= 0 RETURNING balance;
\\else
UPDATE ledger_account SET balance = balance + :amt WHERE id = :dst AND balance + :amt >= 0 RETURNING balance;
UPDATE ledger_account SET balance = balance - (:amt + 1)
  WHERE id = :src AND balance - (:amt + 1) >= 0 RETURNING balance;
\\endif
INSERT INTO ledger_posting (entry_id, account_id, amount, currency)
  VALUES (:entry_id, :src, -(:amt + 1), '{currency}'), (:entry_id, :dst, :amt, '{currency}'),
         (:entry_id, :fees, 1, '{currency}') RETURNING id;
COMMIT;
"""


def _pgbench_binary() -> str:
    try:
        return pgbench_binary()
    except RuntimeError as error:
        raise CommandError(str(error)) from error


class Command(BaseCommand):
    help = "Post transfers as fast as possible through the ledger services and compare with pgbench."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", default="ng")
        parser.add_argument("--seconds", type=float, default=10.0)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--wallets", type=int, default=200)
        parser.add_argument("--modes", default="derived,hot", help="comma list of: derived, hot")
        parser.add_argument("--no-pgbench", action="store_true")
        parser.add_argument("--limit-set-calls", action="store_true",
                            help="set TENANT_LIMIT_SET_CALLS (one SET search_path per connection, not per cursor)")

    def handle(self, *args, limit_set_calls=False, **options) -> None:
        if limit_set_calls:
            from django.test.utils import override_settings

            with override_settings(TENANT_LIMIT_SET_CALLS=True):
                return self._run(**options)
        return self._run(**options)

    def _run(self, *, schema, seconds, threads, wallets, modes, no_pgbench, **options) -> None:
        modes_list = [m.strip() for m in modes.split(",") if m.strip()]
        if not set(modes_list) <= {"derived", "hot"} or wallets < 2:
            raise CommandError("modes: derived, hot; wallets >= 2")
        run = uuid.uuid4().hex[:8]
        with schema_context(schema):
            wallet_ids, fees, currency = self._prepare(run, wallets)
            self._create_hot_table()
        results = []
        try:
            for mode in modes_list:
                service = self._bench_service(schema, run, mode, wallet_ids, seconds, threads)
                row = {"mode": mode, "service": service, "pgbench": None}
                if not no_pgbench:
                    row["pgbench"] = self._bench_pgbench(schema, mode, wallet_ids, fees, currency, seconds, threads)
                results.append(row)
        finally:
            with schema_context(schema), connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS bench_hot_balance")
        limited = bool(getattr(settings, "TENANT_LIMIT_SET_CALLS", False))
        self.stdout.write(f"ledger bench: schema={schema} threads={threads} seconds={seconds:g} "
                          f"wallets={wallets} postings/transfer={POSTINGS_PER_TRANSFER} "
                          f"TENANT_LIMIT_SET_CALLS={limited}")
        self.stdout.write(f"{'mode':<8} {'service postings/s':>19} {'pgbench postings/s':>19} {'ratio':>7}")
        for row in results:
            pg = row["pgbench"]
            ratio = f"{row['service'] / pg:.2f}" if pg else "-"
            self.stdout.write(f"{row['mode']:<8} {row['service']:>19.0f} {pg or 0:>19.0f} {ratio:>7}")

    def _prepare(self, run: str, count: int) -> tuple[list[int], int, str]:
        from tenant_apps.ledger.currency import tenant_currency

        currency = tenant_currency().code
        users = User.objects.bulk_create([User(email=f"bench-{run}-{i}@bench.invalid") for i in range(count)])
        accounts = Account.objects.bulk_create(
            [Account(kind=AccountKind.USER_WALLET, owner=u, currency=currency, balance=0) for u in users])
        ids = sorted(a.pk for a in accounts)
        if ids[-1] - ids[0] + 1 != len(ids):
            raise CommandError("bench wallets did not get contiguous ids (concurrent writers?); run again")
        for account in accounts:
            fund_wallet(wallet=account, amount=10**12, reference=f"bench-{run}-fund-{account.pk}")
        fees = system_account(kind=AccountKind.FEES, currency=currency)
        return ids, fees.pk, currency

    def _create_hot_table(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_hot_balance")
            cursor.execute("CREATE TABLE bench_hot_balance (id int PRIMARY KEY, balance bigint NOT NULL)")
            cursor.execute("INSERT INTO bench_hot_balance VALUES (1, 0)")

    def _bench_service(self, schema: str, run: str, mode: str, wallet_ids: list[int], seconds: float,
                       threads: int) -> float:
        counts = [0] * threads
        errors: list[BaseException] = []
        barrier = threading.Barrier(threads + 1)
        stop = threading.Event()

        def worker(index: int) -> None:
            rng = random.Random(index)
            try:
                with schema_context(schema):
                    wallets = list(Account.objects.filter(pk__in=wallet_ids))
                    barrier.wait(timeout=120)
                    n = 0
                    while not stop.is_set():
                        source, destination = rng.sample(wallets, 2)
                        with transaction.atomic():
                            if mode == "hot":
                                with connection.cursor() as cursor:
                                    cursor.execute("UPDATE bench_hot_balance SET balance = balance + 1 "
                                                   "WHERE id = 1")
                            transfer(source=source, destination=destination, amount=rng.randint(1, 100), fee=1,
                                     reference=f"bench-{run}-{mode}-{index}-{n}")
                        n += 1
                    counts[index] = n
            except BaseException as exc:
                errors.append(exc)
                stop.set()
                barrier.abort()
            finally:
                connection.close()

        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        try:
            barrier.wait(timeout=120)
        except threading.BrokenBarrierError:
            stop.set()
        started = time.perf_counter()
        stop.wait(seconds)
        stop.set()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise CommandError(f"bench worker failed: {errors[0]!r}")
        return sum(counts) * POSTINGS_PER_TRANSFER / elapsed

    def _bench_pgbench(self, schema: str, mode: str, wallet_ids: list[int], fees: int, currency: str,
                       seconds: float, threads: int) -> float:
        hot = "UPDATE bench_hot_balance SET balance = balance + 1 WHERE id = 1;\n" if mode == "hot" else ""
        db = settings.DATABASES["default"]
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
            script.write(PGBENCH_SCRIPT.format(hot=hot, currency=currency))
        env = dict(os.environ, PGOPTIONS=f"-c search_path={schema},public")
        if db.get("PASSWORD"):
            env["PGPASSWORD"] = db["PASSWORD"]
        command = [
            _pgbench_binary(), "-n", "-f", script.name, "-c", str(threads), "-j", str(threads),
            "-T", str(max(1, round(seconds))), "-D", f"wmin={wallet_ids[0]}", "-D", f"wmax={wallet_ids[-1]}",
            "-D", f"n={len(wallet_ids)}", "-D", f"fees={fees}",
            "-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db["USER"], db["NAME"],
        ]
        try:
            result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)
        finally:
            os.unlink(script.name)
        match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
        if result.returncode != 0 or not match or (failed and int(failed.group(1))):
            raise CommandError(f"pgbench failed:\n{result.stdout}\n{result.stderr}")
        return float(match.group(1)) * POSTINGS_PER_TRANSFER
