"""Observability: structured logs, Prometheus metrics, Sentry."""

from __future__ import annotations
