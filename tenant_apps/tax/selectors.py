"""The tax report of one tenant schema for a period, read from the ledger's tax accounts.

Every figure is a sum of postings on the ``tax_payable_*`` accounts (tenant_apps.ledger.models.TAX_KINDS)
whose entry was made in the period, so the report's totals ARE the ledger's tax accounts for the period
(tests/tax check it against the postings and run ``reconcile_ledger``). Postings that give tax back (a
reversed sale, a refunded payout) are shown as refunded and come off what is owed. The taxable base of each
line comes from the entries' ``tax_bases`` metadata (the base each tax was computed on), signed like the
posting. ONE query; no model of its own: the ledger is the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from tenant_apps.ledger.models import TAX_KINDS, AccountKind
from tenants.connection import current_schema

MAX_PERIOD_DAYS = 366

_SQL = """
SELECT a.kind, p.currency,
       COALESCE(SUM(p.amount) FILTER (WHERE p.amount > 0), 0) AS collected,
       COALESCE(-SUM(p.amount) FILTER (WHERE p.amount < 0), 0) AS refunded,
       COALESCE(SUM(SIGN(p.amount) * COALESCE((e.metadata -> 'tax_bases' ->> a.kind)::bigint, 0)), 0) AS base,
       COUNT(DISTINCT e.id) AS entries
  FROM ledger_posting p
  JOIN ledger_account a ON a.id = p.account_id
  JOIN ledger_journalentry e ON e.id = p.entry_id
 WHERE a.kind = ANY(%s) AND e.created_at >= %s AND e.created_at < %s
 GROUP BY a.kind, p.currency
 ORDER BY p.currency, a.kind
"""


@dataclass(frozen=True)
class TaxReportLine:
    account_kind: str
    code: str  # the country's tax code ("vat", "nhil", "emtl")
    name: str  # as the law names it (from the country adapter), else the account's label
    rate: str  # in the reader's language: "7.5 %", "₦50.00 from ₦10,000.00"; "7,5 %", "50,00 ₦ à partir de …"
    currency: str
    base_minor: int
    collected_minor: int
    refunded_minor: int
    entries: int

    @property
    def net_minor(self) -> int:
        """What is owed for the period: collected minus given back (the tax account's movement)."""
        return self.collected_minor - self.refunded_minor


@dataclass(frozen=True)
class TaxReport:
    schema: str
    country: str
    currency: str
    date_from: date
    date_to: date  # inclusive
    lines: list[TaxReportLine] = field(default_factory=list)

    def total(self, attribute: str = "net_minor", *, currency: str | None = None) -> int:
        currency = currency or self.currency
        return sum(getattr(line, attribute) for line in self.lines if line.currency == currency)


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start of ``date_from``, start of the day after ``date_to``) in the site's time zone."""
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(date_from, time.min), zone)
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min), zone)
    return start, end


def _describe(kind: str, country: str) -> tuple[str, str, str]:
    """(code, name, rate) of a tax account, from the country's rules where it has one."""
    label = str(AccountKind(kind).label) if kind in AccountKind.values else kind
    code = "vat" if kind == AccountKind.TAX_PAYABLE_VAT else kind.removeprefix("tax_payable_levy_")
    if not country:
        return code, label, ""
    from countries.registry import get_adapter

    adapter = get_adapter(country)
    for rule in adapter.tax_rules:
        if rule.account_kind == kind:
            return code, rule.name, _rate_text(rule, adapter)
    return code, label, ""


def _rate_text(rule, adapter) -> str:
    """A tax rule's rate in the reader's language (the active one): ``7.5 %`` / ``7,5 %``, ``₦50.00 from
    ₦10,000.00`` / ``50,00 ₦ à partir de 10 000,00 ₦``."""
    from django.utils.translation import get_language, gettext

    language = (get_language() or "en").split("-")[0]
    if rule.rate_bps:
        whole, rest = divmod(rule.rate_bps, 100)
        number = f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")
        if language in ("fr", "pt"):
            number = number.replace(".", ",")
        return gettext("%(rate)s %%") % {"rate": number}
    amount = adapter.format_amount(rule.fixed_minor, locale=language)
    if not rule.threshold_minor:
        return amount
    return gettext("%(amount)s from %(threshold)s") % {
        "amount": amount, "threshold": adapter.format_amount(rule.threshold_minor, locale=language)}


def _tenant_country() -> tuple[str, str]:
    tenant = getattr(connection, "tenant", None)
    country = getattr(tenant, "country", "") or ""
    if country:
        from countries.registry import get_adapter

        return country, get_adapter(country).currency
    return "", ""


def tax_report(*, date_from: date, date_to: date) -> TaxReport:
    """The current schema's taxes collected, given back and owed per tax account, for the days given."""
    start, end = period_bounds(date_from, date_to)
    country, currency = _tenant_country()
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [sorted(TAX_KINDS), start, end])
        rows = cursor.fetchall()
    lines = []
    for kind, row_currency, collected, refunded, base, entries in rows:
        code, name, rate = _describe(kind, country)
        lines.append(TaxReportLine(account_kind=kind, code=code, name=name, rate=rate, currency=row_currency,
                                   base_minor=int(base), collected_minor=int(collected),
                                   refunded_minor=int(refunded), entries=int(entries)))
    return TaxReport(schema=current_schema(), country=country, currency=currency or
                     (lines[0].currency if lines else ""), date_from=date_from, date_to=date_to, lines=lines)


def ledger_tax_totals(*, date_from: date, date_to: date) -> dict[tuple[str, str], int]:
    """The tax accounts' movements in the period straight from the postings (for reconciliation checks)."""
    from django.db.models import Sum

    from tenant_apps.ledger.models import Posting

    start, end = period_bounds(date_from, date_to)
    rows = (Posting.objects.filter(account__kind__in=sorted(TAX_KINDS), entry__created_at__gte=start,
                                   entry__created_at__lt=end)
            .values_list("account__kind", "currency").annotate(total=Sum("amount")))
    return {(kind, currency): int(total) for kind, currency, total in rows}
