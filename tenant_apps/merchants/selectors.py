"""Reads of merchant payments: the dashboard's figures, histories, CSV rows and reconciliation."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from countries.money import decimal_text, money_of

from .models import Merchant, MerchantPayment, MerchantRefund, MerchantSettlement, MerchantStatus


def merchants_of(*, owner) -> QuerySet[Merchant]:
    return Merchant.objects.filter(owner=owner).select_related("category", "account").order_by("created_at", "id")


def merchant_of(*, owner, public_id) -> Merchant | None:
    return merchants_of(owner=owner).filter(public_id=public_id).first()


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class Takings:
    day: date
    payments: int
    gross_minor: int
    fees_minor: int
    refunds: int
    refunded_minor: int
    refunded_fees_minor: int

    @property
    def net_minor(self) -> int:
        """What the day leaves the merchant: payments less fees, less refunds (less the fee they returned)."""
        return self.gross_minor - self.fees_minor - (self.refunded_minor - self.refunded_fees_minor)


def takings_for_day(*, merchant: Merchant, day: date | None = None) -> Takings:
    """Payments received and refunds given on ``day`` (default: today), from the rows of that day."""
    day = day or timezone.localdate()
    start, end = _day_bounds(day)
    paid = MerchantPayment.objects.filter(merchant=merchant, created_at__gte=start, created_at__lt=end) \
        .aggregate(n=Count("id"), gross=Sum("amount_minor"), fees=Sum("fee_minor"))
    refunded = MerchantRefund.objects.filter(payment__merchant=merchant, created_at__gte=start, created_at__lt=end) \
        .aggregate(n=Count("id"), total=Sum("amount_minor"), fees=Sum("fee_returned_minor"))
    return Takings(day=day, payments=paid["n"] or 0, gross_minor=paid["gross"] or 0, fees_minor=paid["fees"] or 0,
                   refunds=refunded["n"] or 0, refunded_minor=refunded["total"] or 0,
                   refunded_fees_minor=refunded["fees"] or 0)


def payments_for_merchant(*, merchant: Merchant, date_from: date | None = None, date_to: date | None = None,
                          status: str = "") -> QuerySet[MerchantPayment]:
    payments = MerchantPayment.objects.filter(merchant=merchant).select_related("payer")
    if date_from:
        payments = payments.filter(created_at__gte=_day_bounds(date_from)[0])
    if date_to:
        payments = payments.filter(created_at__lt=_day_bounds(date_to)[1])
    if status:
        payments = payments.filter(status=status)
    return payments.order_by("-created_at", "-id")


def payments_by_payer(*, payer) -> QuerySet[MerchantPayment]:
    return MerchantPayment.objects.filter(payer=payer).select_related("merchant").order_by("-created_at", "-id")


def masked_phone(phone: str) -> str:
    """What a merchant sees of a payer: enough to recognise a regular, not enough to call them."""
    return f"{phone[:4]}•••{phone[-3:]}" if phone and len(phone) > 7 else "•••"


CSV_HEADER = ["date", "reference", "channel", "payer", "amount", "fee", "net", "refunded", "status", "currency",
              "note"]


def _csv_safe(value: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ (or a tab/CR) is read as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def payments_csv(payments: Iterable[MerchantPayment]) -> Iterator[str]:
    """The merchant's history as CSV lines (streamed): decimal strings, never floats."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(CSV_HEADER)
    yield flush()
    for payment in payments:
        currency = payment.currency
        amounts = [decimal_text(money_of(minor, currency)) for minor in (
            payment.amount_minor, payment.fee_minor, payment.net_minor, payment.refunded_minor)]
        writer.writerow([payment.created_at.isoformat(), payment.reference, payment.channel,
                         masked_phone(payment.payer.phone or ""), *amounts, payment.status, currency,
                         _csv_safe(payment.note)])
        yield flush()


def merchants_for_review(*, status: str = "") -> QuerySet[Merchant]:
    merchants = Merchant.objects.select_related("owner", "category", "account")
    if status:
        merchants = merchants.filter(status=status)
    return merchants.order_by("status" if not status else "created_at", "created_at", "id")


def owner_verification(merchant: Merchant) -> str:
    """The owner's personal KYC tier, which the operator weighs in the (simplified) business review."""
    from tenant_apps.kyc.selectors import kyc_current_tier

    tier = kyc_current_tier(user=merchant.owner)
    return str(tier.name) if tier is not None else "-"


def pending_merchants_count() -> int:
    return Merchant.objects.filter(status=MerchantStatus.PENDING).count()


def settlements_of(*, merchant: Merchant) -> QuerySet[MerchantSettlement]:
    return MerchantSettlement.objects.filter(merchant=merchant).select_related("transfer")


# --- reconciliation (called by tenant_apps.wallet.selectors.ledger_discrepancies) ------------------

# Every merchant's takings account against its business rows: payments' net, less refunds' merchant share,
# less settlements still out or paid (a failed payout's hold came back to the account).
_TAKINGS = """
SELECT m.code, a.currency, COALESCE(led.total, 0),
       COALESCE(pay.net, 0) - COALESCE(ref.net, 0) - COALESCE(st.total, 0)
FROM merchants_merchant m
JOIN ledger_account a ON a.id = m.account_id
LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_posting GROUP BY account_id) led
       ON led.account_id = a.id
LEFT JOIN (SELECT merchant_id, SUM(amount_minor - fee_minor) AS net FROM merchants_merchantpayment
           GROUP BY merchant_id) pay ON pay.merchant_id = m.id
LEFT JOIN (SELECT p.merchant_id, SUM(r.amount_minor - r.fee_returned_minor) AS net FROM merchants_merchantrefund r
           JOIN merchants_merchantpayment p ON p.id = r.payment_id GROUP BY p.merchant_id) ref ON ref.merchant_id = m.id
LEFT JOIN (SELECT s.merchant_id, SUM(s.amount_minor) AS total FROM merchants_merchantsettlement s
           LEFT JOIN wallet_transfer t ON t.id = s.transfer_id
           WHERE (s.transfer_id IS NULL AND s.entry_id IS NOT NULL)
              OR (s.transfer_id IS NOT NULL AND t.status IN ('pending', 'succeeded'))
           GROUP BY s.merchant_id) st ON st.merchant_id = m.id
WHERE COALESCE(led.total, 0) <> COALESCE(pay.net, 0) - COALESCE(ref.net, 0) - COALESCE(st.total, 0)
   OR a.balance <> COALESCE(led.total, 0)
ORDER BY m.id
"""
# Each payment's entry moved exactly its net into its merchant's takings and the payer paid the amount.
_PAYMENT_ENTRIES = """
SELECT p.reference, p.amount_minor, p.fee_minor,
       COALESCE(SUM(po.amount) FILTER (WHERE po.account_id = m.account_id), 0),
       COALESCE(SUM(po.amount) FILTER (WHERE a.owner_id = p.payer_id), 0)
FROM merchants_merchantpayment p
JOIN merchants_merchant m ON m.id = p.merchant_id
LEFT JOIN ledger_posting po ON po.entry_id = p.entry_id
LEFT JOIN ledger_account a ON a.id = po.account_id
GROUP BY p.id, p.reference, p.amount_minor, p.fee_minor
HAVING COALESCE(SUM(po.amount) FILTER (WHERE po.account_id = m.account_id), 0) <> p.amount_minor - p.fee_minor
    OR COALESCE(SUM(po.amount) FILTER (WHERE a.owner_id = p.payer_id), 0) <> -p.amount_minor
ORDER BY p.id
"""
_REFUND_TOTALS = """
SELECT p.reference, p.refunded_minor, COALESCE(SUM(r.amount_minor), 0)
FROM merchants_merchantpayment p LEFT JOIN merchants_merchantrefund r ON r.payment_id = p.id
GROUP BY p.id, p.reference, p.refunded_minor HAVING p.refunded_minor <> COALESCE(SUM(r.amount_minor), 0)
ORDER BY p.id
"""
_SETTLEMENT_PAYOUTS = """
SELECT m.code, s.business_date, s.amount_minor, COALESCE(t.amount_minor, 0)
FROM merchants_merchantsettlement s JOIN merchants_merchant m ON m.id = s.merchant_id
LEFT JOIN wallet_transfer t ON t.id = s.transfer_id
WHERE (s.transfer_id IS NULL AND s.entry_id IS NULL AND s.status <> 'failed')
   OR (s.transfer_id IS NOT NULL AND t.amount_minor <> s.amount_minor)
   OR (s.transfer_id IS NULL AND s.entry_id IS NOT NULL AND s.status <> 'succeeded')
ORDER BY s.id
"""


def merchant_discrepancies() -> list:
    """Merchant takings and rows that do not add up (read-only; the wallet app's reconciliation calls it)."""
    from tenant_apps.wallet.selectors import Discrepancy

    found: list[Discrepancy] = []
    with connection.cursor() as cursor:
        cursor.execute(_TAKINGS)
        for code, currency, ledger_total, expected in cursor.fetchall():
            found.append(Discrepancy("merchant_takings_mismatch", f"merchant {code} {currency}", expected,
                                     ledger_total, "takings account vs payments - refunds - settlements"))
        cursor.execute(_PAYMENT_ENTRIES)
        for reference, amount, fee, to_merchant, from_payer in cursor.fetchall():
            found.append(Discrepancy("merchant_payment_entry_mismatch", f"payment {reference}", amount - fee,
                                     to_merchant, f"payer moved {from_payer}"))
        cursor.execute(_REFUND_TOTALS)
        for reference, recorded, total in cursor.fetchall():
            found.append(Discrepancy("merchant_refund_total_mismatch", f"payment {reference}", total, recorded))
        cursor.execute(_SETTLEMENT_PAYOUTS)
        for code, business_date, amount, paid in cursor.fetchall():
            found.append(Discrepancy("merchant_settlement_mismatch", f"merchant {code} {business_date}", amount,
                                     paid, "settlement without its entry or payout"))
    return found
