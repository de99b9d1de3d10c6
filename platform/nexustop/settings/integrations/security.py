"""Security headers, CORS, HTTPS (tightened in prod.py)."""

from __future__ import annotations
