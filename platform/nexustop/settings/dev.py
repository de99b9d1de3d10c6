"""Local development and `make run`."""

from .base import *  # noqa: F403

DEBUG = True

# Reseller webhooks may target the local simulators and receivers (http://127.0.0.1:...); never in production.
OUTBOUND_URLS = {**OUTBOUND_URLS, "ALLOW_LOOPBACK": True}  # noqa: F405
