"""Debit guards: code that opens a block may vet every wallet debit the ledger makes inside it.

The ledger knows nothing of why a debit may be refused; a caller installs a check for the duration
of a block (``with guarding_debits(check): ...``) and ``_apply_wallet_deltas`` calls
``check(account, amount)`` for each wallet it is about to debit, before any row changes. A check
refuses by raising (an ``ApiError``): the entry, and the caller's transaction, are rolled back.
The transaction PIN (``tenant_apps.pins.gate``) is the one user today: every money-moving request
runs its business code inside such a block (``idempotency.services.run_idempotently``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

DebitCheck = Callable[[Any, int], None]  # (wallet Account, amount debited in minor units > 0)

_check: ContextVar[DebitCheck | None] = ContextVar("ledger_debit_check", default=None)


@contextmanager
def guarding_debits(check: DebitCheck) -> Iterator[None]:
    token = _check.set(check)
    try:
        yield
    finally:
        _check.reset(token)


def debit_check() -> DebitCheck | None:
    """The check of the innermost open block, or None (the common case: one context-variable read)."""
    return _check.get()
