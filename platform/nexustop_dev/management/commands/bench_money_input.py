"""``manage.py bench_money_input``: what hostile input costs the money rule and the request guard.

Prints, per input, the best / median / worst time of ``--runs`` calls of
``provider_plugins.interfaces.money.to_minor`` (the rule every amount goes through), of
``wire.json_loads`` on a JSON body carrying it, and of the guard's nesting scan on the worst
bodies under the size limit. Issue 14 measured 31 s of CPU for ``"1e999990"`` before the rule.
"""

from __future__ import annotations

import statistics
import time
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand

from provider_plugins.interfaces.money import AmountError, to_minor
from provider_plugins.interfaces.wire import json_depth_exceeds, json_loads

AMOUNTS = {
    '"1500.50" (valid)': "1500.50",
    '"1e999990" (issue 14: 31 s)': "1e999990",
    '"1e999999999"': "1e999999999",
    '"1e400000" (issue 14: 4 s)': "1e400000",
    '"NaN"': "NaN",
    '"Infinity"': "Infinity",
    "10 MB of digits": "9" * 10_000_000,
    "10 MB of Arabic digits": "\u0661" * 10_000_000,
    '"1e" + 1 MB of digits': "1e" + "9" * 1_000_000,
    "Decimal('1E+999999999')": Decimal("1E+999999999"),
    "int 10**100000": 10**100_000,
}


def _timed(call, value, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        try:
            call(value)
        except (AmountError, ValueError):
            pass
        times.append(time.perf_counter() - started)
    return times


def _row(name: str, times: list[float]) -> str:
    micro = [t * 1e6 for t in times]
    return f"| {name} | {min(micro):,.1f} | {statistics.median(micro):,.1f} | {max(micro):,.1f} |"


class Command(BaseCommand):
    help = "Time the money rule and the request guard on hostile inputs (microseconds)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=200)

    def handle(self, *args, runs: int, **options):
        out = self.stdout.write
        out(f"to_minor(value, 'NGN'), {runs} runs, microseconds")
        out("| input | best | median | worst |\n| --- | ---: | ---: | ---: |")
        worst = 0.0
        for name, value in AMOUNTS.items():
            times = _timed(lambda v: to_minor(v, "NGN"), value, runs)
            worst = max(worst, max(times[1:] or times))
            out(_row(name, times))
        out(f"\nworst refusal after the first call: {worst * 1e6:,.1f} µs")

        limit = settings.REQUEST_MAX_BODY_BYTES
        depth = settings.REQUEST_MAX_JSON_DEPTH
        bodies = {
            f"{limit // 1024} KiB of [ (refused at level {depth + 1})": b"[" * limit,
            f"{limit // 1024} KiB of strings full of brackets and escapes": (
                b'["' + b'[\\"{' * ((limit - 4) // 4) + b'"]')[:limit - 2] + b'"]',
            "escaped quotes and a trailing backslash (backtracking bait)": b'"' + b'\\"' * (limit // 2 - 1) + b"\\",
            f"{limit // 1024} KiB of [1,[1,...]] {depth} deep, repeated": (
                b"[" * depth + b"]" * depth + b",") * (limit // (2 * depth + 1)),
            'JSON {"amount": 1e999990}': b'{"amount": 1e999990}',
        }
        out(f"\nthe guard's nesting scan (json_depth_exceeds, limit {depth}) and json_loads, {runs // 4} runs")
        out("| body | best | median | worst |\n| --- | ---: | ---: | ---: |")
        for name, body in bodies.items():
            out(_row(f"scan: {name}", _timed(lambda b: json_depth_exceeds(b, depth), body, max(runs // 4, 3))))
        out(_row("json_loads + to_minor: {\"amount\": 1e999990}",
                 _timed(lambda b: to_minor(json_loads(b)["amount"], "NGN"), b'{"amount": 1e999990}', runs)))
