"""The OpenAPI contract, derived from what the views really do (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``).

drf-spectacular documents the declared success body only. :class:`ContractAutoSchema` adds what every
operation can also answer, in the one error shape of :mod:`shared_apps.core.errors` (``ErrorResponse``):

* 400 (malformed request, bad query/body), 404, 429 (rate limits) and 503 (Redis briefly away) everywhere;
* 401 and 403 on every operation that authenticates (a bad token, a missing role or API-key scope);
* 413 and 415 on every operation that takes a body (shared_apps.core.request_guard);
* 409 (state conflict, Idempotency-Key in flight) and 422 (not processable, key reused) on every write;
* on money-moving operations (``@idempotent`` handlers, tenant_apps.idempotency): the required
  ``Idempotency-Key`` header, 428 (risk step-up) and 502 (gateway or provider unreachable).

Success statuses: a 201/202 the handler's code answers (``status.HTTP_201_CREATED``) is documented with the
operation's success body when the view declared only one (a class-level ``@extend_schema``).

Files: a ``text/csv`` or ``application/pdf`` success body is documented as a string (a file), never as the JSON
schema of the same view's JSON rendering; errors are always ``application/json``.

Pagination follows the handler, not the view's class: a list is documented as the paged object
``{count, next, previous, results}`` only when the handler paginates (calls ``paginate_queryset`` /
``get_paginated_response``, or is DRF's own ``ListModelMixin.list``); otherwise as the plain array it returns.

tests/api/test_openapi_contract.py runs schemathesis over every operation and fails on any mismatch.
"""

from __future__ import annotations

import copy
import inspect
import re
from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny

IDEMPOTENCY_HEADER = "Idempotency-Key"

ERROR_DESCRIPTIONS = {
    400: "Bad request: malformed body or parameters, or a refused value (`validation_error`, `invalid_amount`, ...).",
    401: "Not authenticated, or the token is invalid or expired.",
    403: "Forbidden: role, API-key scope, KYC limit, risk block or transaction PIN.",
    404: "Not found (or not visible to this tenant or caller).",
    409: "Conflict with the current state (or the same Idempotency-Key still in flight).",
    413: "The request body is too large.",
    415: "The request's media type is not accepted by this operation.",
    422: "The Idempotency-Key was already used with a different request, or the request is not processable.",
    428: "Step-up required: confirm with the challenge in `error.step_up`, then resend the same request.",
    429: "Too many requests: retry after the `Retry-After` header.",
    502: "A gateway or provider could not be reached: nothing was done, retry with the same Idempotency-Key.",
    503: "The service is briefly unavailable: retry with the same Idempotency-Key.",
}

ErrorBody = inline_serializer(
    name="ErrorResponse",
    fields={"error": inline_serializer(name="ErrorDetail", fields={
        "code": serializers.CharField(help_text="Stable machine-readable code."),
        "message": serializers.CharField(help_text="Human-readable text in the request's language."),
        "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                        help_text="Messages per invalid field (empty when none)."),
    })},
)

FILE_SCHEMAS = {"text/csv": {"type": "string"}, "application/pdf": {"type": "string", "format": "binary"}}

PAGING_CALLS = ("paginate_queryset", "get_paginated_response")


def _moves_money(handler: Any) -> bool:
    return bool(getattr(handler, "idempotent", False))


def _handler_paginates(view: Any, method: str) -> bool:
    handler = getattr(view, method.lower(), None)
    if handler is None:
        return False
    handler = inspect.unwrap(handler)
    lists = isinstance(view, ListModelMixin) and method.upper() == "GET"
    if lists and handler.__module__.startswith("rest_framework."):
        return True  # DRF's own ListAPIView.get -> ListModelMixin.list, which paginates
    try:
        source = inspect.getsource(handler)
    except (OSError, TypeError):
        return False
    if lists and ("self.list(" in source or "super().get(" in source):
        return True
    return any(call in source for call in PAGING_CALLS)


class ContractAutoSchema(AutoSchema):
    def _authenticates(self) -> bool:
        return bool(getattr(self.view, "authentication_classes", None))

    def _restricted(self) -> bool:
        permissions = getattr(self.view, "permission_classes", None) or []
        return any(permission is not AllowAny for permission in permissions) or self._authenticates()

    def _handler(self) -> Any:
        return getattr(self.view, self.method.lower(), None)

    def error_statuses(self) -> list[int]:
        statuses = [400, 404, 429, 503]
        if self._authenticates():
            statuses.append(401)
        if self._restricted():
            statuses.append(403)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses += [413, 415]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            statuses += [409, 422]
        if _moves_money(self._handler()):
            statuses += [428, 502]
        return sorted(set(statuses))

    def _get_paginator(self) -> Any:
        if not _handler_paginates(self.view, self.method):
            return None
        pagination_class = getattr(self.view, "pagination_class", None) or PageNumberPagination
        return pagination_class()

    def _answered_successes(self) -> set[str]:
        """2xx codes the handler's own code answers (``status.HTTP_201_CREATED``, ``status=202``)."""
        handler = self._handler()
        try:
            source = inspect.getsource(inspect.unwrap(handler)) if handler else ""
        except (OSError, TypeError):
            return set()
        return set(re.findall(r"HTTP_(2\d\d)_", source)) | set(re.findall(r"status(?:_code)?\s*=\s*(2\d\d)\b", source))

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        documented = sorted(code for code in responses if code.startswith("2"))
        for code in sorted(self._answered_successes() - set(responses)):
            # A view that documents one success body but answers it as 201/202 too (class-level @extend_schema).
            if documented and code != "204":
                responses[code] = copy.deepcopy(responses[documented[0]])
        for code, response in responses.items():
            for media_type, content in (response.get("content") or {}).items():
                # A CSV or PDF rendering of a JSON body is a file, not that JSON (wallet statement ?format=csv).
                if media_type in FILE_SCHEMAS and code.startswith("2"):
                    content["schema"] = dict(FILE_SCHEMAS[media_type])
        for code, response in responses.items():
            if code[0] in "45" and not response.get("content"):  # a described error without its body
                body = self._get_response_for_code(ErrorBody, code, ["application/json"], direction=direction)
                response["content"] = body["content"]
        for status in self.error_statuses():
            code = str(status)
            if code in responses:
                continue
            # Errors are JSON whatever the operation renders on success (CSV, PDF).
            response = self._get_response_for_code(ErrorBody, code, ["application/json"], direction=direction)
            response["description"] = ERROR_DESCRIPTIONS[status]
            responses[code] = response
        return responses

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # drf-spectacular renders a blank-allowed URL/email/... as oneOf[{maxLength: 0}, {format: uri}]: "" matches
        # both alternatives, which oneOf forbids. Either one is fine: anyOf.
        if "oneOf" in schema and any(option.get("maxLength") == 0 for option in schema["oneOf"]):
            schema["anyOf"] = schema.pop("oneOf")
        return schema

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if _moves_money(self._handler()) and not any(
                isinstance(p, OpenApiParameter) and p.name == IDEMPOTENCY_HEADER for p in parameters):
            parameters.append(OpenApiParameter(
                IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=True,
                description="A unique value per operation (1-255 printable characters): a retry with the same "
                            "key and body replays the first answer (header `Idempotent-Replayed: true`)."))
        return parameters
