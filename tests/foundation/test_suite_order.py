"""The xdist workers take the heaviest test files first (tests/support/module_weights.py)."""

from __future__ import annotations

from nexustop_dev.testrun import _with_workers
from tests.support import module_weights


def test_heaviest_modules_go_first_and_each_module_keeps_its_order():
    nodeids = ["tests/a/test_light.py::test_1", "tests/fuzz/test_api_fuzz.py::test_fuzz_tenant_api",
               "tests/a/test_light.py::test_2", "tests/b/test_other.py::test_1",
               "tests/portal/test_browser.py::test_2", "tests/portal/test_browser.py::test_1"]
    ordered = [nodeids[index] for index in module_weights.heaviest_first(nodeids)]
    assert ordered == ["tests/fuzz/test_api_fuzz.py::test_fuzz_tenant_api", "tests/portal/test_browser.py::test_2",
                       "tests/portal/test_browser.py::test_1", "tests/a/test_light.py::test_1",
                       "tests/a/test_light.py::test_2", "tests/b/test_other.py::test_1"]


def test_weights_are_read_back_from_a_durations_section():
    log = ("12.50s call     tests/x/test_slow.py::test_a\n3.00s setup    tests/x/test_slow.py::test_a\n"
           "0.40s teardown tests/y/test_quick.py::test_b[param-1]\n")
    assert module_weights.weights_from_log(log) == {"tests/x/test_slow.py": 16}
    assert module_weights.weights_from_log(log, at_least=0.1) == {"tests/x/test_slow.py": 16,
                                                                 "tests/y/test_quick.py": 0}


def test_make_test_keeps_the_collection_order_on_its_workers(monkeypatch):
    monkeypatch.setenv("PYTEST_WORKERS", "2")
    assert _with_workers(["-q"]) == ["-n", "2", "--dist", "loadfile", "--no-loadscope-reorder", "-q"]
    assert _with_workers(["-n", "0"]) == ["-n", "0"]


def test_the_processes_tests_start_keep_bytecode_outside_the_tree_when_the_environment_writes_none():
    from nexustop_dev.devstack import LOCAL, keep_bytecode

    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    keep_bytecode(env)
    assert env == {"PYTHONPYCACHEPREFIX": str(LOCAL / "pycache")}
    chosen = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/elsewhere"}
    keep_bytecode(chosen)  # a prefix the environment chose is kept
    assert chosen == {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/elsewhere"}
    writes = {"PATH": "/usr/bin"}
    keep_bytecode(writes)  # an environment that writes bytecode is left as it is
    assert writes == {"PATH": "/usr/bin"}


def test_the_fault_harness_leaves_the_celery_result_backend_as_it_found_it(settings):
    """A result backend first made inside ``redis_for_everything`` (the private Redis of a fault run) is dropped at
    its end: the process's later task calls use the real one again."""
    from types import SimpleNamespace

    from celery import current_app

    from nexustop_dev.faults import _forget_result_backend, redis_for_everything

    app = current_app._get_current_object()
    _forget_result_backend(app)
    with redis_for_everything(SimpleNamespace(url="redis://127.0.0.1:1/0")):  # type: ignore[arg-type]
        assert app.backend.connparams["port"] == 1
    assert app.backend.connparams["port"] != 1
