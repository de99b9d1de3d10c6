"""Twins of a request (a retry, a double tap, a gateway's retransmission) made deterministic in tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def first_lookup_misses(monkeypatch: Any, module: Any, name: str, *,
                        original: Callable[..., Any] | None = None) -> list[tuple[tuple, dict]]:
    """Patch ``module.name`` (a stored-answer lookup; ``original`` when the module imports it only where it is
    used) so that its first call answers "nothing stored yet", as for a twin that looked before its first copy
    committed. Returns the list the missed call's arguments are recorded in."""
    looked = original or getattr(module, name)
    missed: list[tuple[tuple, dict]] = []

    def lookup(*args: Any, **kwargs: Any) -> Any:
        if not missed:
            missed.append((args, kwargs))
            return None
        return looked(*args, **kwargs)

    monkeypatch.setattr(module, name, lookup, raising=original is None)
    return missed
