"""CPU time of process trees, exited processes included (Linux ``/proc``): what the benchmarks charge per operation.

A process that exits and is reaped by its parent leaves its CPU time (and that of the children it reaped) in
the parent's ``cutime``/``cstime``. So the CPU a tree has used is, over its live processes, own time plus
reaped children's time: sampled before and after, the difference counts every process that ran in between,
including the ones that started and exited between the two samples. For PostgreSQL the tree is the
postmaster's: every backend is its child, so short sessions (a connection per Celery task) are counted,
and so is every other database of the cluster (the figure is cluster-wide: see ``background`` in
``bench_purchases``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used itself; 0 if it is gone."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS if fields else 0.0


def reaped_children_cpu(pid: int) -> float:
    """CPU seconds of the children ``pid`` has waited for (``cutime + cstime``); 0 if it is gone."""
    fields = _stat_fields(pid)
    return (int(fields[13]) + int(fields[14])) / TICKS if fields else 0.0


def parent_pid(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def descendants(pid: int) -> list[int]:
    """``pid`` and every live process below it."""
    found = [pid]
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(descendants(int(child)))
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by ``pid``'s tree: live processes' own time plus what they reaped."""
    return sum(process_cpu(p) + reaped_children_cpu(p) for p in descendants(pid))


class TreeMeter:
    """CPU seconds per role, each role a list of process tree roots; ``used()`` is the difference since creation."""

    def __init__(self, roles: dict[str, list[int]]) -> None:
        self.roles = roles
        self.start = self.sample()

    def sample(self) -> dict[str, float]:
        return {role: sum(tree_cpu(pid) for pid in pids) for role, pids in self.roles.items()}

    def used(self) -> dict[str, float]:
        end = self.sample()
        return {role: end[role] - self.start[role] for role in end}


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class ChildrenSampler:
    """CPU of the children of ``parent`` whose command line contains ``marker`` (PostgreSQL backends show their
    database there: ``postgres: 15/main: user dbname host(port) idle``), sampled every ``interval`` seconds in
    a thread. A child that exits counts up to its last sample, and one that lived less than an interval may be
    missed: a lower bound for one database, beside the postmaster tree's cluster-wide figure."""

    def __init__(self, parent: int, marker: str, interval: float = 0.05) -> None:
        self.parent, self.marker, self.interval = parent, f" {marker} ", interval
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._scan(initial=True)
        self._thread = threading.Thread(target=self._run, daemon=True, name="cpu-sampler")
        self._thread.start()

    def _scan(self, initial: bool = False) -> None:
        for pid in descendants(self.parent)[1:]:
            if pid not in self._first:
                if self.marker not in command_line(pid):
                    continue
                # Seen at the start: count from now; born later: count from zero.
                self._first[pid] = process_cpu(pid) if initial else 0.0
            cpu = process_cpu(pid)
            if cpu:
                self._last[pid] = cpu

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._scan()

    def used(self) -> float:
        self._scan()
        return sum(self._last.get(pid, first) - first for pid, first in self._first.items())

    def stop(self) -> float:
        used = self.used()
        self._stop.set()
        return used
