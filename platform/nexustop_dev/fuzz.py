"""API fuzzing with schemathesis against a tenant domain's OpenAPI schema, in-process through the WSGI app.

Shared by the CI test (tests/fuzz/, a bounded number of cases) and ``manage.py fuzz_api`` (longer runs).
Every generated request (schema-valid and schema-violating) is sent anonymously, as a phone-verified
customer and as the tenant's operator_admin. A response fails when it is a 5xx, or a 4xx whose body is
not ``{"error": {"code", "message", "fields"}}``. Failures are collected (not raised) so one run reports
every broken endpoint; each comes with the request that triggered it.

The caller provides the database transaction (the test's, or the command's that is rolled back):
requests run in this thread on this connection, so nothing the fuzzer writes survives.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

if TYPE_CHECKING:
    from schemathesis.core.errors import InvalidSchema
    from schemathesis.core.result import Err, Ok
    from schemathesis.schemas import APIOperation

SCHEMA_PATH = "/api/schema/?format=json"


def error_shape_problems(response: Any) -> list[str]:
    """Why a 4xx/5xx body is not ``{"error": {"code", "message", "fields"}}`` (empty when it is)."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return [f"{response.status_code} body is not JSON: {response.content[:200]!r}"]
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return [f"{response.status_code} body has no error object: {str(body)[:200]}"]
    problems = []
    if not isinstance(error.get("code"), str) or not error.get("code"):
        problems.append("error.code missing")
    if not isinstance(error.get("message"), str):
        problems.append("error.message missing")
    if "fields" not in error or not isinstance(error["fields"], dict):
        problems.append("error.fields missing or not an object")
    return problems


@dataclass
class Failure:
    operation: str
    identity: str
    problem: str
    request: str


@dataclass
class FuzzReport:
    operations: list[str] = field(default_factory=list)
    cases: int = 0
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    unsatisfiable: list[str] = field(default_factory=list)

    def distinct_failures(self) -> list[Failure]:
        seen, unique = set(), []
        for failure in self.failures:
            key = (failure.operation, failure.problem.split(":")[0])
            if key not in seen:
                seen.add(key)
                unique.append(failure)
        return unique

    def summary(self) -> str:
        lines = [f"operations {len(self.operations)}, cases {self.cases}, requests {self.requests}, "
                 f"{self.seconds:.1f} s, statuses {dict(sorted(self.statuses.items()))}"]
        for failure in self.distinct_failures():
            lines.append(f"FAIL {failure.operation} as {failure.identity}: {failure.problem}\n     {failure.request}")
        return "\n".join(lines)


class _Response:
    """What error_shape_problems needs, from a werkzeug/requests-like response."""

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content


@contextlib.contextmanager
def in_process_requests() -> Iterator[None]:
    """Like Django's test client: keep the caller's connection (and transaction) across WSGI requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with override_settings(AUTH_THROTTLE_RATES={}, LOGIN_LOCKOUT={
                "MAX_FAILURES_PER_ACCOUNT": 10**9, "MAX_FAILURES_PER_IP": 10**9, "WINDOW_SECONDS": 60,
                "LOCKOUT_SECONDS": 1}):
            yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def describe(case: Any) -> str:
    body = getattr(case, "body", None)
    try:
        body_text = json.dumps(body, default=str)[:300]
    except (TypeError, ValueError):
        body_text = repr(body)[:300]
    return (f"{case.method} {case.formatted_path} query={case.query!r} headers={dict(case.headers or {})!r} "
            f"media={case.media_type} body={body_text}")


def operation_of(result: Ok[APIOperation] | Err[InvalidSchema]) -> APIOperation:
    """One operation of the schema; an operation schemathesis cannot read raises its reason (``InvalidSchema``),
    never ``AttributeError: 'Err' object has no attribute 'ok'``."""
    from schemathesis.core.result import Err

    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def schema_operations(*, host: str, operation_filter: Callable[[str], bool] | None = None,
                      ) -> Iterator[tuple[Any, str]]:
    """Every operation of the published schema (read in-process through WSGI) with its ``METHOD /path`` label;
    requests made while iterating go to the app in this process. Shared by the fuzzer and the contract run."""
    import schemathesis
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    with in_process_requests():
        schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, app, headers={"Host": host})
        for result in schema.get_all_operations():
            operation = operation_of(result)
            label = f"{operation.method.upper()} {operation.path}"
            if operation_filter is None or operation_filter(label):
                yield operation, label


def run_fuzz(*, host: str, identities: dict[str, str], max_examples: int = 5, seed: int | None = 1,
             modes: tuple[str, ...] = ("positive", "negative"), operation_filter: Callable[[str], bool] | None = None,
             progress: Callable[[str], None] | None = None) -> FuzzReport:
    """Fuzz every operation of ``host``'s schema; ``identities`` maps a name to a bearer token ('' = anonymous)."""
    import hypothesis
    import hypothesis.errors
    from schemathesis.generation import GenerationMode

    report = FuzzReport()
    started = time.monotonic()
    for operation, label in schema_operations(host=host, operation_filter=operation_filter):
        report.operations.append(label)
        for mode in modes:
            _fuzz_operation(operation, label, GenerationMode(mode), host=host, identities=identities,
                            max_examples=max_examples, seed=seed, report=report, hypothesis=hypothesis)
        if progress:
            progress(f"{label}: {report.requests} requests so far, {len(report.failures)} failures")
    report.seconds = time.monotonic() - started
    return report


def _fuzz_operation(operation: Any, label: str, mode: Any, *, host: str, identities: dict[str, str],
                    max_examples: int, seed: int | None, report: FuzzReport, hypothesis: Any) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @hypothesis.settings(max_examples=max_examples, deadline=None, database=None, derandomize=seed is not None,
                         suppress_health_check=list(hypothesis.HealthCheck),
                         phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
    @hypothesis.given(case=strategy)
    def fuzz(case: Any) -> None:
        report.cases += 1
        for identity, token in identities.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            if not token and case.headers:
                case.headers.pop("Authorization", None)
            try:
                response = case.call(base_url=f"http://{host}", headers=headers)
            except Exception as exc:  # the app raised through the WSGI stack: a 500 for a real client
                report.failures.append(Failure(label, identity, f"exception: {type(exc).__name__}: {exc}",
                                               describe(case)))
                continue
            report.requests += 1
            status = response.status_code
            report.statuses[status] = report.statuses.get(status, 0) + 1
            upstream_down = status in (502, 503) and not error_shape_problems(_Response(status, response.content))
            if status >= 500 and not upstream_down:
                # 502/503 in the error shape is the documented "provider/gateway unreachable" answer
                # (fuzzing runs without gateway simulators), not a crash.
                report.failures.append(Failure(label, identity, f"server error: {status}", describe(case)))
            elif status >= 400:
                problems = error_shape_problems(_Response(status, response.content))
                if problems:
                    report.failures.append(Failure(label, identity, f"error shape: {'; '.join(problems)}",
                                                   describe(case)))

    if seed is not None:
        fuzz = hypothesis.seed(seed)(fuzz)
    try:
        fuzz()
    except hypothesis.errors.Unsatisfiable:
        # Nothing to violate (no parameters, no body): the positive mode covers the operation.
        report.unsatisfiable.append(f"{label} ({mode})")
