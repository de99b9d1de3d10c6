"""The hub's writes: each step one local transaction on the public schema, posted once by its reference.

Called by ``tenant_apps.remittances`` between the tenant steps, never inside a tenant's transaction (the
tenant may be on another cluster). Every function is idempotent: running a step again (a worker died after
the commit, the sweeper resumed the remittance) returns what the first run did and posts nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from shared_apps.core.errors import ApiError, Conflict

from .models import HubAccount, HubAccountKind, HubEntry, HubPosting, HubTransfer, HubTransferStatus

STEP_IN = "in"  # sender tenant -> corridor clearing
STEP_OUT = "out"  # corridor clearing -> (FX) -> receiver tenant
STEP_REFUND = "refund"  # corridor clearing -> sender tenant


class HubMismatch(Conflict):
    code = "remittance_hub_mismatch"
    message = gettext_lazy("The hub already holds this remittance with other figures.")


class HubTransferClosed(Conflict):
    code = "remittance_hub_closed"
    message = gettext_lazy("The hub already closed this remittance the other way.")


class UnknownHubTransfer(ApiError):
    status_code = 404
    code = "remittance_not_at_hub"
    message = gettext_lazy("The hub holds no such remittance for this tenant.")


@dataclass(frozen=True)
class HubLine:
    account: HubAccount
    amount: int


def corridor_code(send_country: str, receive_country: str) -> str:
    return f"{send_country.upper()}-{receive_country.upper()}"


def hub_account(*, kind: str, currency: str, corridor: str = "", tenant_schema: str = "") -> HubAccount:
    lookup = {"kind": kind, "corridor": corridor, "tenant_schema": tenant_schema, "currency": currency}
    account = HubAccount.objects.filter(**lookup).first()
    if account is None:
        HubAccount.objects.bulk_create([HubAccount(**lookup)], ignore_conflicts=True)
        account = HubAccount.objects.get(**lookup)
    return account


def _post(*, remittance_id: uuid.UUID, step: str, lines: list[HubLine]) -> HubEntry:
    """One balanced entry, once per (remittance, step); the caller holds the transaction and the row lock."""
    totals: Counter[str] = Counter()
    for line in lines:
        if not isinstance(line.amount, int) or isinstance(line.amount, bool) or line.amount == 0:
            raise ValueError("hub amounts are non-zero integers in minor units")
        totals[line.account.currency] += line.amount
    if any(totals.values()):
        raise ValueError(f"unbalanced hub entry: {dict(totals)}")
    reference = f"{remittance_id}:{step}"
    entry, created = HubEntry.objects.get_or_create(reference=reference,
                                                    defaults={"remittance_id": remittance_id, "step": step})
    if created:
        HubPosting.objects.bulk_create([HubPosting(entry=entry, account=line.account, amount=line.amount,
                                                   currency=line.account.currency) for line in lines])
    return entry


def hub_accept(*, public_id: uuid.UUID, sender_schema: str, receiver_schema: str, send_country: str,
               receive_country: str, send_currency: str, receive_currency: str, principal_minor: int,
               receive_minor: int, rate_e9: int, method: str, recipient: dict) -> HubTransfer:
    """Step ``in``: the sender tenant's principal lands on the corridor's clearing account (once)."""
    corridor = corridor_code(send_country, receive_country)
    figures = {"sender_schema": sender_schema, "receiver_schema": receiver_schema, "corridor": corridor,
               "send_currency": send_currency, "receive_currency": receive_currency,
               "principal_minor": principal_minor, "receive_minor": receive_minor, "rate_e9": rate_e9,
               "method": method}
    with transaction.atomic():
        row, created = HubTransfer.objects.select_for_update().get_or_create(  # lock: subject
            public_id=public_id, defaults={**figures, "recipient": recipient})
        if not created and any(getattr(row, k) != v for k, v in figures.items()):
            raise HubMismatch()
        _post(remittance_id=public_id, step=STEP_IN, lines=[
            HubLine(hub_account(kind=HubAccountKind.TENANT_POSITION, tenant_schema=sender_schema,
                                currency=send_currency), -principal_minor),
            HubLine(hub_account(kind=HubAccountKind.CORRIDOR_CLEARING, corridor=corridor, currency=send_currency),
                    principal_minor)])
        return row


def hub_transfer_for_receiver(*, public_id: uuid.UUID, receiver_schema: str) -> HubTransfer:
    """What a receiving tenant may act on: the hub's row, only when it names this tenant as the receiver."""
    row = HubTransfer.objects.filter(public_id=public_id, receiver_schema=receiver_schema).first()
    if row is None or not HubEntry.objects.filter(reference=f"{public_id}:{STEP_IN}").exists():
        raise UnknownHubTransfer()
    return row


def _close(*, public_id: uuid.UUID, target: str) -> HubTransfer:
    with transaction.atomic():
        row = HubTransfer.objects.select_for_update().filter(public_id=public_id).first()  # lock: subject
        if row is None or not HubEntry.objects.filter(reference=f"{public_id}:{STEP_IN}").exists():
            raise UnknownHubTransfer()
        if row.status == target:
            return row
        if row.status != HubTransferStatus.IN_CLEARING:
            raise HubTransferClosed()
        clearing = hub_account(kind=HubAccountKind.CORRIDOR_CLEARING, corridor=row.corridor,
                               currency=row.send_currency)
        if target == HubTransferStatus.SETTLED:
            lines = [HubLine(clearing, -row.principal_minor),
                     HubLine(hub_account(kind=HubAccountKind.FX_POSITION, currency=row.send_currency),
                             row.principal_minor),
                     HubLine(hub_account(kind=HubAccountKind.FX_POSITION, currency=row.receive_currency),
                             -row.receive_minor),
                     HubLine(hub_account(kind=HubAccountKind.TENANT_POSITION, tenant_schema=row.receiver_schema,
                                         currency=row.receive_currency), row.receive_minor)]
            _post(remittance_id=public_id, step=STEP_OUT, lines=lines)
        else:
            _post(remittance_id=public_id, step=STEP_REFUND, lines=[
                HubLine(clearing, -row.principal_minor),
                HubLine(hub_account(kind=HubAccountKind.TENANT_POSITION, tenant_schema=row.sender_schema,
                                    currency=row.send_currency), row.principal_minor)])
        row.status, row.closed_at = target, timezone.now()
        row.save(update_fields=["status", "closed_at", "updated_at"])
        return row


def hub_settle(*, public_id: uuid.UUID) -> HubTransfer:
    """Step ``out``: the receiver tenant credited (or paid out) the recipient: clearing -> FX -> its position."""
    return _close(public_id=public_id, target=HubTransferStatus.SETTLED)


def hub_refund(*, public_id: uuid.UUID) -> HubTransfer:
    """Step ``refund``: the recipient could not be paid: clearing -> back to the sender tenant's position."""
    return _close(public_id=public_id, target=HubTransferStatus.REFUNDED)
