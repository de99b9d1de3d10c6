"""Merchant payments: registration and business KYC review, paying by code or EMVCo QR, refunds, fees,
daily settlement. The only writes of this app; money moves through ``tenant_apps.ledger.services``.

A payment is ONE journal entry: payer wallet -amount, merchant takings +(amount - fee), revenue +fee.
A refund is one entry the other way (the payer +refund, the takings and revenue give back their
proportional shares), under the payment's row lock, so refunds never add up to more than was paid.
Settlement moves the takings balance once per merchant per business day: to the owner's wallet (one
entry) or out through the wallet app's payout state machine (hold on the takings, sent after commit).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from moneyed import get_currency

from countries.money import decimal_text, money_of
from countries.registry import display_minor
from countries.tax import TaxAmount, TaxSplit
from provider_plugins.interfaces.common import ProviderFault, UserFixableError
from shared_apps.core.errors import ApiError, Conflict, Forbidden, NotFound
from tenant_apps.accounts.country import current_adapter, current_country, normalize_phone
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.ledger.currency import tenant_currency, to_minor
from tenant_apps.ledger.errors import BalanceLimitExceeded, InsufficientFunds
from tenant_apps.ledger.models import Account, AccountKind
from tenant_apps.ledger.services import (
    Line,
    balance_ceiling,
    holder_account,
    post_entry,
    system_account,
    wallet_for,
)
from tenant_apps.risk.gate import MoneyMove, screen
from tenant_apps.risk.models import Flow
from tenant_apps.tax.entries import tax_entry_metadata
from tenant_apps.wallet import failures as wallet_failures
from tenants.connection import current_schema

from . import emvqr
from .models import (
    Merchant,
    MerchantCategory,
    MerchantPayment,
    MerchantRefund,
    MerchantSettlement,
    MerchantStatus,
    PaymentChannel,
    PaymentRequest,
    PaymentRequestStatus,
    PaymentStatus,
    SettlementMethod,
    SettlementStatus,
)
from .notices import notify_payment

logger = logging.getLogger(__name__)

PAYMENT_ENTRY = "merchant_payment"
REFUND_ENTRY = "merchant_refund"
SETTLEMENT_ENTRY = "merchant_settlement"
# A wallet settlement the owner's wallet cannot take (its KYC tier's maximum balance): ``failure_reason``.
BALANCE_LIMIT = wallet_failures.BALANCE_LIMIT


class MerchantNotFound(NotFound):
    code = "unknown_merchant"
    message = _("No active merchant has this code.")


class MerchantNotActive(Conflict):
    code = "merchant_not_active"
    message = _("This merchant cannot take payments right now.")


class QrInvalid(ApiError):
    code = "invalid_qr"
    message = _("This QR code cannot be read as a payment code.")


class RefundTooLarge(ApiError):
    status_code = 422
    code = "refund_exceeds_payment"
    message = _("A refund cannot be more than what is left of the payment.")


class TakingsTooLow(ApiError):
    status_code = 422
    code = "merchant_takings_too_low"
    message = _("The unsettled takings do not cover this refund.")


# --- codes ---------------------------------------------------------------------------------------

def luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def merchant_code_valid(code: str) -> bool:
    return len(code) == 8 and code.isdigit() and code.isascii() and luhn_digit(code[:7]) == code[7]


def _new_merchant_code() -> str:
    for _attempt in range(20):
        body = str(secrets.randbelow(9_000_000) + 1_000_000)
        code = body + luhn_digit(body)
        if not Merchant.objects.filter(code=code).exists():
            return code
    raise RuntimeError("no free merchant code")  # 9 million codes: unreachable in practice


def _reference(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _bad(field: str, message: str, *, code: str = "validation_error") -> ApiError:
    return ApiError(gettext("Some fields are invalid."), code=code, fields={field: [message]})


# --- tax on the fee -------------------------------------------------------------------------------

def share_back(part_minor: int, *, before: int, after: int, paid: int) -> int:
    """What a refund taking the refunded total from ``before`` to ``after`` (of ``paid``) gives back of a part of
    the payment (its fee, a tax on the fee): cumulative floors, so refunds in any steps never give back more than
    the part and a full refund gives back exactly all of it."""
    return (part_minor * after) // paid - (part_minor * before) // paid


def fee_taxes(*, fee_minor: int) -> TaxSplit:
    """The country's taxes on the platform's fee income (VAT and levies carved out of the fee, countries/tax.py)."""
    return current_adapter().sale_taxes(income_minor=fee_minor, on=timezone.localdate())


def _tax_metadata(taxes: tuple[TaxAmount, ...]) -> dict[str, Any]:
    """What the tax report reads (``tax_bases``) and what a refund gives back in proportion (``taxes``)."""
    charged = [tax for tax in taxes if tax.amount_minor]
    return {"taxes": [tax.as_dict() for tax in charged], **tax_entry_metadata(charged)} if charged else {}


# --- categories and fees (operator) ----------------------------------------------------------------

def category_update(*, actor, category: MerchantCategory, fee_bps: int, fee_fixed_minor: int = 0,
                    fee_cap_minor: int | None = None, active: bool = True, request: Any = None) -> MerchantCategory:
    """The operator sets a category's fee; applies to payments from now on (each payment stores its fee)."""
    for name, value in (("fee_bps", fee_bps), ("fee_fixed", fee_fixed_minor)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _bad(name, gettext("Must be zero or more."))
    if fee_bps > 10_000:
        raise _bad("fee_bps", gettext("At most 10000 (100 %)."))
    if fee_cap_minor is not None and (isinstance(fee_cap_minor, bool) or not isinstance(fee_cap_minor, int)
                                      or fee_cap_minor < 0):
        raise _bad("fee_cap", gettext("Must be zero or more."))
    with transaction.atomic():
        locked = MerchantCategory.objects.select_for_update().get(pk=category.pk)  # lock: standalone
        before = {"fee_bps": locked.fee_bps, "fee_fixed_minor": locked.fee_fixed_minor,
                  "fee_cap_minor": locked.fee_cap_minor, "active": locked.active}
        locked.fee_bps, locked.fee_fixed_minor, locked.fee_cap_minor, locked.active = \
            fee_bps, fee_fixed_minor, fee_cap_minor, active
        locked.save()
        audit_record(action=AuditAction.MERCHANT_FEES_CHANGED, request=request, actor=actor,
                     subject_type="merchant_category", subject_id=locked.code,
                     details={"before": before, "after": {"fee_bps": fee_bps, "fee_fixed_minor": fee_fixed_minor,
                                                          "fee_cap_minor": fee_cap_minor, "active": active}})
    return locked


# --- registration, settlement details, review ---------------------------------------------------

@dataclass(frozen=True)
class SettlementDetails:
    method: str = SettlementMethod.WALLET
    bank_code: str = ""
    account_number: str = ""
    rail: str = ""


def _resolve_settlement(owner, details: SettlementDetails) -> dict[str, str]:
    """Check the destination with the bank (name enquiry) or the rail (wallet holder): the name is stored
    and shown, so a merchant sees whose account they are paid into. Mobile money goes to the owner's own
    verified number only (as a customer's cash-out: a stolen session cannot redirect takings elsewhere)."""
    from tenant_apps.wallet.transfers import name_enquiry, wallet_name_check

    empty = {"settlement_bank_code": "", "settlement_account_number": "", "settlement_account_name": "",
             "settlement_phone": "", "settlement_rail": ""}
    if details.method == SettlementMethod.WALLET:
        return {"settlement_method": SettlementMethod.WALLET, **empty}
    if details.method == SettlementMethod.BANK:
        if not details.bank_code or not details.account_number.isdigit():
            raise _bad("account_number", gettext("Enter the bank and the account number."))
        account = name_enquiry(bank_code=details.bank_code, account_number=details.account_number)
        return {**empty, "settlement_method": SettlementMethod.BANK, "settlement_bank_code": details.bank_code,
                "settlement_account_number": details.account_number,
                "settlement_account_name": account.account_name[:200]}
    if details.method == SettlementMethod.MOBILE_MONEY:
        if not owner.phone or not owner.phone_verified_at:
            raise _bad("settlement_method", gettext("Verify your phone number first."))
        gateway, holder = wallet_name_check(phone=owner.phone, rail=details.rail)
        return {**empty, "settlement_method": SettlementMethod.MOBILE_MONEY, "settlement_phone": owner.phone,
                "settlement_rail": gateway.key, "settlement_account_name": (holder.name or "")[:200]}
    raise _bad("settlement_method", gettext("Choose wallet, bank or mobile_money."))


def merchant_register(*, owner, business_name: str, category_code: str, city: str, address: str,
                      registration_number: str = "", contact_phone: str = "",
                      settlement: SettlementDetails | None = None, request: Any = None) -> Merchant:
    """A customer opens a business: it takes payments once the operator approved its details."""
    if owner.role not in ("customer", "agent"):
        raise Forbidden(gettext("Only customers and agents can open a business."), code="role_not_allowed")
    if not owner.phone_verified_at:
        raise Forbidden(gettext("Verify your phone number before moving money."), code="phone_not_verified")
    business_name, city, address = (business_name or "").strip(), (city or "").strip(), (address or "").strip()
    if not 2 <= len(business_name) <= 100:
        raise _bad("business_name", gettext("Between 2 and 100 characters."))
    if not emvqr.ascii_text(business_name, 25):
        raise _bad("business_name", gettext("Use at least one Latin letter or digit."))
    if not 2 <= len(city) <= 60 or not emvqr.ascii_text(city, 15):
        raise _bad("city", gettext("Enter the town or city."))
    if not 5 <= len(address) <= 200:
        raise _bad("address", gettext("Enter the business address."))
    category = MerchantCategory.objects.filter(code=category_code, active=True).first()
    if category is None:
        raise _bad("category", gettext("Choose one of the listed categories."))
    phone = normalize_phone(contact_phone, field="contact_phone") if contact_phone else ""
    resolved = _resolve_settlement(owner, settlement or SettlementDetails())  # network calls before the transaction
    try:
        with transaction.atomic():
            merchant = Merchant(code=_new_merchant_code(), owner=owner, business_name=business_name,
                                category=category, city=city, address=address,
                                registration_number=(registration_number or "").strip()[:40], contact_phone=phone,
                                **resolved)
            merchant.account = holder_account(kind=AccountKind.MERCHANT, holder=merchant.holder)
            merchant.save()
            audit_record(action=AuditAction.MERCHANT_REGISTERED, request=request, actor=owner,
                         subject_type="merchant", subject_id=str(merchant.public_id),
                         details={"code": merchant.code, "category": category.code,
                                  "settlement": merchant.settlement_method})
    except IntegrityError:
        raise _bad("business_name", gettext("You already have a business with this name."),
                   code="merchant_name_taken") from None
    return merchant


def merchant_update_settlement(*, merchant: Merchant, actor, settlement: SettlementDetails,
                               request: Any = None) -> Merchant:
    """Change where takings go (owner only); audited. Takings already on their way are not affected."""
    if merchant.owner_id != actor.pk:
        raise Forbidden(gettext("Only the owner can change where the business is paid."), code="not_merchant_owner")
    resolved = _resolve_settlement(actor, settlement)
    with transaction.atomic():
        locked = Merchant.objects.select_for_update().get(pk=merchant.pk)  # lock: subject
        before = {"method": locked.settlement_method, "account": locked.settlement_account_number[-4:],
                  "phone": locked.settlement_phone[-4:]}
        for key, value in resolved.items():
            setattr(locked, key, value)
        locked.save()
        audit_record(action=AuditAction.MERCHANT_SETTLEMENT_CHANGED, request=request, actor=actor,
                     subject_type="merchant", subject_id=str(locked.public_id),
                     details={"before": before, "after": {"method": locked.settlement_method,
                                                          "account": locked.settlement_account_number[-4:],
                                                          "phone": locked.settlement_phone[-4:]}})
    return locked


_DECISIONS = {
    # action: (allowed from, to, audit action)
    "approve": ({MerchantStatus.PENDING}, MerchantStatus.ACTIVE, AuditAction.MERCHANT_APPROVED),
    "reject": ({MerchantStatus.PENDING}, MerchantStatus.REJECTED, AuditAction.MERCHANT_REJECTED),
    "suspend": ({MerchantStatus.ACTIVE}, MerchantStatus.SUSPENDED, AuditAction.MERCHANT_SUSPENDED),
    "reactivate": ({MerchantStatus.SUSPENDED}, MerchantStatus.ACTIVE, AuditAction.MERCHANT_REACTIVATED),
}


def merchant_decide(*, reviewer, merchant: Merchant, action: str, note: str = "", request: Any = None) -> Merchant:
    """The operator's business-KYC decision (approve / reject a pending merchant) or suspend / reactivate.

    Each transition happens once under the row lock (409 otherwise); nobody reviews their own business.
    A suspended merchant takes no payments and is not settled until reactivated (refunds still work).
    """
    if action not in _DECISIONS:
        raise _bad("action", gettext("Unknown action."))
    if merchant.owner_id == reviewer.pk:
        raise Forbidden(gettext("You cannot review your own business."), code="own_submission")
    allowed_from, target, audit_action = _DECISIONS[action]
    with transaction.atomic():
        locked = Merchant.objects.select_for_update().get(pk=merchant.pk)  # lock: subject
        if locked.status not in allowed_from:
            raise Conflict(gettext("This business is not in a state that allows this."), code="merchant_state_conflict")
        locked.status, locked.reviewed_by, locked.reviewed_at = target, reviewer, timezone.now()
        locked.review_note = (note or "")[:255]
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"])
        audit_record(action=audit_action, request=request, actor=reviewer, subject_type="merchant",
                     subject_id=str(locked.public_id), details={"code": locked.code, "note": (note or "")[:255]})
    return locked


# --- QR codes ----------------------------------------------------------------------------------

def _qr_gui() -> str:
    return settings.MERCHANT_QR_GUI


# ISO 4217 numeric codes py-moneyed lacks: the ouguiya of 2018 (MRU, 929; moneyed knows only the old MRO, 478).
# Without it every Mauritanian merchant QR (static, dynamic, and paying one) answered 500.
ISO_NUMERIC = {"MRU": 929}


def currency_numeric(currency: str) -> str:
    numeric = get_currency(currency).numeric or ISO_NUMERIC.get(currency)
    if numeric is None:
        raise ValueError(f"{currency} has no ISO 4217 numeric code")
    return f"{int(numeric):03d}"


def _merchant_qr(merchant: Merchant, *, amount_minor: int | None = None, reference: str = "",
                 bill_number: str = "") -> emvqr.MerchantPresentedQr:
    currency = tenant_currency().code
    additional: list[tuple[str, str]] = []
    if bill_number:
        additional.append((emvqr.BILL_NUMBER, bill_number))
    if reference:
        additional.append((emvqr.REFERENCE_LABEL, reference))
    account = emvqr.MerchantAccount(object_id="26", fields=(("00", _qr_gui()), ("01", merchant.code),
                                                            ("02", current_schema()[:25])))
    return emvqr.MerchantPresentedQr(
        merchant_accounts=(account,), mcc=merchant.category.mcc, currency=currency_numeric(currency),
        country=current_country(), merchant_name=emvqr.ascii_text(merchant.business_name, 25),
        merchant_city=emvqr.ascii_text(merchant.city, 15),
        point_of_initiation=emvqr.DYNAMIC if amount_minor is not None else emvqr.STATIC,
        amount=decimal_text(money_of(amount_minor, currency)) if amount_minor is not None else "",
        additional_data=tuple(additional))


def merchant_static_qr(*, merchant: Merchant) -> str:
    """The merchant's printed code (point of initiation 11): the payer types the amount."""
    return emvqr.encode(_merchant_qr(merchant))


def payment_request_create(*, merchant: Merchant, actor, amount_minor: int, bill_number: str = "",
                           ttl: timedelta | None = None) -> PaymentRequest:
    """A dynamic QR (point of initiation 12) for one payment of ``amount_minor``; paid at most once."""
    if merchant.owner_id != actor.pk:
        raise Forbidden(gettext("Only the owner can ask for payments."), code="not_merchant_owner")
    if merchant.status != MerchantStatus.ACTIVE:
        raise MerchantNotActive()
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise _bad("amount", gettext("Must be positive."), code="invalid_amount")
    bill_number = (bill_number or "").strip()
    if len(bill_number) > 25 or (bill_number and not bill_number.isascii()):
        raise _bad("bill_number", gettext("At most 25 plain characters."))
    ttl = ttl or timedelta(seconds=settings.MERCHANT_PAYMENT_REQUEST_TTL_SECONDS)
    return PaymentRequest.objects.create(reference="R" + secrets.token_hex(8).upper(), merchant=merchant,
                                         amount_minor=amount_minor, currency=tenant_currency().code,
                                         bill_number=bill_number, expires_at=timezone.now() + ttl)


def payment_request_qr(*, payment_request: PaymentRequest) -> str:
    return emvqr.encode(_merchant_qr(payment_request.merchant, amount_minor=payment_request.amount_minor,
                                     reference=payment_request.reference, bill_number=payment_request.bill_number))


@dataclass(frozen=True)
class Payee:
    """Who a code or a scanned QR pays, and how much when the QR says so."""

    merchant: Merchant
    channel: str
    amount_minor: int | None = None
    payment_request: PaymentRequest | None = None


def _active_merchant(code: str) -> Merchant:
    code = (code or "").strip()
    if not merchant_code_valid(code):
        raise MerchantNotFound(fields={"merchant_code": [gettext("Check the 8 digits.")]})
    merchant = Merchant.objects.select_related("category", "account").filter(code=code).first()
    if merchant is None:
        raise MerchantNotFound(fields={"merchant_code": [gettext("Unknown merchant.")]})
    if merchant.status != MerchantStatus.ACTIVE:
        raise MerchantNotActive()
    return merchant


def payee_from_code(code: str) -> Payee:
    return Payee(merchant=_active_merchant(code), channel=PaymentChannel.CODE)


def payee_from_qr(payload: str) -> Payee:
    """Validate a scanned payload (CRC, mandatory objects), then bind it to THIS site: our GUI and tenant,
    this country and currency, an active merchant, and for a dynamic code an open request of that merchant
    with the same amount (the payload's own amount is never trusted alone)."""
    try:
        qr = emvqr.decode(payload)
    except emvqr.QrError as exc:
        raise QrInvalid(code=exc.code, fields={"qr": [exc.detail]}) from None
    account = qr.account_with_gui(_qr_gui())
    if account is None or account.field("02") != current_schema()[:25]:
        raise QrInvalid(gettext("This QR code belongs to another payment service."), code="qr_other_service",
                        fields={"qr": [gettext("Not a code of this site.")]})
    currency = tenant_currency().code
    if qr.currency != currency_numeric(currency) or qr.country != current_country():
        raise QrInvalid(gettext("This QR code is for another country or currency."), code="qr_other_service",
                        fields={"qr": [gettext("Another country or currency.")]})
    merchant = _active_merchant(account.field("01"))
    if not qr.is_dynamic:
        if qr.amount:
            raise QrInvalid(code="qr_invalid_field", fields={"qr": [gettext("A static code carries no amount.")]})
        return Payee(merchant=merchant, channel=PaymentChannel.QR_STATIC)
    request = PaymentRequest.objects.filter(reference=qr.additional(emvqr.REFERENCE_LABEL), merchant=merchant).first()
    try:
        amount = to_minor(qr.amount, currency) if qr.amount else None
    except (ValueError, ArithmeticError):
        amount = None
    if request is None or amount != request.amount_minor:
        raise QrInvalid(gettext("This payment code is not valid."), code="qr_unknown_request",
                        fields={"qr": [gettext("Unknown payment request.")]})
    _check_request_open(request)
    return Payee(merchant=merchant, channel=PaymentChannel.QR_DYNAMIC, amount_minor=request.amount_minor,
                 payment_request=request)


def _check_request_open(request: PaymentRequest, *, now: datetime | None = None) -> None:
    if request.status == PaymentRequestStatus.PAID:
        raise Conflict(gettext("This payment code was already paid."), code="qr_already_paid")
    if request.status != PaymentRequestStatus.OPEN or request.expires_at <= (now or timezone.now()):
        raise Conflict(gettext("This payment code has expired. Ask the merchant for a new one."), code="qr_expired")


# --- paying ------------------------------------------------------------------------------------

def merchant_pay(*, payer, payee: Payee, amount_minor: int | None = None, note: str = "") -> MerchantPayment:
    """Pay a merchant from the payer's wallet: one balanced entry (payer -amount, takings +net, revenue +fee).

    The amount is the payer's for a code or a static QR; a dynamic QR fixes it (another amount is refused).
    KYC tier limits apply as for any spend; the owner cannot pay their own business.
    """
    merchant = payee.merchant
    if payee.amount_minor is not None:
        if amount_minor is not None and amount_minor != payee.amount_minor:
            raise _bad("amount", gettext("This code is for a set amount."), code="amount_mismatch")
        amount_minor = payee.amount_minor
    if amount_minor is None or isinstance(amount_minor, bool) or not isinstance(amount_minor, int) \
            or amount_minor <= 0:
        raise _bad("amount", gettext("Enter an amount."), code="invalid_amount")
    if merchant.owner_id == payer.pk:
        raise ApiError(gettext("You cannot pay your own business."), code="self_payment",
                       fields={"merchant_code": [gettext("That is your business.")]})
    currency = tenant_currency().code
    reference = _reference("mp")
    with transaction.atomic():
        if payee.payment_request is not None:
            request = PaymentRequest.objects.select_for_update().get(pk=payee.payment_request.pk)  # lock: subject
            _check_request_open(request)
        # KYC limits and the tenant's rules; a payment at a till cannot wait for a review (a hold refuses it).
        screen(MoneyMove(flow=Flow.MERCHANT_PAYMENT, user=payer, amount_minor=amount_minor, currency=currency,
                         reference=f"merchant:{reference}", recipient=f"merchant:{merchant.code}",
                         recipient_label=merchant.code, subject_type="merchant_payment", subject_id=reference))
        fee = merchant.category.fee_for(amount_minor)
        taxes = fee_taxes(fee_minor=fee)
        added = sum(tax.amount_minor for tax in taxes.taxes if not tax.included)  # an exclusive tax: on the takings
        lines = [Line(wallet_for(user=payer, currency=currency), -amount_minor),
                 Line(merchant.account, amount_minor - fee - added),
                 Line(system_account(kind=AccountKind.REVENUE, currency=currency), taxes.net_minor),
                 *[Line(system_account(kind=tax.account_kind, currency=currency), tax.amount_minor)
                   for tax in taxes.taxes]]
        lines = [line for line in lines if line.amount]
        entry = post_entry(entry_type=PAYMENT_ENTRY, reference=f"merchant:{reference}", lines=lines,
                           metadata={"merchant": merchant.code, "fee": fee, **_tax_metadata(taxes.taxes)})
        payment = MerchantPayment.objects.create(
            reference=reference, merchant=merchant, payer=payer, amount_minor=amount_minor, fee_minor=fee,
            currency=currency, channel=payee.channel, request=payee.payment_request, note=(note or "")[:140],
            entry=entry)
        if payee.payment_request is not None:
            PaymentRequest.objects.filter(pk=payee.payment_request.pk).update(status=PaymentRequestStatus.PAID)
        notify_payment(payment)  # counted under the takings account's row lock the entry took (notices.py)
    return payment


def payment_refund(*, actor, payment: MerchantPayment, amount_minor: int | None = None, reason: str = "",
                   request: Any = None) -> MerchantRefund:
    """Give back ``amount_minor`` (default: all that is left) to the payer, from the merchant's takings.

    Under the payment's row lock: refunds in parallel are serialised and their total never passes the
    amount paid (the CHECK constraint is the last guard). The fee comes back in proportion, so a full
    refund returns every minor unit of it. Only the owner (or operator finance, for disputes) refunds, and never
    the payer: a finance user refunded their own shop payment from the merchant's takings.
    """
    from tenant_apps.accounts.models import OPERATOR_ROLES

    is_staff = actor.role in OPERATOR_ROLES and actor.role != "operator_support"  # finance or admin (disputes)
    if payment.merchant.owner_id != actor.pk and not is_staff:
        raise Forbidden(gettext("Only the business owner can refund this payment."), code="not_merchant_owner")
    if payment.payer_id == actor.pk:  # a dispute refund is never decided by the payer (as KYC, business reviews)
        raise Forbidden(gettext("You cannot refund your own payment."), code="own_submission")
    with transaction.atomic():
        # lock: subject
        locked = MerchantPayment.objects.select_for_update(of=("self",)).select_related("merchant__account", "payer") \
            .get(pk=payment.pk)
        left = locked.refundable_minor
        if left <= 0:  # before the amount: "refund the rest" of a refunded payment is 409, not "must be positive"
            raise Conflict(gettext("This payment was already refunded in full."), code="already_refunded")
        if amount_minor is None:
            amount_minor = left
        if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
            raise _bad("amount", gettext("Must be positive."), code="invalid_amount")
        if amount_minor > left:
            raise RefundTooLarge(fields={"amount": [gettext("At most %(amount)s.") % {
                "amount": display_minor(left, locked.currency)}]})
        after = locked.refunded_minor + amount_minor
        fee_back = share_back(locked.fee_minor, before=locked.refunded_minor, after=after, paid=locked.amount_minor)
        refund = MerchantRefund(payment=locked, amount_minor=amount_minor, fee_returned_minor=fee_back,
                                reason=(reason or "")[:200], created_by=actor)
        # The fee's taxes come back in the same proportion (cumulative, so a full refund returns each exactly).
        taxes = [tax for tax in (locked.entry.metadata or {}).get("taxes", ()) if tax.get("amount_minor")] \
            if locked.entry_id else []
        tax_back = [(tax, share_back(tax["amount_minor"], before=locked.refunded_minor, after=after,
                                     paid=locked.amount_minor)) for tax in taxes]
        added_back = sum(back for tax, back in tax_back if not tax.get("included", True))
        lines = [Line(wallet_for(user=locked.payer, currency=locked.currency), amount_minor),
                 Line(locked.merchant.account, -(amount_minor - fee_back - added_back)),
                 Line(system_account(kind=AccountKind.REVENUE, currency=locked.currency),
                      -(fee_back - sum(back for tax, back in tax_back if tax.get("included", True)))),
                 *[Line(system_account(kind=tax["account_kind"], currency=locked.currency), -back)
                   for tax, back in tax_back]]
        lines = [line for line in lines if line.amount]
        given_back = tax_entry_metadata({**tax, "base_minor": (int(tax["base_minor"]) * amount_minor)
                                         // locked.amount_minor} for tax, back in tax_back if back)
        try:
            refund.entry = post_entry(entry_type=REFUND_ENTRY, reference=f"merchant-refund:{refund.public_id}",
                                      lines=lines, metadata={"payment": locked.reference, **given_back})
        except InsufficientFunds:
            raise TakingsTooLow(fields={"amount": [gettext("More than the unsettled takings.")]}) from None
        refund.save()
        locked.refunded_minor = after
        locked.status = PaymentStatus.REFUNDED if after == locked.amount_minor else PaymentStatus.PARTIALLY_REFUNDED
        locked.save(update_fields=["refunded_minor", "status"])
        audit_record(action=AuditAction.MERCHANT_REFUND, request=request, actor=actor, subject_type="merchant_payment",
                     subject_id=str(locked.public_id),
                     details={"amount": amount_minor, "fee_returned": fee_back, "reason": (reason or "")[:200]})
    payment.refunded_minor, payment.status = locked.refunded_minor, locked.status
    return refund


# --- settlement --------------------------------------------------------------------------------

def _lock_balance(account: Account) -> int:
    with connection.cursor() as cursor:
        # lock: ledger_account
        cursor.execute("SELECT balance FROM ledger_account WHERE id = %s FOR UPDATE", [account.pk])
        return int(cursor.fetchone()[0])


def settlement_sync(*, settlement: MerchantSettlement) -> MerchantSettlement:
    """Bring a payout settlement's status in line with its transfer (the wallet app moves the money)."""
    from tenant_apps.wallet.models import TransferStatus

    if settlement.transfer_id is None or settlement.status != SettlementStatus.PENDING:
        return settlement
    transfer = settlement.transfer
    assert transfer is not None  # transfer_id is set
    transfer_status = transfer.status
    if transfer_status == TransferStatus.PENDING:
        return settlement
    settlement.status = SettlementStatus.SUCCEEDED if transfer_status == TransferStatus.SUCCEEDED \
        else SettlementStatus.FAILED
    settlement.failure_reason = transfer.failure_reason[:255]
    settlement.completed_at = timezone.now()
    settlement.save(update_fields=["status", "failure_reason", "completed_at"])
    return settlement


def merchant_settle(*, merchant: Merchant, business_date: date) -> MerchantSettlement | None:
    """Settle what the merchant's takings hold now (down to the payout rail's step), once for ``business_date``
    (None: nothing to settle).

    The takings row is locked while the amount is read and moved, so a payment landing meanwhile waits
    and is settled the next day. Wallet: one entry to the owner's wallet. Bank / mobile money: a payout
    (hold on the takings, sent after commit); a failed payout releases the hold into the takings, which
    the next day's settlement pays again. A wallet settlement that would take the owner's wallet over its
    KYC tier's maximum balance moves nothing: the row is ``failed`` (``balance_limit_exceeded``), the money
    stays in the takings and the next day's settlement tries the whole balance again.
    """
    from provider_plugins.interfaces.payouts import payout_step_minor
    from provider_plugins.interfaces.plugin import Capability
    from tenant_apps.wallet.gateways import default_payout_gateway, gateway_for
    from tenant_apps.wallet.transfers import payout_from_account

    if MerchantSettlement.objects.filter(merchant=merchant, business_date=business_date).exists():
        return None
    gateway = None
    if merchant.settlement_method == SettlementMethod.BANK:
        gateway = default_payout_gateway()
    elif merchant.settlement_method == SettlementMethod.MOBILE_MONEY:
        gateway = gateway_for(key=merchant.settlement_rail, capability=Capability.PAYOUTS)
    # What the rail can pay (CinetPay: multiples of 5 units; Airtel Money: whole units): the rest stays in the
    # takings for a later day. The whole balance off that step failed at the rail every day and was released.
    step = payout_step_minor(gateway.connector, merchant.account.currency) if gateway is not None else 1
    try:
        with transaction.atomic():
            amount = _lock_balance(merchant.account)
            amount -= amount % step
            if amount <= 0:
                return None
            settlement = MerchantSettlement.objects.create(
                merchant=merchant, business_date=business_date, amount_minor=amount,
                currency=merchant.account.currency, method=merchant.settlement_method)
            if gateway is None:
                owner_wallet = wallet_for(user=merchant.owner, currency=merchant.account.currency)
                try:
                    # New money for the owner's customer wallet: the KYC tier's maximum balance holds (issue 14).
                    settlement.entry = post_entry(
                        entry_type=SETTLEMENT_ENTRY, reference=f"merchant-settlement:{settlement.reference}",
                        lines=[Line(merchant.account, -amount),
                               Line(owner_wallet, amount, ceiling=balance_ceiling(owner_wallet))],
                        metadata={"merchant": merchant.code, "business_date": business_date.isoformat()})
                except BalanceLimitExceeded:
                    # Nothing moved (the entry's savepoint): the takings keep the money and the next daily
                    # settlement pays the whole balance again; the failed row tells the owner why.
                    settlement.status, settlement.failure_reason = SettlementStatus.FAILED, BALANCE_LIMIT
                    logger.warning("merchant settlement over the owner's balance limit: kept in the takings",
                                   extra={"merchant": merchant.code, "business_date": business_date.isoformat()})
                else:
                    settlement.status = SettlementStatus.SUCCEEDED
                settlement.completed_at = timezone.now()
            else:
                settlement.transfer = payout_from_account(
                    account=merchant.account, sender=merchant.owner, amount_minor=amount,
                    reference=settlement.reference, gateway=gateway, bank_code=merchant.settlement_bank_code,
                    account_number=merchant.settlement_account_number,
                    account_name=merchant.settlement_account_name, msisdn=merchant.settlement_phone,
                    metadata={"merchant_settlement": str(settlement.public_id)})
            settlement.save()
    except IntegrityError:  # a concurrent run settled this merchant for this date first
        return None
    return settlement


def settlements_run(*, now: datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """What the daily beat runs in each tenant: sync the payouts of earlier settlements, then settle every
    active merchant's takings for the business day just ended (once per merchant per day)."""
    now = now or timezone.now()
    business_date = timezone.localdate(now) - timedelta(days=1)
    results = {"settled": 0, "synced": 0, "skipped": 0, "errors": 0}
    for settlement in MerchantSettlement.objects.filter(status=SettlementStatus.PENDING, transfer__isnull=False) \
            .select_related("transfer")[:limit]:
        before = settlement.status
        results["synced"] += settlement_sync(settlement=settlement).status != before
    merchants = Merchant.objects.filter(status=MerchantStatus.ACTIVE, account__balance__gt=0) \
        .select_related("account", "owner").order_by("id")[:limit]
    for merchant in merchants:
        try:
            done = merchant_settle(merchant=merchant, business_date=business_date)
        except (ApiError, ProviderFault, UserFixableError) as exc:  # no rail configured, ...: next run retries
            logger.error("merchant settlement failed", extra={"merchant": merchant.code,
                                                                "code": getattr(exc, "code", type(exc).__name__)})
            results["errors"] += 1
            continue
        results["settled" if done else "skipped"] += 1
    return results


def settlements_run_all_tenants(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    from tenants.runner import for_each_tenant

    return for_each_tenant(lambda: settlements_run(now=now))
