"""A minimal generic API client built only from an OpenAPI document: what an integrator's generated client does.

Nothing about the API is written here: ``client.call("purchase_create", body=...)`` finds the operation by its
``operationId``, builds the method and path from the schema, refuses path/query parameters and header
parameters the operation does not declare, validates the request body against the operation's request
schema, sends a fresh ``Idempotency-Key`` when the operation requires that header, and validates the answer:
its status must be documented and its body must match that status's schema (OpenAPI 3.0 ``nullable``
understood). A mismatch raises :class:`ContractViolation`.

(openapi-python-client is not installed in the shared environment; this stands in for it and is stricter:
it checks every answer against the schema.) The transport is a callable, so the same client runs in-process
(Django's test client) or against a live URL (requests).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema


class ContractViolation(AssertionError):
    pass


@dataclass
class Answer:
    status: int
    body: Any
    content_type: str


# send(method, path, query, headers, json_body) -> (status, content_type, raw bytes)
Transport = Callable[[str, str, dict, dict, Any], tuple[int, str, bytes]]


def _nullable_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: ``nullable: true`` becomes "or null"; ``$ref``s point into ``definitions``."""
    if isinstance(node, list):
        return [_nullable_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_to_jsonschema(value) for key, value in node.items()}
    if isinstance(node.get("$ref"), str):
        node["$ref"] = node["$ref"].replace("#/components/schemas/", "#/definitions/")
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


class SchemaClient:
    def __init__(self, schema: dict, send: Transport) -> None:
        self.send = send
        self.token = ""
        self.definitions = _nullable_to_jsonschema(schema.get("components", {}).get("schemas", {}))
        self.operations: dict[str, tuple[str, str, dict]] = {}
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    self.operations[operation["operationId"]] = (method.upper(), path, operation)

    def _validate(self, schema: dict, value: Any, what: str) -> None:
        document = {**_nullable_to_jsonschema(copy.deepcopy(schema)), "definitions": self.definitions}
        try:
            jsonschema.validate(value, document, cls=jsonschema.Draft4Validator)
        except jsonschema.ValidationError as error:
            raise ContractViolation(f"{what}: {error.message} at {list(error.absolute_path)}") from None

    def call(self, operation_id: str, *, path: dict | None = None, query: dict | None = None, body: Any = None,
             headers: dict | None = None) -> Answer:
        if operation_id not in self.operations:
            raise ContractViolation(f"no operation {operation_id!r} in the schema")
        method, template, operation = self.operations[operation_id]
        declared = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
        path_values = path or {}
        for name in re.findall(r"{(\w+)}", template):
            if ("path", name) not in declared or name not in path_values:
                raise ContractViolation(f"{operation_id}: path parameter {name} undeclared or missing")
        url = re.sub(r"{(\w+)}", lambda m: str(path_values[m.group(1)]), template)
        for name in query or {}:
            if ("query", name) not in declared:
                raise ContractViolation(f"{operation_id}: query parameter {name!r} is not in the schema")
        sent_headers = dict(headers or {})
        for name in sent_headers:
            if ("header", name) not in declared:
                raise ContractViolation(f"{operation_id}: header {name!r} is not in the schema")
        for (place, name), parameter in declared.items():
            if place == "header" and parameter.get("required") and name not in sent_headers:
                if name != "Idempotency-Key":
                    raise ContractViolation(f"{operation_id}: required header {name} not given")
                sent_headers[name] = uuid.uuid4().hex  # one per call: a retry would reuse it
        if self.token:
            sent_headers["Authorization"] = f"Bearer {self.token}"
        request_body = operation.get("requestBody")
        if body is not None:
            if not request_body or "application/json" not in request_body.get("content", {}):
                raise ContractViolation(f"{operation_id}: takes no JSON body")
            self._validate(request_body["content"]["application/json"]["schema"], body, f"{operation_id} request")
        elif request_body and request_body.get("required"):
            raise ContractViolation(f"{operation_id}: the body is required")

        status, content_type, raw = self.send(method, url, dict(query or {}), sent_headers, body)
        documented = operation["responses"].get(str(status))
        if documented is None:
            raise ContractViolation(f"{operation_id}: status {status} undocumented ({sorted(operation['responses'])}): "
                                    f"{raw[:300]!r}")
        media = (content_type or "").split(";")[0].strip()
        content = documented.get("content") or {}
        if not content:
            return Answer(status, None, media)
        if media not in content:
            raise ContractViolation(f"{operation_id}: {status} answered {media!r}, documented {sorted(content)}")
        if media != "application/json":
            return Answer(status, raw, media)
        answer = json.loads(raw) if raw else None
        self._validate(content[media].get("schema", {}), answer, f"{operation_id} {status} response")
        return Answer(status, answer, media)
