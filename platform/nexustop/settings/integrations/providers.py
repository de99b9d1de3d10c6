"""Provider plugins and simulators: registry, timeouts, credentials encryption key."""

from __future__ import annotations
