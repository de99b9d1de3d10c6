"""The transaction-PIN gate of every money-moving request: one place, whatever the channel.

How it fits together:

* A PIN *presented* with a request is stashed for the request by ``TransactionPinMiddleware``: the
  ``X-Transaction-PIN`` header (API; never a body field: bodies are hashed into the idempotency record
  and a 4-6 digit PIN would fall to a dictionary attack on that hash) or the ``transaction_pin`` field of
  a portal form. The USSD channel presents the PIN the customer typed with :func:`presenting`.
* ``idempotency.services.run_idempotently`` (which every money-moving endpoint goes through: ``@idempotent``,
  the portal's form keys, the USSD money steps) calls :func:`authorise` first, outside its transaction:
  a presented PIN is checked there (a wrong one counts and is refused, whatever the amount), then the
  business code runs inside :meth:`Authorisation.guard`.
* The guard vets every debit the ledger makes in that block (``ledger.guards``): a debit of the
  requester's own wallet at or above the threshold without a proven PIN is refused with 403
  ``transaction_pin_required`` (``transaction_pin_not_set`` when they have none), and everything the
  request wrote is rolled back. The threshold is the tenant's ``PinPolicy`` for the web and the API
  (none: never asked) and zero for USSD (every money move).

So a new money endpoint is covered by being idempotent, which the registry test already demands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from tenant_apps.ledger.guards import guarding_debits
from tenant_apps.ledger.models import AccountKind
from tenants.connection import current_schema

from .errors import TransactionPinNotSet, TransactionPinRequired

HEADER = "X-Transaction-PIN"
FORM_FIELD = "transaction_pin"
WEB = "web"  # the portal and the API: the tenant's threshold
USSD = "ussd"  # every money move
PERSONAL_WALLETS = frozenset({AccountKind.USER_WALLET, AccountKind.AGENT_WALLET})

_presented: ContextVar[Callable[[], str | None] | None] = ContextVar("transaction_pin_presented", default=None)


@contextmanager
def presenting(pin: str | None) -> Iterator[None]:
    """Present ``pin`` for the money steps run in this block (the USSD channel's confirmation step)."""
    with presenting_from(lambda: pin or None):
        yield


@contextmanager
def presenting_from(read: Callable[[], str | None]) -> Iterator[None]:
    """Present what ``read()`` finds, read only if a money step asks (the middleware: nothing is parsed for
    requests that move no money)."""
    token = _presented.set(read)
    try:
        yield
    finally:
        _presented.reset(token)


def presented_pin() -> str | None:
    read = _presented.get()
    return read() if read is not None else None


@dataclass(frozen=True)
class Authorisation:
    user_id: int | None
    schema: str
    threshold_minor: int | None  # None: no PIN needed for any amount
    currency: str
    proven: bool

    def guard(self):
        """The block the business code runs in (nothing to install when no debit could need the PIN)."""
        if self.proven or self.threshold_minor is None:
            return nullcontext()
        return guarding_debits(self._check)

    def _check(self, account: Any, amount_minor: int) -> None:
        if (self.user_id is None or account.owner_id != self.user_id or account.kind not in PERSONAL_WALLETS
                or current_schema() != self.schema):
            return  # not the requester's own wallet here (staff debits, a reseller's float at its parent...)
        if account.currency == self.currency and (self.threshold_minor is None
                                                  or amount_minor < self.threshold_minor):
            return
        from .models import TransactionPin

        if not TransactionPin.objects.filter(user_id=self.user_id).exists():
            raise TransactionPinNotSet()
        raise TransactionPinRequired()


def authorise(*, user: Any, channel: str = WEB) -> Authorisation:
    """Check a presented PIN (its own committed transaction: a wrong one counts and raises 403) and say
    which debits of ``user``'s wallets still need one. Call it OUTSIDE the money transaction."""
    from tenant_apps.ledger.currency import tenant_currency

    from .services import pin_verify, web_api_threshold_minor

    pin = presented_pin()
    proven = False
    if pin:
        pin_verify(user=user, pin=pin)
        proven = True
    threshold = 0 if channel == USSD else web_api_threshold_minor()
    return Authorisation(user_id=getattr(user, "pk", None), schema=current_schema(),
                         threshold_minor=threshold, currency=tenant_currency().code if threshold else "",
                         proven=proven)
