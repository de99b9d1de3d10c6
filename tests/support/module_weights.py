"""Seconds each heavy test module took in a whole-suite run: the xdist workers take the heaviest first.

pytest-xdist's ``--dist loadfile`` hands out whole files in queue order, and its default queue puts files with
the most tests first: single-test files that run for a minute (the fuzz run, the tenant-scale smoke, the SDK
fidelity checks) came last, and one worker ran them alone while the other sat idle. ``nexustop_dev.testrun``
turns that reordering off (``--no-loadscope-reorder``) and ``tests/conftest.py`` sorts the modules by these
weights (heaviest first; unlisted modules keep the collection order after them).

The figures only order the queue: a stale one costs some seconds of wall time, never a test. Refresh them from
a run with ``PYTEST_ARGS="--durations=0 --durations-min=0.3" make test > log``:
``python -m tests.support.module_weights log``.
"""

from __future__ import annotations

import collections
import re
import sys

MODULE_SECONDS: dict[str, int] = {
    "tests/fuzz/test_api_fuzz.py": 65, "tests/reliability/test_fault_injection.py": 44,
    "tests/portal/test_browser.py": 42, "tests/isolation/test_tenant_scale_bench.py": 40,
    "tests/foundation/test_database_clusters.py": 31, "tests/foundation/test_provisioning.py": 29,
    "tests/orders/test_sixteen_countries.py": 29, "tests/gateways/test_momo_sdk_fidelity.py": 22,
    "tests/orders/test_dispatcher_crash.py": 21, "tests/portal/test_storefront_browser.py": 18,
    "tests/foundation/test_bench_provisioning.py": 17, "tests/api/test_openapi_contract.py": 16,
    "tests/portal/test_ops_browser.py": 15, "tests/portal/test_csp_browser.py": 14,
    "tests/orders/test_webhooks_and_recovery.py": 14, "tests/security/test_every_endpoint_bounds_input.py": 13,
    "tests/accounts/test_roles.py": 11, "tests/security/test_api_key_scopes.py": 11,
    "tests/infra/test_bench_migrate.py": 11, "tests/infra/test_checkov.py": 11,
    "tests/orders/test_settle_plain.py": 10, "tests/ussd/test_ussd_channel.py": 10,
    "tests/foundation/test_dependency_direction.py": 10, "tests/wallet/test_polling_worker.py": 10,
    "tests/foundation/test_import_cycles.py": 8, "tests/infra/test_prod_settings.py": 8,
    "tests/ledger/test_stateful.py": 7, "tests/remittances/test_worker_crash.py": 7,
    "tests/foundation/test_create_tenant_command.py": 7, "tests/kyc/test_submission.py": 7,
    "tests/remittances/test_remittances.py": 7, "tests/infra/test_gunicorn_prod.py": 7,
    "tests/kyc/test_review_and_limits.py": 7, "tests/security/test_dev_secrets.py": 7,
    "tests/providers/test_dispatch_transport.py": 6, "tests/infra/test_config_parity.py": 6,
    "tests/agents/test_webhook_worker.py": 6, "tests/wallet/test_transfers.py": 5,
    "tests/foundation/test_platform_module.py": 5, "tests/providers/test_submit_async.py": 5,
    "tests/portal/test_pages.py": 5, "tests/foundation/test_test_layout.py": 5, "tests/bulk/test_bulk_topups.py": 5,
    "tests/providers/test_reloadly_sdk_fidelity.py": 5, "tests/wallet/test_mobile_money_rails.py": 4,
    "tests/ledger/test_bench.py": 4, "tests/infra/test_terraform.py": 4,
}


def heaviest_first(nodeids: list[str]) -> list[int]:
    """Indexes of *nodeids* in run order: modules by weight (heaviest first), stable within a module and
    among unlisted modules."""
    first_seen: dict[str, int] = {}
    for index, nodeid in enumerate(nodeids):
        first_seen.setdefault(nodeid.split("::", 1)[0], index)
    return sorted(range(len(nodeids)), key=lambda index: (
        -MODULE_SECONDS.get(module := nodeids[index].split("::", 1)[0], 0), first_seen[module], index))


def weights_from_log(text: str, *, at_least: float = 4.0) -> dict[str, int]:
    """Per-module seconds (setup + call + teardown) from pytest's ``--durations`` section(s)."""
    seconds: collections.defaultdict[str, float] = collections.defaultdict(float)
    for match in re.finditer(r"^([\d.]+)s (?:setup|call|teardown)\s+(\S+?)::", text, re.MULTILINE):
        seconds[match.group(2)] += float(match.group(1))
    return {module: round(total) for module, total in sorted(seconds.items(), key=lambda item: -item[1])
            if total >= at_least}


if __name__ == "__main__":
    print(weights_from_log(open(sys.argv[1]).read()))
