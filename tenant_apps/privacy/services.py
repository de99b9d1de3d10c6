"""Data-subject rights: export everything we hold about a person, erase (pseudonymise) it, purge by retention.

The ledger is never changed: amounts, references, dates and the owner foreign key are the books. An erasure
rewrites only the personal columns the apps registered (``registry``) and the audit trail's personal
columns through its one allowed path; the person's user row is deactivated (no login, no token refresh).

Erasure is refused (409) while money is the person's: a non-zero balance on any of their accounts (the
balance must be paid out or spent first) or money in flight (a placed hold, an order, transfer or
funding not final). See docs/privacy.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shared_apps.core.enqueue import enqueue
from shared_apps.core.errors import ApiError
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record
from tenant_apps.kyc.storage import tenant_file_prefix
from tenants.connection import current_schema

from .models import DataExport, Erasure, ExportStatus
from .registry import BLANK, EMAIL, FILE, MASK, NULL, PSEUDONYM, SCRUB, PersonalData, registered
from .scrub import ERASED, needles_of, scrub

logger = logging.getLogger(__name__)



class ErasureRefused(ApiError):
    status_code = 409
    code = "erasure_refused"
    message = _("The personal data cannot be erased yet.")


class ExportUnavailable(ApiError):
    status_code = 404
    code = "export_unavailable"
    message = _("This export is not available (not ready, expired or not yours).")


def _storage():
    return storages[settings.PRIVACY_EXPORT_STORAGE]  # the tenant's private bucket


# --- export ------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return os.path.basename(value.name or "")
    return value


def _columns(entry: PersonalData) -> list[models.Field]:
    return [f for f in entry.model._meta.concrete_fields if f.name not in entry.exclude]


def _row(obj: models.Model, columns: list[models.Field]) -> dict[str, Any]:
    return {field.attname if field.is_relation else field.name: _plain(getattr(obj, field.attname))
            for field in columns}


def _csv(rows: list[dict[str, Any]], header: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
                         for key, value in row.items()})
    return out.getvalue()


def export_collect(*, user: Any) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[str, bytes]]]:
    """Every registered table's rows about ``user`` (secrets excluded) and the stored files to include."""
    tables: dict[str, list[dict[str, Any]]] = {}
    files: list[tuple[str, bytes]] = []
    for entry in registered():
        columns = _columns(entry)
        objects = list(entry.queryset(user).order_by("pk"))
        tables[entry.table] = [_row(obj, columns) for obj in objects]
        for name in entry.files:
            for obj in objects:
                stored = getattr(obj, name)
                if not stored or not stored.name:
                    continue
                try:
                    with stored.open("rb") as handle:
                        files.append((f"files/{entry.table}/{obj.pk}-{os.path.basename(stored.name)}", handle.read()))
                except Exception:  # a missing object must not block the rest of the export
                    logger.warning("privacy export: file of %s %s unreadable", entry.table, obj.pk)
    return tables, files


def export_zip(*, user: Any) -> tuple[bytes, dict[str, int]]:
    tables, files = export_collect(user=user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps({
            "generated_at": timezone.now().isoformat(), "site": current_schema(),
            "user": str(user.public_id), "tables": tables}, ensure_ascii=False, indent=1, default=str))
        for table, rows in tables.items():
            header = [f.attname if f.is_relation else f.name for f in _columns(
                next(e for e in registered() if e.table == table))]
            archive.writestr(f"csv/{table}.csv", _csv(rows, header))
        for path, content in files:
            archive.writestr(path, content)
        archive.writestr("README.txt", "data.json: every table we hold about you (one list of rows per table).\n"
                                       "csv/: the same tables, one CSV file each. files/: documents you uploaded.\n")
    return buffer.getvalue(), {table: len(rows) for table, rows in tables.items() if rows}


def export_request(*, user: Any, requested_by: Any = None, request: Any = None) -> DataExport:
    """Queue an export of ``user``'s data (built by a task after commit). Audited."""
    export = DataExport.objects.create(user=user, requested_by=requested_by or user)
    audit_record(action=AuditAction.DATA_EXPORT_REQUESTED, request=request, actor=requested_by or user,
                 subject_type="user", subject_id=str(user.public_id),
                 details={"export": str(export.public_id), "by_operator": bool(requested_by and requested_by != user)})

    def send() -> None:
        try:
            enqueue("privacy.build_export", export.pk)
        except Exception:  # the broker is down: the purge sweep marks it failed, the person asks again
            logger.exception("could not enqueue privacy export %s", export.pk)

    transaction.on_commit(send)
    return export


def export_build(*, export_id: int) -> DataExport | None:
    """Build and store the zip (the task body). Key: ``tenants/<schema>/privacy/exports/<uuid>.zip``."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.PENDING:
        return export
    try:
        content, counts = export_zip(user=export.user)
        key = f"{tenant_file_prefix()}/privacy/exports/{export.public_id.hex}.zip"
        export.file_key = _storage().save(key, ContentFile(content))
    except Exception as exc:
        logger.exception("privacy export %s failed", export.pk)
        DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED, error=type(exc).__name__[:120])
        export.refresh_from_db()
        return export
    now = timezone.now()
    export.status, export.size_bytes, export.tables = ExportStatus.READY, len(content), counts
    export.ready_at, export.expires_at = now, now + timedelta(hours=settings.PRIVACY_EXPORT_TTL_HOURS)
    export.save(update_fields=["status", "size_bytes", "tables", "ready_at", "expires_at", "file_key"])
    return export


def export_open(*, export: DataExport, user: Any, request: Any = None) -> bytes:
    """The zip's bytes for its owner only, while it has not expired. Audited."""
    if export.user_id != getattr(user, "pk", None) or export.status != ExportStatus.READY \
            or export.expires_at is None or export.expires_at <= timezone.now():
        raise ExportUnavailable()
    with _storage().open(export.file_key, "rb") as handle:
        content = handle.read()
    DataExport.objects.filter(pk=export.pk).update(downloaded_at=timezone.now())
    audit_record(action=AuditAction.DATA_EXPORT_DOWNLOADED, request=request, actor=user, subject_type="user",
                 subject_id=str(user.public_id), details={"export": str(export.public_id)})
    return content


def exports_expire(*, now: datetime | None = None) -> int:
    """Delete the stored zips past their expiry (the rows stay, as the record of the request)."""
    now = now or timezone.now()
    expired = 0
    for export in DataExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now):
        try:
            _storage().delete(export.file_key)
        except Exception:
            logger.warning("privacy export %s: stored zip could not be deleted", export.pk)
            continue
        DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.EXPIRED, file_key="")
        expired += 1
    return expired


# --- erasure ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Identity:
    """What identifies the person (looked for in free text and JSON) and their pseudonym."""

    token: str
    values: list[str]

    @property
    def replacement_email(self) -> str:
        return f"erased-{self.token}@erased.invalid"


def _identity(user: Any) -> Identity:
    token = hashlib.sha256(f"{user.public_id}".encode()).hexdigest()[:10]
    values = [user.email or "", user.phone or ""]
    from tenant_apps.orders.models import Order

    values += [name for name in Order.objects.filter(user=user).exclude(customer_name="")
               .values_list("customer_name", flat=True).distinct()[:50]]
    return Identity(token=token, values=[v for v in values if v])


def _mask(value: str) -> str:
    text = str(value or "")
    return "*" * max(len(text) - 4, 0) + text[-4:] if len(text) > 4 else "*" * len(text)


def _column(model: type[models.Model], name: str) -> models.Field:
    """A registered personal-data field: a column of ``model`` (never a reverse relation)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _new_value(field: models.Field, strategy: str, current: Any, identity: Identity, pk: Any) -> Any:
    limit = getattr(field, "max_length", None) or 10_000
    if strategy == NULL:
        return None
    if strategy == BLANK:
        return {} if isinstance(field, models.JSONField) else ""
    if strategy == EMAIL:
        return f"erased-{identity.token}-{pk}@erased.invalid"[:limit]
    if strategy == PSEUDONYM or (strategy == MASK and field.unique):
        value = f"erased-{identity.token}" + (f"-{pk}" if field.unique else "")
        return value[:limit] if current not in ("", None) else current
    if strategy == MASK:
        return _mask(current)[:limit] if current else current
    if strategy == SCRUB:
        return scrub(current, identity.values)
    raise ValueError(strategy)


def _erase_entry(entry: PersonalData, user: Any, identity: Identity) -> int:
    if entry.eraser is not None:
        return entry.eraser(user, identity)
    rows = entry.queryset(user, owners=entry.erase_owners)
    if entry.delete:
        return rows.delete()[0]
    if not entry.erase:
        return 0
    changed = 0
    fields = {name: _column(entry.model, name) for name in entry.erase}
    for obj in rows.select_for_update().order_by("pk"):  # lock: subject
        updates = {}
        for name, strategy in entry.erase.items():
            current = getattr(obj, name)
            if strategy == FILE:
                if current and current.name:  # the object goes once the erasure is committed (not on a rollback)
                    transaction.on_commit(partial(current.storage.delete, current.name))
                    updates[name] = ""
                continue
            new = _new_value(fields[name], strategy, current, identity, obj.pk)
            if new != current:
                updates[name] = new
        if updates:
            entry.model._default_manager.filter(pk=obj.pk).update(**updates)
            changed += 1
    return changed


def erasure_blockers(*, user: Any) -> list[str]:
    """Why the person's data cannot be erased now (empty: it can). Codes are stable."""
    from tenant_apps.ledger.models import Account, Hold, HoldStatus
    from tenant_apps.orders.models import FINAL_STATUSES, Order
    from tenant_apps.wallet.models import FundingIntent, FundingStatus, Transfer, TransferStatus

    blockers = []
    if Account.objects.filter(owner=user).exclude(balance=0).exclude(balance__isnull=True).exists():
        blockers.append("balance_not_zero")
    if Hold.objects.filter(wallet__owner=user, status=HoldStatus.PLACED).exists() \
            or Order.objects.filter(user=user).exclude(status__in=FINAL_STATUSES).exists() \
            or Transfer.objects.filter(sender=user, status__in=[TransferStatus.HELD, TransferStatus.PENDING]).exists() \
            or FundingIntent.objects.filter(user=user, status=FundingStatus.PENDING).exists():
        blockers.append("money_pending")
    if getattr(user, "is_operator_staff", False) or user.is_superuser:
        blockers.append("staff_account")
    return blockers


_BLOCKER_TEXT = {
    "balance_not_zero": _("Your wallet still holds money: withdraw or spend it first."),
    "money_pending": _("A payment is still in progress: try again when it has completed."),
    "staff_account": _("Staff accounts are closed by an administrator, not erased."),
    "already_erased": _("This account's personal data was already erased."),
}


def erase_user(*, user: Any, requested_by: Any = None, request: Any = None, reason: str = "request") -> Erasure:
    """Pseudonymise everything the registry lists about ``user`` and close the account (one transaction).

    Raises :class:`ErasureRefused` (409, ``erasure_<blocker>``) - audited - when money is still theirs.
    """
    from tenant_apps.accounts.models import User
    from tenant_apps.ledger.models import Account

    actor = requested_by or user
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)  # lock: user
        # lock: ledger_account
        list(Account.objects.select_for_update().filter(owner=user).order_by("pk").values_list("pk", flat=True))
        blockers = ["already_erased"] if Erasure.objects.filter(user=user).exists() else erasure_blockers(user=user)
        if not blockers:
            identity = _identity(user)
            session_keys = _web_session_keys(user)
            counts = {}
            for entry in registered():
                if entry.model is User:
                    continue  # last: the other tables are found through it
                changed = _erase_entry(entry, user, identity)
                if changed:
                    counts[entry.table] = changed
            counts["accounts.User"] = _erase_entry(next(e for e in registered() if e.model is User), user, identity)
            user.refresh_from_db()
            user.is_active = False
            user.set_unusable_password()
            user.save(update_fields=["is_active", "password"])
            _end_sessions(session_keys)
            erasure = Erasure.objects.create(user=user, requested_by=requested_by if requested_by != user else None,
                                             reason=reason, tables=counts)
            audit_record(action=AuditAction.DATA_RETENTION_PURGED if reason == "retention" else AuditAction.DATA_ERASED,
                         request=request,
                         actor=actor if actor.pk != user.pk else None, actor_email=identity.replacement_email,
                         subject_type="user", subject_id=str(user.public_id),
                         details={"erasure": str(erasure.public_id), "reason": reason, "tables": counts,
                                  "by_operator": actor.pk != user.pk})
            return erasure
    refused = ErasureRefused(_BLOCKER_TEXT[blockers[0]], code=f"erasure_{blockers[0]}")

    def record_refusal() -> None:
        audit_record(action=AuditAction.DATA_ERASURE_REFUSED, request=request, actor=actor, subject_type="user",
                     subject_id=str(user.public_id), details={"blockers": blockers, "reason": reason})

    if connection.in_atomic_block:  # a view's transaction: the record must survive its rollback
        refused.after_rollback(record_refusal)
    else:
        record_refusal()
    raise refused


def _web_session_keys(user: Any) -> list[str]:
    from tenant_apps.risk.models import DeviceSession

    return list(DeviceSession.objects.filter(device__user=user, kind=DeviceSession.KIND_SESSION)
                .values_list("key", flat=True))


def _end_sessions(session_keys: list[str]) -> None:
    """The person's web sessions (known through their devices) are deleted: signed out everywhere."""
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=session_keys).delete()


def erasure_leftovers(*, user: Any, values: list[str]) -> list[str]:
    """Registered columns that still mention one of ``values`` (what the tests and the operator check)."""
    needles = needles_of(values)
    found = []
    for entry in registered():
        if entry.rows is None and not entry.owners:
            continue
        for obj in entry.queryset(user):
            for field in _columns(entry):
                value = getattr(obj, field.attname)
                if value in (None, "", ERASED) or isinstance(value, bool | int):
                    continue
                text = json.dumps(value, default=str) if not isinstance(value, str) else value
                digits = "".join(ch for ch in text if ch.isdigit())
                if any(n in text.lower() or (n.isdigit() and n in digits) for n in needles):
                    found.append(f"{entry.table}.{field.name}#{obj.pk}")
    return found


# --- retention -----------------------------------------------------------------------------------------
def _closed_since(cutoff: datetime):
    """Closed (deactivated) customer/agent accounts, not erased, with no activity (joined, last login, last
    order) since ``cutoff``."""
    from django.db.models import Max
    from django.db.models.functions import Coalesce, Greatest

    from tenant_apps.accounts.models import User

    return User.objects.filter(is_active=False, erasure__isnull=True, is_staff=False, is_superuser=False) \
        .annotate(last_order=Max("orders__created_at")) \
        .annotate(last_seen=Greatest("date_joined", Coalesce("last_login", "date_joined"),
                                     Coalesce("last_order", "date_joined"))) \
        .filter(last_seen__lt=cutoff).order_by("pk")


def _years_before(now: datetime, years: int) -> datetime:
    return now - timedelta(days=365 * years + years // 4)


def erase_kyc(*, user: Any, reason: str = "retention") -> dict[str, int]:
    """Only the identity-check tables (number, documents): KYC retention may end before the transactions'."""
    from tenant_apps.kyc.models import KycDocument, KycSubmission

    identity = _identity(user)
    with transaction.atomic():
        counts = {entry.table: _erase_entry(entry, user, identity) for entry in registered()
                  if entry.model in (KycSubmission, KycDocument)}
        audit_record(action=AuditAction.DATA_RETENTION_PURGED, actor_email="system", subject_type="user",
                     subject_id=str(user.public_id), details={"reason": reason, "scope": "kyc", "tables": counts})
    return counts


def retention_purge(*, years: int, kyc_years: int | None = None, now: datetime | None = None,
                    limit: int = 500) -> dict[str, int]:
    """Closed accounts with no activity for ``kyc_years`` lose their KYC data; for ``years`` (transactions)
    everything is erased (``reason="retention"``); expired export zips are deleted. Accounts still holding
    money are skipped (and counted)."""
    from tenant_apps.kyc.models import KycSubmission

    now = now or timezone.now()
    kyc_purged = 0
    if kyc_years is not None and kyc_years < years:
        with_kyc = KycSubmission.objects.exclude(number_encrypted="").values("user_id")
        for user in _closed_since(_years_before(now, kyc_years)).filter(pk__in=with_kyc)[:limit]:
            erase_kyc(user=user)
            kyc_purged += 1
    erased = skipped = 0
    for user in _closed_since(_years_before(now, years))[:limit]:
        try:
            erase_user(user=user, reason="retention")
        except ErasureRefused:
            skipped += 1
        else:
            erased += 1
    return {"erased": erased, "skipped": skipped, "kyc_purged": kyc_purged,
            "exports_expired": exports_expire(now=now)}


def retention_sweep() -> dict[str, int]:
    """The current tenant's retention purge with its country's period (the daily task, per tenant)."""
    from tenant_apps.accounts.country import current_adapter

    retention = current_adapter().retention
    return retention_purge(years=retention.transactions, kyc_years=retention.kyc)
