"""Stored replies of idempotent requests: they may echo a recipient or a name; erased with the person."""

from tenant_apps.privacy.registry import register

from .models import IdempotencyKey

register(IdempotencyKey, owners=("user",), delete=True, exclude=("response_body", "response_headers", "body_hash"))
