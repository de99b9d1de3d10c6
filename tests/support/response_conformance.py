"""Opt-in pytest plugin: check every ``/api/`` answer the test suite receives against the domain's own schema.

    pytest -p tests.support.response_conformance tests/wallet tests/remittances ...

The fuzzing contract test (tests/api) reaches the success paths that random input can reach; the functional
tests reach the rest (a settled purchase, a released remittance, a paid savings goal). With this plugin every
response of Django's test client under ``/api/`` on a tenant domain is checked like a generated client would
see it: the status is documented, the media type is documented, a JSON body matches. Mismatches are listed at
the end of the run and fail it. Schemas are fetched once per domain, in-process.
"""

from __future__ import annotations

import json
import re
from typing import Any
from unittest import mock

import jsonschema
import pytest

from tests.support.schema_client import _nullable_to_jsonschema

_schemas: dict[str, Any] = {}
_mismatches: list[str] = []
_fetching = False
_checked = [0]


def _routes(host: str, client_class: Any) -> Any:
    global _fetching
    if host not in _schemas:
        _fetching = True
        try:
            schema = json.loads(client_class(HTTP_HOST=host).get("/api/schema/", {"format": "json"}).content)
        finally:
            _fetching = False
        routes = []
        for path, operations in schema["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + "$")
            routes.append((path.count("{"), pattern, path, operations))
        routes.sort(key=lambda route: route[0])  # /api/remittances/quotes before /api/remittances/{public_id}
        _schemas[host] = (routes, _nullable_to_jsonschema(schema.get("components", {}).get("schemas", {})))
    return _schemas[host]


def _check(host: str, method: str, path: str, response: Any, client_class: Any) -> None:
    routes, definitions = _routes(host, client_class)
    for _params, pattern, template, operations in routes:
        if not pattern.match(path) or method not in operations:
            continue
        _checked[0] += 1
        label = f"{method.upper()} {template} -> {response.status_code}"
        documented = operations[method]["responses"].get(str(response.status_code))
        if documented is None:
            _mismatches.append(f"{label}: undocumented status")
            return
        media = response.get("Content-Type", "").split(";")[0].strip()
        content = documented.get("content") or {}
        if content and media not in content:
            _mismatches.append(f"{label}: media type {media!r} undocumented")
        elif media == "application/json" and content.get(media, {}).get("schema"):
            schema = {**_nullable_to_jsonschema(content[media]["schema"]), "definitions": definitions}
            try:
                jsonschema.validate(json.loads(response.content), schema, cls=jsonschema.Draft4Validator)
            except jsonschema.ValidationError as error:
                _mismatches.append(f"{label}: {error.message[:200]} at {list(error.absolute_path)}")
        return


def pytest_configure(config: pytest.Config) -> None:
    from django.test import client as django_client

    original = django_client.Client.request

    def request(self, **request_meta):
        response = original(self, **request_meta)
        path = request_meta.get("PATH_INFO", "")
        host = request_meta.get("HTTP_HOST") or self.defaults.get("HTTP_HOST", "")
        if (not _fetching and path.startswith("/api/") and not path.startswith("/api/schema")
                and host.endswith(".localhost")):
            _check(host, request_meta.get("REQUEST_METHOD", "GET").lower(), path, response, type(self))
        return response

    mock.patch.object(django_client.Client, "request", request).start()  # for the whole session


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(f"response conformance: {_checked[0]} API answers checked on {len(_schemas)} "
                                f"domain(s), {len(_mismatches)} mismatches")
    if _mismatches:
        terminalreporter.section("API responses that do not match /api/schema/")
        for line in sorted(set(_mismatches)):
            terminalreporter.write_line(f"{_mismatches.count(line):5d}  {line}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _mismatches and session.exitstatus == 0:
        session.exitstatus = 1
