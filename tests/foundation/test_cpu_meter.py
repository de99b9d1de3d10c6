"""The benchmarks' CPU meter counts a process tree's CPU, including processes that exited between the samples
(``nexustop_dev.cpu_meter``), so short PostgreSQL sessions (a connection per task) are no longer invisible."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from nexustop_dev.cpu_meter import TreeMeter, descendants, process_cpu, tree_cpu

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"
# A parent that waits for a signal on stdin, then starts a child that burns CPU and exits, reaps it, and idles.
PARENT = (
    "import subprocess, sys, time\n"
    "sys.stdin.readline()\n"
    "subprocess.run([sys.executable, '-c', {burn!r}], check=True)\n"
    "print('done', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def parent():
    proc = subprocess.Popen([sys.executable, "-c", PARENT.format(burn=BURN.format(seconds=0.4))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def test_a_child_that_burned_cpu_and_exited_is_counted(parent):
    time.sleep(0.3)  # the interpreter's own start-up is before the first sample
    meter = TreeMeter({"tree": [parent.pid]})
    parent.stdin.write("go\n")
    parent.stdin.flush()
    assert parent.stdout.readline().strip() == "done"  # the child has exited and been reaped
    assert descendants(parent.pid) == [parent.pid]
    used = meter.used()["tree"]
    assert used >= 0.35, used
    # What the old meter read (live processes' own time only) misses it.
    assert process_cpu(parent.pid) < 0.35


def test_a_live_child_is_counted_once():
    proc = subprocess.Popen([sys.executable, "-c", BURN.format(seconds=0.3) + "import time; time.sleep(60)"])
    try:
        time.sleep(1.5)
        assert 0.25 <= tree_cpu(proc.pid) < 1.5
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_gone_process_reads_zero():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=10)
    assert tree_cpu(proc.pid) == 0.0
