"""Idempotency keys for every money-moving request: unique per (user, key), first response replayed."""
