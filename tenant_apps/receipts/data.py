"""What a receipt says, built once for every way of showing it (the page, the PDF, the shared link).

A :class:`Receipt` holds translated labels (built inside ``translation.override(language)``) and integer
amounts; the recipient's number, a meter or account number and a bank account holder's name are masked
(the shared link and the PDF travel: they carry no more personal data than the receipt needs).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from countries.money import format_quantity
from countries.registry import display_minor, get_adapter

from .models import ReceiptKind
from .tax import TaxLine, tax_lines_for


@dataclass(frozen=True)
class Detail:
    label: str
    value: str
    testid: str = ""


@dataclass(frozen=True)
class Receipt:
    kind: str
    public_id: uuid.UUID
    reference: str
    title: str
    status: str  # delivered / processing / refunded (orders); succeeded / pending / failed / reversed
    status_label: str
    created_at: datetime
    currency: str
    country: str
    language: str
    total_label: str
    total_minor: int
    face_value_minor: int | None = None
    details: list[Detail] = field(default_factory=list)
    taxes: list[TaxLine] = field(default_factory=list)
    # What left the customer when taxes were added on top (a transfer's stamp duty); None: the total.
    charged_label: str = ""
    charged_minor: int | None = None

    @property
    def short_reference(self) -> str:
        return self.public_id.hex[:10].upper()


def mask_number(value: str, *, keep_end: int = 3) -> str:
    """``+2348031234567`` -> ``+234 80••••••567``; ``45700012345`` -> ``•••••••2345`` (meter numbers)."""
    value = (value or "").strip()
    if not value:
        return ""
    if value.startswith("+") and len(value) > 8:
        digits = value[1:]
        from phonenumbers import parse

        try:
            code = str(parse(value).country_code)
        except Exception:  # not a phone number after all: mask it as a plain number
            code = digits[:3]
        national = digits[len(code):]
        head, tail = national[:2], national[-keep_end:]
        return f"+{code} {head}{'•' * max(len(national) - len(head) - len(tail), 3)}{tail}"
    tail = value[-max(keep_end, 4):]
    return "•" * max(len(value) - len(tail), 3) + tail


def mask_name(value: str) -> str:
    """``Ada Lovelace`` -> ``A. L.``: enough to recognise, not enough to identify."""
    return " ".join(f"{part[0]}." for part in (value or "").split() if part)


def receipt_language(user) -> str:
    """The customer's language: their choice, else the tenant's default."""
    language = (getattr(user, "preferred_language", "") or "").strip()
    if not language:
        tenant = getattr(connection, "tenant", None)
        language = getattr(tenant, "default_language", "") or "en"
    return language[:2] if language[:2] in ("en", "fr", "pt") else "en"


def _country() -> str:
    from tenant_apps.agents.floats import serving_tenant

    return serving_tenant().country


def format_money(receipt: Receipt, minor: int) -> str:
    """An amount of the receipt in its language (the one display format: ``countries.registry.display_money``)."""
    return display_minor(minor, receipt.currency, locale=receipt.language)


def order_receipt(order, *, language: str | None = None, masked: bool = True) -> Receipt:
    from tenant_apps.orders.serializers import PLAIN_STATUS

    language = language or receipt_language(order.user)
    country = _country()
    plain = PLAIN_STATUS[order.status]
    with translation.override(language):
        status_labels = {"processing": _("Processing"), "delivered": _("Delivered"), "refunded": _("Refunded")}
        details = [Detail(_("Product"), order.product_name, "receipt-product")]
        if order.customer_number:
            details.append(Detail(_("Meter or smartcard number"),
                                  mask_number(order.customer_number) if masked else order.customer_number))
        details.append(Detail(_("Recipient"), mask_number(order.recipient_phone) if masked else order.recipient_phone,
                              "receipt-recipient"))
        if order.operator:
            from tenant_apps.orders.routing import operator_network

            adapter = get_adapter(country)
            details.append(Detail(_("Network"), adapter.network_name(operator_network(order.operator))
                                  or order.operator.upper()))
        details.append(Detail(_("Value"), display_minor(order.face_value_minor, order.currency, locale=language),
                              "receipt-face-value"))
        if order.token:
            details.append(Detail(_("Token"), order.token, "receipt-token"))
        if order.units:
            details.append(Detail(_("Units"), format_quantity(order.units, locale=language), "receipt-units"))
        return Receipt(
            kind=ReceiptKind.ORDER, public_id=order.public_id, reference=order.public_id.hex[:10].upper(),
            title=order.product_name, status=plain, status_label=status_labels[plain], created_at=order.created_at,
            currency=order.currency, country=country, language=language, total_label=_("Total paid"),
            total_minor=order.price_minor, face_value_minor=order.face_value_minor, details=details,
            taxes=tax_lines_for(kind=ReceiptKind.ORDER, obj=order) if plain != "refunded" else [])


def transfer_receipt(transfer, *, language: str | None = None, masked: bool = True) -> Receipt:
    language = language or receipt_language(transfer.sender)
    country = _country()
    with translation.override(language):
        labels = {"pending": _("Processing"), "succeeded": _("Sent"), "failed": _("Failed: refunded"),
                  "reversed": _("Returned: refunded")}
        details = []
        if transfer.type == "p2p" and transfer.recipient_user is not None:
            recipient = transfer.recipient_user.phone or transfer.recipient_user.email
            details.append(Detail(_("Recipient"), mask_number(recipient) if masked and recipient.startswith("+")
                                  else (_mask_email(recipient) if masked else recipient), "receipt-recipient"))
        else:
            if transfer.bank_code:
                details.append(Detail(_("Bank"), transfer.bank_code))
            details.append(Detail(_("Account"), mask_number(transfer.account_number, keep_end=4) if masked
                                  else transfer.account_number, "receipt-recipient"))
            if transfer.account_name:
                details.append(Detail(_("Account holder"),
                                      mask_name(transfer.account_name) if masked else transfer.account_name))
        titles = {"p2p": _("Money sent"), "bank": _("Bank transfer"), "wallet": _("Mobile-money transfer")}
        refunded = transfer.status in ("failed", "reversed")
        taxes = tax_lines_for(kind=ReceiptKind.TRANSFER, obj=transfer) if not refunded else []
        added = sum(tax.amount_minor for tax in taxes if not tax.included)
        return Receipt(
            kind=ReceiptKind.TRANSFER, public_id=transfer.public_id, reference=transfer.public_id.hex[:10].upper(),
            title=titles.get(transfer.type, _("Transfer")), status=transfer.status,
            status_label=labels.get(transfer.status, transfer.status), created_at=transfer.created_at,
            currency=transfer.currency, country=country, language=language, total_label=_("Amount sent"),
            total_minor=transfer.amount_minor, details=details, taxes=taxes,
            charged_label=_("Total debited") if added else "",
            charged_minor=transfer.amount_minor + added if added else None)


def funding_receipt(intent, *, language: str | None = None, masked: bool = True) -> Receipt:
    language = language or receipt_language(intent.user)
    country = _country()
    with translation.override(language):
        labels = {"pending": _("Processing"), "succeeded": _("Credited"), "failed": _("Failed"),
                  "expired": _("Expired"), "review": _("Being checked")}
        details = [Detail(_("Paid with"), intent.gateway.replace("_", " ").title())]
        if intent.phone:
            details.append(Detail(_("Paying number"), mask_number("+" + intent.phone.lstrip("+")) if masked
                                  else intent.phone))
        return Receipt(
            kind=ReceiptKind.FUNDING, public_id=intent.public_id, reference=intent.public_id.hex[:10].upper(),
            title=_("Wallet funding"), status=intent.status, status_label=labels.get(intent.status, intent.status),
            created_at=intent.created_at, currency=intent.currency, country=country, language=language,
            total_label=_("Amount added"), total_minor=intent.amount_minor, details=details)


def remittance_receipt(row, *, language: str | None = None, masked: bool = True) -> Receipt:
    """The sender's receipt of a remittance: what left the wallet (fee included), the fee, the rate, what the
    recipient gets in the destination's currency, the recipient (masked), the status and the references."""
    from countries.fields import country_name
    from tenant_apps.wallet.failures import failure_text

    language = language or receipt_language(row.sender)
    country = _country()
    with translation.override(language):
        labels = {"accepted": _("Processing"), "held_for_review": _("Being checked"), "in_transit": _("In transit"),
                  "credited": _("Credited"), "paid_out": _("Paid out"), "refunded": _("Refunded")}
        recipient = mask_name(row.recipient_name) if masked else row.recipient_name
        details = [Detail(_("Destination"), country_name(row.destination_country), "receipt-destination"),
                   Detail(_("Recipient"), recipient, "receipt-recipient")]
        if row.recipient_phone:
            details.append(Detail(_("Recipient's phone"),
                                  mask_number(row.recipient_phone) if masked else row.recipient_phone,
                                  "receipt-recipient-phone"))
        if row.recipient_account:
            if row.recipient_bank_code:
                details.append(Detail(_("Bank"), row.recipient_bank_code))
            details.append(Detail(_("Account"), mask_number(row.recipient_account, keep_end=4) if masked
                                  else row.recipient_account, "receipt-recipient-account"))
        details += [
            Detail(_("Fee"), display_minor(row.fee_minor, row.send_currency, locale=language), "receipt-fee"),
            Detail(_("Amount converted"), display_minor(row.principal_minor, row.send_currency, locale=language),
                   "receipt-principal"),
            Detail(_("Exchange rate"), f"1 {row.send_currency} = {_rate(row.rate_e9)} {row.receive_currency}",
                   "receipt-rate"),
            Detail(_("Amount received"), display_minor(row.receive_minor, row.receive_currency, locale=language),
                   "receipt-received"),
            Detail(_("Remittance reference"), str(row.public_id), "receipt-remittance-id"),
        ]
        if row.status == "refunded" and row.failure_reason:
            details.append(Detail(_("Reason"), failure_text("remittance", row.failure_reason, status=row.status),
                                  "receipt-reason"))
        return Receipt(
            kind=ReceiptKind.REMITTANCE, public_id=row.public_id, reference=row.public_id.hex[:10].upper(),
            title=_("Money sent abroad"), status=row.status, status_label=labels.get(row.status, row.status),
            created_at=row.created_at, currency=row.send_currency, country=country, language=language,
            total_label=_("Amount sent (fee included)"), total_minor=row.send_minor, details=details)


def _rate(rate_e9: int) -> str:
    """``9553000`` (10^-9) -> ``0.009553`` (``0,009553`` in French): the exact rate, in the active language."""
    from django.utils import formats

    from tenant_apps.remittances.fx import rate_text

    whole, _dot, decimals = rate_text(rate_e9).partition(".")
    decimals = decimals.rstrip("0")
    return formats.number_format(Decimal(f"{whole}.{decimals or '0'}"), decimal_pos=max(len(decimals), 1),
                                 use_l10n=True)


def _mask_email(value: str) -> str:
    name, _at, domain = (value or "").partition("@")
    return f"{name[:1]}•••@{domain}" if domain else mask_number(value)


class ReceiptBuilder(Protocol):
    def __call__(self, obj: Any, /, *, language: str | None = ..., masked: bool = ...) -> Receipt: ...


BUILDERS: dict[str, ReceiptBuilder] = {ReceiptKind.ORDER: order_receipt, ReceiptKind.TRANSFER: transfer_receipt,
            ReceiptKind.FUNDING: funding_receipt, ReceiptKind.REMITTANCE: remittance_receipt}


def receipt_for(kind: str, obj, *, language: str | None = None, masked: bool = True) -> Receipt:
    return BUILDERS[kind](obj, language=language, masked=masked)
