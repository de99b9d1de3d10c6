"""The OpenAPI contract check: schemathesis over every operation of a tenant domain's ``/api/schema/``, with
the response-schema, status-code and content-type conformance checks (what an integrator's generated
client relies on). Shared by tests/api/test_openapi_contract.py (bounded, seeded) and ad-hoc longer runs.

Requests run in-process through the full WSGI stack (middleware, tenant routing, JWT auth) on the caller's
connection and transaction (see platform/nexustop_dev/fuzz.py): the staff identity may fuzz tenant-wide settings,
and nothing survives the test. Mismatches are collected, not raised, so one run names every broken
operation, each with a request that shows it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nexustop_dev.fuzz import describe, schema_operations

# Operations that move money (or spend a credential) take an Idempotency-Key: a fresh one per call.
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass
class Mismatch:
    operation: str
    identity: str
    check: str
    status: int
    detail: str
    request: str


@dataclass
class ContractReport:
    operations: list[str] = field(default_factory=list)
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    seconds: float = 0.0

    def distinct(self) -> list[Mismatch]:
        seen: set[tuple[str, str, int]] = set()
        unique = []
        for mismatch in self.mismatches:
            key = (mismatch.operation, mismatch.check, mismatch.status)
            if key not in seen:
                seen.add(key)
                unique.append(mismatch)
        return unique

    def summary(self, limit: int = 200) -> str:
        distinct = self.distinct()
        lines = [f"operations {len(self.operations)}, requests {self.requests}, mismatches {len(self.mismatches)} "
                 f"({len(distinct)} distinct operation/check/status), {self.seconds:.1f} s, "
                 f"statuses {dict(sorted(self.statuses.items()))}"]
        for mismatch in distinct[:limit]:
            lines.append(f"MISMATCH {mismatch.operation} as {mismatch.identity} -> {mismatch.status} "
                         f"[{mismatch.check}] {mismatch.detail[:300]}\n     {mismatch.request}")
        return "\n".join(lines)


def run_contract(*, host: str, identities: dict[str, str], max_examples: int = 3, seed: int = 7,
                 modes: tuple[str, ...] = ("positive",),
                 operation_filter: Callable[[str], bool] | None = None) -> ContractReport:
    """Check every operation of ``host``'s schema; ``identities`` maps a name to a bearer token ('' = anonymous)."""
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [response_schema_conformance, status_code_conformance, content_type_conformance]
    report = ContractReport()
    started = time.monotonic()
    for operation, label in schema_operations(host=host, operation_filter=operation_filter):
        report.operations.append(label)
        for mode in modes:
            _check_operation(operation, label, GenerationMode(mode), host=host, identities=identities,
                             max_examples=max_examples, seed=seed, checks=checks, report=report)
    report.seconds = time.monotonic() - started
    return report


def _check_operation(operation: Any, label: str, mode: Any, *, host: str, identities: dict[str, str],
                     max_examples: int, seed: int, checks: list, report: ContractReport) -> None:

    import hypothesis.errors

    strategy = operation.as_strategy(generation_mode=mode)

    @hypothesis.settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck),
                         phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
    @hypothesis.given(case=strategy)
    @hypothesis.seed(seed)
    def check(case: Any) -> None:
        for identity, token in identities.items():
            headers = {IDEMPOTENCY_HEADER: uuid.uuid4().hex}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            elif case.headers:
                case.headers.pop("Authorization", None)
            response = case.call(base_url=f"http://{host}", headers=headers)
            report.requests += 1
            report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except BaseExceptionGroup as group:
                for failure in group.exceptions:
                    _record(report, label, identity, response, failure, case)
            except AssertionError as failure:
                _record(report, label, identity, response, failure, case)

    try:
        check()
    except hypothesis.errors.Unsatisfiable:
        pass


def _record(report: ContractReport, label: str, identity: str, response: Any, failure: BaseException,
            case: Any) -> None:
    title = getattr(failure, "title", type(failure).__name__)
    message = getattr(failure, "message", str(failure))
    body = response.content[:200].decode("utf-8", "replace") if response.content else ""
    report.mismatches.append(Mismatch(label, identity, title, response.status_code,
                                      f"{message} | body: {body}".replace("\n", " "), describe(case)))
