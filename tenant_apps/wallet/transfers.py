"""Transfers: P2P inside the tenant (one ledger entry) and bank payouts through a gateway.

Bank payout: name enquiry -> the amount moves into a hold (committed with the
transfer row) -> after commit a task sends the payout with the transfer's
reference (idempotent at the gateway) -> settle the hold into gateway clearing
on success, release it on failure; a reversal after success is a refund entry
(gateway clearing -> wallet). Unclear answers stay ``pending`` and are polled
until final. Signed transfer webhooks (Paystack) are applied as they come, in
any order, any number of times: the transfer row is locked, final states only
move forward (pending -> succeeded -> reversed, or pending -> failed/reversed),
and every ledger entry has a reference derived from the transfer's.
"""

from __future__ import annotations

import logging
import secrets
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from countries.errors import CountryError
from countries.registry import display_minor
from provider_plugins.interfaces.common import OutcomeStatus, ProviderError, ProviderFault, UserFixableError
from provider_plugins.interfaces.payouts import (
    AccountName,
    TransferEvent,
    TransferRequest,
    TransferResult,
    WalletHolder,
    WalletTransferRequest,
    payout_step_minor,
)
from provider_plugins.interfaces.plugin import Capability
from shared_apps.core.enqueue import enqueue
from shared_apps.core.errors import ApiError, NotFound, error_body
from shared_apps.providers.callbacks import CallbackSource, answer_is_for, bound
from tenant_apps.accounts.country import current_adapter, current_country, normalize_phone
from tenant_apps.accounts.email_proof import proven_email
from tenant_apps.accounts.selectors import users_paid_by_phone
from tenant_apps.kyc.services import kyc_release_spend
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.ledger.errors import BalanceLimitExceeded
from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.services import (
    Line,
    Split,
    place_hold,
    post_entry,
    release_hold,
    settle_hold,
    system_account,
    transfer,
    wallet_for,
)
from tenant_apps.provider_archive.services import archived_call
from tenant_apps.risk.gate import MoneyMove, screen
from tenant_apps.risk.models import Flow
from tenant_apps.tax.entries import tax_entry_metadata

from .failures import REVIEW_REFUSED
from .gateways import Gateway, GatewayError, default_payout_gateway, gateway_by_provider_id, wallet_payout_gateway
from .models import PAYOUT_TYPES, Transfer, TransferStatus, TransferType, WebhookEvent
from .notify import notify_user
from .operation_rails import operation_rails_here
from .webhooks import WebhookResult, record_event

logger = logging.getLogger(__name__)

PAYOUT_REFUND = "payout_refund"


class UnknownRecipient(NotFound):
    code = "unknown_recipient"
    message = _("No user of this site has that phone number or email.")


class SelfTransfer(ApiError):
    code = "self_transfer"
    message = _("You cannot send money to yourself.")


class RecipientBalanceLimit(BalanceLimitExceeded):
    message = _("The recipient's wallet cannot receive this amount: it would pass the maximum balance of the "
                "recipient's verification level.")


class InvalidBankAccount(ApiError):
    status_code = 422
    code = "invalid_account"
    message = _("The bank account could not be found. Check the bank and account number.")


def _new_reference(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _find_recipient(recipient: str):
    users = get_user_model().objects.filter(is_active=True)
    if "@" in recipient:  # only a proven address names an account (accounts.email_proof), as a verified phone does
        found = users.filter(proven_email(), email__iexact=recipient.strip()).first()
    else:
        found = users_paid_by_phone(phone=normalize_phone(recipient, field="recipient")).first()
    if found is None or found.role not in ("customer", "agent"):
        raise UnknownRecipient(fields={"recipient": [gettext("Unknown recipient.")]})
    return found


def _check_currency() -> str:
    return tenant_currency().code


# -- taxes on transfers (countries/tax.py: Nigeria's stamp duty from NGN 10,000; docs/tax.md) -----------------

def transfer_taxes(*, amount_minor: int) -> dict:
    """The levies the sender of ``amount_minor`` pays on top, as Transfer fields (``tax_minor``, ``tax_lines``)."""
    taxes = current_adapter().transfer_taxes(amount_minor=amount_minor, on=timezone.localdate())
    return {"tax_minor": sum(tax.amount_minor for tax in taxes), "tax_lines": [tax.as_dict() for tax in taxes]}


def _tax_postings(row: Transfer) -> list[tuple[str, int]]:
    return [(tax["account_kind"], int(tax["amount_minor"])) for tax in row.tax_lines or () if tax["amount_minor"]]


def _tax_metadata(row: Transfer) -> dict:
    """What the entry records for the tax report: the base of each tax account's amount."""
    return tax_entry_metadata(row.tax_lines or ())


def _debit_total(row: Transfer) -> int:
    """What leaves the sender: the amount and the levies on it."""
    return row.amount_minor + row.tax_minor


def _p2p_entry(row: Transfer) -> None:
    """The P2P entry: sender -(amount + levies), receiver +amount (capped), each levy to its tax account."""
    try:
        # New money for the receiver: refused (nothing written, the sender is told) past the maximum balance
        # of the receiver's KYC tier, checked in the same locked UPDATE that credits it (issue 14).
        transfer(source=wallet_for(user=row.sender, currency=row.currency),
                 destination=wallet_for(user=row.recipient_user, currency=row.currency), amount=row.amount_minor,
                 reference=f"p2p:{row.reference}", metadata={"transfer": str(row.public_id), **_tax_metadata(row)},
                 capped=True, taxes=_tax_postings(row))
    except BalanceLimitExceeded:
        raise RecipientBalanceLimit(fields={"amount": [RecipientBalanceLimit.message]}) from None


# -- P2P ---------------------------------------------------------------------------------------

def p2p_transfer(*, sender, recipient: str, amount_minor: int) -> Transfer:
    """Send from the sender's wallet to another user of this tenant, at once (one entry)."""
    currency = _check_currency()
    receiver = _find_recipient(recipient)
    if receiver.pk == sender.pk:
        raise SelfTransfer(fields={"recipient": [gettext("That is you.")]})
    reference = _new_reference("p2p")
    public_id = uuid.uuid4()
    taxes = transfer_taxes(amount_minor=amount_minor)
    screening = screen(MoneyMove(
        flow=Flow.P2P, user=sender, amount_minor=amount_minor, currency=currency, reference=f"transfer:{reference}",
        recipient=f"user:{receiver.public_id}", recipient_label=_mask(receiver.phone or receiver.email),
        subject_type="transfer", subject_id=str(public_id)))
    if screening.held:  # a risk rule: the money waits on hold until an operator releases it (p2p_release_held)
        row = Transfer.objects.create(public_id=public_id, type=TransferType.P2P, sender=sender,
                                      recipient_user=receiver, amount_minor=amount_minor, currency=currency,
                                      reference=reference, status=TransferStatus.HELD, **taxes)
        row.hold = place_hold(wallet=wallet_for(user=sender, currency=currency), amount=_debit_total(row),
                              reference=f"p2p-held:{reference}", metadata={"transfer": str(row.public_id)})
        row.save(update_fields=["hold", "updated_at"])
        return row
    row = Transfer.objects.create(public_id=public_id, type=TransferType.P2P, sender=sender, recipient_user=receiver,
                                  amount_minor=amount_minor, currency=currency, reference=reference,
                                  status=TransferStatus.SUCCEEDED, completed_at=timezone.now(), **taxes)
    _p2p_entry(row)
    notify_user(sender, "transfer_sent", {"amount": amount_minor, "currency": currency})
    notify_user(receiver, "transfer_received", {"amount": amount_minor, "currency": currency})
    return row


# -- bank payouts ------------------------------------------------------------------------------

def name_enquiry(*, bank_code: str, account_number: str) -> AccountName:
    gateway = default_payout_gateway()
    try:
        return gateway.connector.resolve_account(config=gateway.config, bank_code=bank_code,
                                                 account_number=account_number)
    except UserFixableError:
        raise InvalidBankAccount(fields={"account_number": [gettext("Not found at this bank.")]}) from None
    except ProviderFault:
        raise GatewayError(gettext("The bank could not be reached for the name enquiry; try again.")) from None


def bank_payout_lookup(*, bank_code: str, account_number: str) -> AccountName:
    """The checks of :func:`bank_transfer_start` up to its name enquiry, before the money transaction."""
    _check_currency()
    return name_enquiry(bank_code=bank_code, account_number=account_number)


def bank_transfer_start(*, sender, bank_code: str, account_number: str, amount_minor: int,
                        account: AccountName | None = None) -> Transfer:
    """Name enquiry, KYC, then the money into a hold. The payout is sent after commit (task).

    ``account``: the name enquiry's answer, asked before the money transaction (no outbound HTTP inside it,
    issue 20); None: asked here.
    """
    operation_rails_here()
    currency = _check_currency()
    gateway = default_payout_gateway()
    if account is None:
        account = name_enquiry(bank_code=bank_code, account_number=account_number)
    reference = _new_reference("po")
    public_id = uuid.uuid4()
    taxes = transfer_taxes(amount_minor=amount_minor)
    screening = screen(MoneyMove(
        flow=Flow.BANK_PAYOUT, user=sender, amount_minor=amount_minor, currency=currency,
        reference=f"transfer:{reference}", recipient=f"bank:{bank_code}:{account_number}",
        recipient_label=f"{bank_code} {_mask(account_number)}", subject_type="transfer", subject_id=str(public_id)))
    row = Transfer.objects.create(public_id=public_id, type=TransferType.BANK, sender=sender, bank_code=bank_code,
                                  account_number=account_number, account_name=account.account_name,
                                  amount_minor=amount_minor, currency=currency, reference=reference,
                                  gateway=gateway.key, provider_id=gateway.provider.pk,
                                  status=TransferStatus.HELD if screening.held else TransferStatus.PENDING, **taxes)
    row.hold = place_hold(wallet=wallet_for(user=sender, currency=currency), amount=_debit_total(row),
                          reference=f"payout:{reference}", metadata={"transfer": str(row.public_id)})
    row.save(update_fields=["hold", "updated_at"])
    if not screening.held:  # held: sent only when an operator releases it (payout_release_held)
        enqueue("wallet.submit_payout", row.pk, on_commit=True)
    return row


def payout_from_account(*, account, sender, amount_minor: int, reference: str, gateway: Gateway,
                        bank_code: str = "", account_number: str = "", account_name: str = "", msisdn: str = "",
                        callback_url: str = "", metadata: dict | None = None) -> Transfer:
    """Pay out money held on a business account (a merchant's takings) to a bank account or, with ``msisdn``,
    a mobile-money wallet, through the same state machine as a customer's payout: hold on ``account``,
    the rail called after commit (task), settled / released / refunded back to ``account``, polled until final.
    No KYC spend is counted: it is not the ``sender``'s wallet (the sender is the person the payout is for).
    The recipient must have been checked by the caller (``name_enquiry`` / ``wallet_name_check``).
    """
    operation_rails_here()  # the caller's gateway is the country operation's: never from a reseller brand's books
    kind = TransferType.WALLET if msisdn else TransferType.BANK
    row = Transfer.objects.create(type=kind, sender=sender, bank_code=bank_code if not msisdn else "",
                                  account_number=(msisdn.lstrip("+") if msisdn else account_number)[:20],
                                  account_name=account_name[:200], amount_minor=amount_minor,
                                  currency=account.currency, reference=reference, gateway=gateway.key,
                                  provider_id=gateway.provider.pk, callback_url=callback_url[:500])
    row.hold = place_hold(wallet=account, amount=amount_minor, reference=f"payout:{reference}",
                          metadata={"transfer": str(row.public_id), **(metadata or {})})
    row.save(update_fields=["hold", "updated_at"])
    enqueue("wallet.submit_payout", row.pk, on_commit=True)
    return row


def schedule_payout_poll(*, transfer_id: int, attempt: int) -> None:
    delays = settings.WALLET_POLL_DELAYS_SECONDS
    if attempt < len(delays):
        enqueue("wallet.poll_payout", transfer_id, attempt, countdown=delays[attempt])


def _archived(gateway: Gateway, row: Transfer, operation: str):
    """The rail call's exchanges go to the provider archive (redacted) under the payout, after the call."""
    return archived_call(subject_type="payout", subject_id=row.pk, attempt_ref=row.reference, operation=operation,
                         plugin_key=gateway.key, provider=gateway.provider, config=gateway.config,
                         personal=[row.account_number, row.account_name])


def _send(gateway: Gateway, row: Transfer) -> TransferResult:
    """One rail call for either payout kind; the same reference every time (the rail pays it once)."""
    with _archived(gateway, row, "payout"):
        return _send_unarchived(gateway, row)


def _send_unarchived(gateway: Gateway, row: Transfer) -> TransferResult:
    if row.type == TransferType.WALLET:
        return gateway.connector.send_to_wallet(WalletTransferRequest(
            amount_minor=row.amount_minor, currency=row.currency, reference=row.reference,
            msisdn=row.account_number, country=current_country(), name=row.account_name,
            narration="NexusTop payout", callback_url=row.callback_url), config=gateway.config)
    return gateway.connector.initiate_transfer(TransferRequest(
        amount_minor=row.amount_minor, currency=row.currency, reference=row.reference, bank_code=row.bank_code,
        account_number=row.account_number, account_name=row.account_name, narration="NexusTop transfer"),
        config=gateway.config)


def payout_status_at_rail(*, gateway: Gateway, row: Transfer) -> TransferResult:
    """Requery a payout (never raises for provider trouble: PENDING)."""
    try:
        with _archived(gateway, row, "payout_status"):
            return _payout_status(gateway, row)
    except ProviderError as exc:
        return TransferResult(OutcomeStatus.PENDING, row.reference, provider_status=exc.code, message=exc.code)


def _payout_status(gateway: Gateway, row: Transfer) -> TransferResult:
    if row.type == TransferType.WALLET:
        return gateway.connector.wallet_transfer_status(config=gateway.config, reference=row.reference,
                                                        provider_reference=row.provider_reference,
                                                        country=current_country(), currency=row.currency)
    return gateway.connector.transfer_status(config=gateway.config, reference=row.reference)


def payout_submit(*, transfer_id: int, schedule_poll: bool = True) -> Transfer:
    """Send the payout (what the task runs). Same reference on every call: the gateway pays once."""
    row = Transfer.objects.get(pk=transfer_id)
    if row.status != TransferStatus.PENDING:
        return row
    gateway = gateway_by_provider_id(provider_id=row.payout_provider_id, capability=Capability.PAYOUTS)
    try:
        result = _send(gateway, row)
    except ProviderError as exc:
        # Raised only when the gateway certainly did not act (refused, not sent): give the money back.
        logger.warning("payout refused", extra={"transfer": row.reference, "code": exc.code})
        result = TransferResult(OutcomeStatus.FAILED, row.reference, provider_status=exc.code, message=exc.code)
    if not answer_is_for(plugin_key=row.gateway, expected=row.reference, answered=result.reference,
                         kind="wallet.transfer"):
        result = TransferResult(OutcomeStatus.PENDING, row.reference, provider_status="answer_for_another_reference")
    row = payout_apply(transfer_id=row.pk, status=result.status, reversed_=result.reversed,
                       provider_reference=result.provider_reference, provider_status=result.provider_status,
                       message=result.message)
    if schedule_poll and row.status == TransferStatus.PENDING:
        transaction.on_commit(lambda: schedule_payout_poll(transfer_id=row.pk, attempt=0))
    return row


def payout_apply(*, transfer_id: int, status: OutcomeStatus, reversed_: bool = False, provider_reference: str = "",
                 provider_status: str = "", message: str = "") -> Transfer:
    """Move a payout forward from a gateway answer; each ledger effect happens once."""
    with transaction.atomic():
        # lock: subject
        row = Transfer.objects.select_for_update(of=("self",)).select_related("hold", "sender").get(pk=transfer_id)
        if provider_reference and not row.provider_reference:
            row.provider_reference = provider_reference[:200]
        row.provider_status = (provider_status or row.provider_status)[:60]
        before = row.status
        if status is OutcomeStatus.SUCCESS and before == TransferStatus.PENDING:
            clearing = system_account(kind=AccountKind.GATEWAY_CLEARING, currency=row.currency)
            if row.tax_minor:  # the amount to the rail, each levy to its tax account, in the one settle entry
                splits = [Split(clearing, row.amount_minor)] + [
                    Split(system_account(kind=kind, currency=row.currency), tax) for kind, tax in _tax_postings(row)]
                settle_hold(hold=row.wallet_hold, splits=splits, metadata={"transfer": str(row.public_id),
                                                                    **_tax_metadata(row)})
            else:
                settle_hold(hold=row.wallet_hold, to_account=clearing, metadata={"transfer": str(row.public_id)})
            row.status, row.completed_at = TransferStatus.SUCCEEDED, timezone.now()
        elif status is OutcomeStatus.FAILED and before == TransferStatus.PENDING:
            release_hold(hold=row.wallet_hold, metadata={"transfer": str(row.public_id), "reason": provider_status})
            row.status = TransferStatus.REVERSED if reversed_ else TransferStatus.FAILED
            row.failure_reason, row.completed_at = (message or provider_status)[:255], timezone.now()
            kyc_release_spend(user=row.sender, reference=f"transfer:{row.reference}")
        elif status is OutcomeStatus.FAILED and reversed_ and before == TransferStatus.SUCCEEDED:
            clearing = system_account(kind=AccountKind.GATEWAY_CLEARING, currency=row.currency)
            # Back to the account the money was held on (the sender's wallet, or a merchant's takings).
            wallet = row.hold.wallet if row.hold is not None else wallet_for(user=row.sender, currency=row.currency)
            # The levies come back with the amount: a reversed transfer is no transfer.
            levies = [Line(system_account(kind=kind, currency=row.currency), -tax) for kind, tax in _tax_postings(row)]
            post_entry(entry_type=PAYOUT_REFUND, reference=f"payout-refund:{row.reference}",
                       lines=[Line(clearing, -row.amount_minor), *levies, Line(wallet, _debit_total(row))],
                       metadata={"transfer": str(row.public_id), **_tax_metadata(row)})
            row.status, row.failure_reason = TransferStatus.REVERSED, (message or "reversed")[:255]
            kyc_release_spend(user=row.sender, reference=f"transfer:{row.reference}")
        elif status is not OutcomeStatus.PENDING and before != TransferStatus.PENDING and (
                (status is OutcomeStatus.SUCCESS) != (before == TransferStatus.SUCCEEDED)):
            logger.error("payout answer contradicts a final state", extra={
                "transfer": row.reference, "state": before, "answer": status.value, "reversed": reversed_})
        row.save()
        if row.status != before:
            notify_user(row.sender, f"payout_{row.status}", {"amount": row.amount_minor, "currency": row.currency,
                                                          "account": payout_party(row)})
        return row


def payout_party(row: Transfer) -> str:
    """Whom a payout's texts name: the holder's name where the rail gave one, else the wallet's number (CinetPay and
    Wave have no name check) or the bank account number."""
    if row.account_name:
        return row.account_name
    return f"+{row.account_number}" if row.type == TransferType.WALLET and row.account_number else row.account_number


def payout_poll(*, transfer_id: int, attempt: int) -> str:
    """Requery a pending payout; re-send with the same reference when the gateway never got it."""
    from shared_apps.providers.models import Provider

    row = Transfer.objects.filter(pk=transfer_id).first()
    if row is None or row.provider_id is None or not Provider.objects.filter(pk=row.provider_id).exists():
        return "missing"
    if row.status != TransferStatus.PENDING:
        return row.status
    Transfer.objects.filter(pk=transfer_id).update(polls=row.polls + 1)
    result = payout_verify(row=row)  # the payout's own gateway row, about this reference only
    if result.status is OutcomeStatus.PENDING and result.provider_status == "not_found" and attempt >= 1:
        # Never arrived: re-send with the same reference (the gateway pays a reference at most once).
        row = payout_submit(transfer_id=transfer_id, schedule_poll=False)
    else:
        row = payout_apply(transfer_id=transfer_id, status=result.status, reversed_=result.reversed,
                           provider_reference=result.provider_reference, provider_status=result.provider_status,
                           message=result.message)
    if row.status == TransferStatus.PENDING:
        schedule_payout_poll(transfer_id=transfer_id, attempt=attempt + 1)
    return row.status


def payout_verify(*, row: Transfer) -> TransferResult:
    """Ask the payout's own gateway row about it; an answer about another reference counts as unclear."""
    gateway = gateway_by_provider_id(provider_id=row.payout_provider_id, capability=Capability.PAYOUTS)
    result = payout_status_at_rail(gateway=gateway, row=row)  # never raises: provider trouble is PENDING
    if not answer_is_for(plugin_key=row.gateway, expected=row.reference, answered=result.reference,
                         kind="wallet.transfer"):
        return TransferResult(OutcomeStatus.PENDING, row.reference, provider_status="answer_for_another_reference")
    return result


def handle_transfer_event(*, key: str, event: TransferEvent, source: CallbackSource) -> WebhookResult:
    """A signed transfer webhook (the callback binding, issue 14): deduplicated by event id, the payout looked
    up only among those sent to this gateway, verified with the gateway before value moves, and the dedupe
    record written in the money's transaction."""
    seen = WebhookEvent.objects.filter(provider=key, event_id=event.event_id[:200]).values_list("subject", flat=True) \
        .first()
    if seen is not None and seen == event.reference:
        return WebhookResult(200, {"status": "duplicate"})
    row = bound(Transfer.objects.filter(type__in=PAYOUT_TYPES), source=source, reference=event.reference) \
        if event.reference else None
    if row is None:
        logger.info("transfer webhook for an unknown reference", extra={"provider": key})
        return WebhookResult(200, {"status": "ignored"})
    if event.amount_minor is not None and event.amount_minor != row.amount_minor:
        logger.error("transfer webhook amount differs", extra={"transfer": row.reference})
    result = payout_verify(row=row)
    if result.status is OutcomeStatus.PENDING:
        if event.status is not OutcomeStatus.PENDING and row.status == TransferStatus.PENDING:
            # The gateway does not confirm (yet): nothing recorded, the provider delivers again, polls go on.
            return WebhookResult(503, error_body("verification_unavailable",
                                                 "The gateway could not confirm this transfer yet; retry later."))
        return WebhookResult(200, {"status": row.status, "reference": row.reference})
    with transaction.atomic():
        if not record_event(provider=key, event_id=event.event_id, event_type=event.event_type,
                            subject=row.reference, outcome=result.status.value) and seen is None:
            return WebhookResult(200, {"status": "duplicate"})
        row = payout_apply(transfer_id=row.pk, status=result.status, reversed_=result.reversed,
                           provider_reference=result.provider_reference or event.provider_reference,
                           provider_status=result.provider_status or event.event_type, message=result.message)
    return WebhookResult(200, {"status": row.status, "reference": row.reference})



# -- payouts to the customer's own mobile-money wallet ------------------------------------------

def _wallet_number(phone: str) -> tuple[str, str | None]:
    """The tenant country's E.164 form (validated by the adapter) and the number's network."""
    e164 = normalize_phone(phone, field="phone")
    try:
        network = current_adapter().detect_network(e164)
    except (ValueError, CountryError):  # an unknown prefix: no network restriction can be checked
        network = None
    return e164, network


def wallet_name_check(*, phone: str, rail: str = "") -> tuple[Gateway, WalletHolder]:
    """Who holds the wallet, where the rail offers a name check (MoMo, Airtel); the number alone otherwise."""
    e164, network = _wallet_number(phone)
    gateway = wallet_payout_gateway(key=rail, network=network)
    try:
        holder = gateway.connector.wallet_holder(config=gateway.config, msisdn=e164.lstrip("+"),
                                                 country=current_country(), currency=_check_currency())
    except UserFixableError:
        raise InvalidBankAccount(gettext("No mobile-money wallet that can receive money has this number."),
                                 code="invalid_wallet",
                                 fields={"phone": [gettext("No wallet on this rail.")]}) from None
    except ProviderFault:
        raise GatewayError(
            gettext("The mobile-money rail could not be reached for the name check; try again.")) from None
    return gateway, holder


# Rails that take a notification URL per payout (the others are configured once on the rail's portal).
PAYOUT_NOTIFY_PATHS = {"mtn_momo": "webhook/mtn_momo/disbursement", "cinetpay": "webhook/cinetpay/transfer"}


def wallet_payout_rails() -> list[dict[str, str]]:
    """The rails this site pays wallets through (``name_check``: the rail shows the holder's name)."""
    from .gateways import WALLET_RAIL_NETWORKS, wallet_payout_gateways

    here = set(current_adapter().networks)  # the rail's network keys of this country only
    return [{"rail": g.key, "name": g.provider.name, "name_check": "yes" if g.key in WALLET_RAIL_NETWORKS else "no",
             "networks": ",".join(sorted(WALLET_RAIL_NETWORKS[g.key] & here)) if g.key in WALLET_RAIL_NETWORKS
             else "any"}
            for g in wallet_payout_gateways()]


def _check_own_wallet(*, sender, phone: str) -> None:
    if not sender.phone or normalize_phone(phone, field="phone") != sender.phone:
        raise ApiError(gettext("Cash-out goes to your own mobile-money wallet: the number you verified."),
                       code="not_own_wallet", fields={"phone": [gettext("Must be your verified number.")]})


def wallet_payout_lookup(*, sender, phone: str, rail: str = "") -> tuple[Gateway, WalletHolder]:
    """The checks of :func:`wallet_transfer_start` up to its name check, before the money transaction."""
    _check_currency()
    _check_own_wallet(sender=sender, phone=phone)
    return wallet_name_check(phone=phone, rail=rail)


def wallet_transfer_start(*, sender, phone: str, amount_minor: int, rail: str = "", site_url: str = "",
                          checked: tuple[Gateway, WalletHolder] | None = None) -> Transfer:
    """Pay out to a mobile-money wallet: name check, KYC, hold; the rail is called after commit (task).

    Same payout state machine as bank payouts (``payout_apply``): settled on success, released on failure,
    refunded on a reversal after success, polled until final. ``checked``: :func:`wallet_payout_lookup`'s
    answer, asked before the money transaction (issue 20); None: asked here.
    """
    operation_rails_here()
    currency = _check_currency()
    _check_own_wallet(sender=sender, phone=phone)
    gateway, holder = checked if checked is not None else wallet_name_check(phone=phone, rail=rail)
    _check_rail_step(gateway, amount_minor=amount_minor, currency=currency)
    reference = _new_reference("po")
    public_id = uuid.uuid4()
    msisdn = holder.msisdn.lstrip("+")
    taxes = transfer_taxes(amount_minor=amount_minor)
    screening = screen(MoneyMove(
        flow=Flow.WALLET_PAYOUT, user=sender, amount_minor=amount_minor, currency=currency,
        reference=f"transfer:{reference}", recipient=f"wallet:{msisdn}", recipient_label=_mask(msisdn),
        subject_type="transfer", subject_id=str(public_id)))
    row = Transfer.objects.create(public_id=public_id, type=TransferType.WALLET, sender=sender, account_number=msisdn,
                                  account_name=holder.name[:200], amount_minor=amount_minor, currency=currency,
                                  status=TransferStatus.HELD if screening.held else TransferStatus.PENDING,
                                  reference=reference, gateway=gateway.key, provider_id=gateway.provider.pk,
                                  callback_url=(site_url.rstrip("/") + "/" + PAYOUT_NOTIFY_PATHS[gateway.key])[:500]
                                  if site_url and gateway.key in PAYOUT_NOTIFY_PATHS else "", **taxes)
    row.hold = place_hold(wallet=wallet_for(user=sender, currency=currency), amount=_debit_total(row),
                          reference=f"payout:{reference}", metadata={"transfer": str(row.public_id)})
    row.save(update_fields=["hold", "updated_at"])
    if not screening.held:
        enqueue("wallet.submit_payout", row.pk, on_commit=True)
    return row


def _check_rail_step(gateway: Gateway, *, amount_minor: int, currency: str) -> None:
    """400 ``invalid_amount`` for an amount the rail cannot pay (CinetPay: multiples of 5 units; Airtel Money:
    whole units), before anything is held: it used to be accepted (202), sent, refused there and released."""
    step = payout_step_minor(gateway.connector, currency)
    if amount_minor % step:
        text = display_minor(step, currency)
        raise ApiError(_("%(rail)s pays amounts in steps of %(step)s.") % {
            "rail": gateway.provider.name, "step": text}, code="invalid_amount",
            fields={"amount": [gettext("A multiple of %(step)s.") % {"step": text}]})


def _mask(value: str) -> str:
    value = value or ""
    return value[:4] + "*" * max(len(value) - 7, 0) + value[-3:] if len(value) > 7 else "***"


# -- transfers a risk rule held (released or rejected by an operator: tenant_apps.risk.review) ----------------

def transfer_risk_release(*, transfer_id: int) -> Transfer:
    """Send a held transfer: a payout goes to its rail (pending, the submit task after commit); a P2P transfer
    is completed now (the hold back to the sender, then the ordinary P2P entry to the receiver, capped)."""
    with transaction.atomic():
        # lock: subject
        row = Transfer.objects.select_for_update(of=("self",)).select_related("hold", "sender", "recipient_user") \
            .get(pk=transfer_id)
        if row.status != TransferStatus.HELD:
            raise ApiError(gettext("This transfer is not held for review."), code="review_closed", status_code=409)
        if row.type in PAYOUT_TYPES:
            row.status = TransferStatus.PENDING
            row.save(update_fields=["status", "updated_at"])
            enqueue("wallet.submit_payout", row.pk, on_commit=True)
            return row
        release_hold(hold=row.wallet_hold, metadata={"transfer": str(row.public_id), "reason": "risk_released"})
        _p2p_entry(row)
        row.status, row.completed_at = TransferStatus.SUCCEEDED, timezone.now()
        row.save(update_fields=["status", "completed_at", "updated_at"])
        notify_user(row.sender, "transfer_sent", {"amount": row.amount_minor, "currency": row.currency})
        notify_user(row.recipient_user, "transfer_received", {"amount": row.amount_minor, "currency": row.currency})
        return row


def transfer_risk_reject(*, transfer_id: int, note: str = "") -> Transfer:
    """Refuse a held transfer: the hold goes back to the sender, the KYC allowance too; never sent."""
    with transaction.atomic():
        # lock: subject
        row = Transfer.objects.select_for_update(of=("self",)).select_related("hold", "sender").get(pk=transfer_id)
        if row.status != TransferStatus.HELD:
            raise ApiError(gettext("This transfer is not held for review."), code="review_closed", status_code=409)
        release_hold(hold=row.wallet_hold, metadata={"transfer": str(row.public_id), "reason": "risk_rejected"})
        kyc_release_spend(user=row.sender, reference=f"transfer:{row.reference}")
        row.status, row.completed_at = TransferStatus.FAILED, timezone.now()
        row.failure_reason = f"{REVIEW_REFUSED}: {note}"[:255] if note else REVIEW_REFUSED
        row.save(update_fields=["status", "completed_at", "failure_reason", "updated_at"])
        if row.type in PAYOUT_TYPES:
            notify_user(row.sender, "payout_failed", {"amount": row.amount_minor, "currency": row.currency,
                                                  "account": payout_party(row)})
        return row


def handle_wallet_callback(*, key: str, event: TransferEvent, source: CallbackSource) -> WebhookResult:
    """A rail's payout notification: authenticated where the rail signs, deduplicated, bound to a payout we
    sent through this same rail, then VERIFIED with the rail (status lookup) before the hold moves; the
    dedupe row and the state change commit together."""
    seen = WebhookEvent.objects.filter(provider=key, event_id=event.event_id[:200]).values_list("subject", flat=True) \
        .first()
    if seen is not None and seen == event.reference:
        return WebhookResult(200, {"status": "duplicate"})
    row = bound(Transfer.objects.filter(type=TransferType.WALLET), source=source, reference=event.reference) \
        if event.reference else None
    if row is None:
        logger.info("payout callback for a payout this rail did not send", extra={"provider": key})
        return WebhookResult(200, {"status": "ignored"})
    result = payout_verify(row=row)  # the rail's own word (the payout's own registry row), not the callback's
    if result.status is OutcomeStatus.PENDING:
        return WebhookResult(200, {"status": row.status, "reference": row.reference})  # not recorded: may redeliver
    with transaction.atomic():
        if not record_event(provider=key, event_id=event.event_id, event_type=event.event_type,
                            subject=row.reference, outcome=result.status.value) and seen is None:
            return WebhookResult(200, {"status": "duplicate"})
        row = payout_apply(transfer_id=row.pk, status=result.status, reversed_=result.reversed,
                           provider_reference=result.provider_reference, provider_status=result.provider_status,
                           message=result.message)
    return WebhookResult(200, {"status": row.status, "reference": row.reference})
