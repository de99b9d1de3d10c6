"""Development tooling, never shipped in the production image (``.dockerignore`` leaves it out).

``make run`` (:mod:`nexustop_dev.devstack`), ``make test`` (:mod:`nexustop_dev.testrun`), and the
benchmark, fuzz and fault-injection management commands (``bench_*``, ``fuzz_api``, ``fault_inject``)
with what only they use. A Django app installed by the dev, test and bench settings only, never by
``nexustop.settings.prod``; product code never imports it (tests/foundation/test_dependency_direction.py).
"""
