"""Reseller onboarding: apply on a country operation's domain, operator admin approves or rejects.

Approval provisions a ``reseller_brand`` tenant (schema, domain, branding, first
admin) through ``tenants.services.tenant_provision``, opens its float at the
operation, invites the first admin to set a password and notifies the applicant
(email + SMS, logged). The whole approval is one transaction: a failure leaves
no tenant, no schema and a still-pending application.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from shared_apps.core.errors import ApiError, Conflict, Forbidden, NotFound
from tenant_apps.accounts.country import normalize_phone
from tenants.connection import current_schema, tenant_connection
from tenants.models import Domain, Tenant, TenantKind
from tenants.services import Branding, TenantProvisioningError, schema_name_for_domain, tenant_provision

from .floats import open_float
from .links import invitation_page, site_url
from .models import ApplicationStatus, ResellerApplication, ResellerDocument
from .services import _notify, invite

SUBDOMAIN_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
DOCUMENT_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg"}
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class UploadedDocument:
    kind: str
    file: UploadedFile


def current_operation() -> Tenant:
    tenant = Tenant.objects.filter(schema_name=current_schema()).first()
    if tenant is None or tenant.kind != TenantKind.COUNTRY_OPERATION:
        raise Forbidden(gettext("Resellers apply on a country operation's site."), code="not_a_country_operation")
    return tenant


def reseller_domain(*, parent: Tenant, subdomain: str) -> str:
    suffix = settings.RESELLERS["DOMAIN_SUFFIX"]
    if not suffix:
        primary = Domain.objects.filter(tenant=parent, is_primary=True).values_list("domain", flat=True).first()
        suffix = (primary or "").split(".", 1)[1] if primary and "." in primary else (primary or "localhost")
    return f"{subdomain}.{suffix.strip('.')}"


def _check_subdomain(subdomain: str, *, parent: Tenant) -> str:
    subdomain = (subdomain or "").strip().lower()
    if not SUBDOMAIN_RE.match(subdomain) or subdomain in settings.RESELLERS["RESERVED_SUBDOMAINS"]:
        raise ApiError(gettext("Choose 3-32 lowercase letters, digits or hyphens, starting with a letter."),
                       code="invalid_subdomain", fields={"desired_subdomain": [gettext("Invalid subdomain.")]})
    domain = reseller_domain(parent=parent, subdomain=subdomain)
    schema = schema_name_for_domain(domain)
    if Domain.objects.filter(domain=domain).exists() or Tenant.objects.filter(schema_name=schema).exists():
        raise Conflict(gettext("This subdomain is taken."), code="subdomain_taken",
                       fields={"desired_subdomain": [gettext("Already taken.")]})
    return subdomain


def _check_documents(documents: list[UploadedDocument]) -> None:
    if not documents:
        raise ApiError(gettext("Attach the company's registration certificate."), code="validation_error",
                       fields={"documents": [gettext("At least one document is required.")]})
    for document in documents:
        extension = os.path.splitext(getattr(document.file, "name", ""))[1].lower()
        size = document.file.size  # None: not an upload (its size unknown)
        if extension not in DOCUMENT_EXTENSIONS or size is None or size > MAX_DOCUMENT_BYTES:
            raise ApiError(gettext("Documents are PDF, PNG or JPEG files up to 5 MB."), code="invalid_document",
                           fields={document.kind: [gettext("PDF, PNG or JPEG, at most 5 MB.")]})


def application_submit(*, data: dict, documents: list[UploadedDocument]) -> ResellerApplication:
    parent = current_operation()
    subdomain = _check_subdomain(data.get("desired_subdomain", ""), parent=parent)
    _check_documents(documents)
    # Texted at approval and given to the first admin: the country's E.164 number, as every phone here
    # (typed "0803 111 0001", it was kept as typed and the approval SMS went to "+08031110001").
    data = {**data, "contact_phone": normalize_phone(data.get("contact_phone", ""), field="contact_phone")}
    try:
        with transaction.atomic():
            application = ResellerApplication.objects.create(**{**data, "desired_subdomain": subdomain})
            for document in documents:
                ResellerDocument.objects.create(application=application, kind=document.kind, file=document.file)
    except IntegrityError:
        raise Conflict(gettext("An application for this subdomain is already pending."), code="subdomain_taken",
                       fields={"desired_subdomain": [gettext("Already requested.")]}) from None
    return application


def _pending(application_id) -> ResellerApplication:
    # lock: subject
    application = ResellerApplication.objects.select_for_update().filter(public_id=application_id).first()
    if application is None:
        raise NotFound(gettext("Unknown application."))
    if application.status != ApplicationStatus.PENDING:
        raise Conflict(gettext("This application was already decided (%(status)s).") % {
            "status": application.get_status_display()}, code="application_decided")
    return application


def application_approve(*, application_id, decided_by, note: str = "", request: Any = None) -> ResellerApplication:
    """Provision the reseller brand and tell the applicant. Records how long provisioning took.

    The applicant's message links to the new site's invitation page (``links.invitation_page``): with the
    approving ``request``'s scheme and port (the new domain is served by the same web servers), else
    ``settings.PUBLIC_SITE_SCHEME`` / ``PUBLIC_SITE_PORT``."""
    parent = current_operation()
    with transaction.atomic():
        application = _pending(application_id)
        domain = reseller_domain(parent=parent, subdomain=application.desired_subdomain)
        started = time.perf_counter()
        try:
            result = tenant_provision(
                kind=TenantKind.RESELLER_BRAND, country=parent.country, name=application.company_name,
                domain=domain, admin_email=application.contact_email, parent=parent,
                branding=Branding(display_name=application.company_name, logo_url=application.logo_url,
                                  primary_colour=application.primary_colour,
                                  accent_colour=application.accent_colour,
                                  support_email=application.contact_email,
                                  support_phone=application.contact_phone,
                                  default_language=application.default_language or parent.default_language,
                                  sms_sender_id=application.sms_sender_id))
        except TenantProvisioningError as exc:
            raise ApiError(str(exc), code=exc.code, fields={exc.field or "application": [str(exc)]},
                           status_code=409 if exc.code.startswith("duplicate") else 400) from None
        finally:
            tenant_connection().set_tenant(parent)  # tenant_provision leaves the connection on public
        seconds = time.perf_counter() - started
        open_float(reseller=result.tenant)
        with schema_context(result.tenant.schema_name):
            from django.contrib.auth import get_user_model

            admin = get_user_model().objects.get(email=result.admin_email)
            if application.contact_phone:
                admin.phone = application.contact_phone
                admin.save(update_fields=["phone"])
            _, token = invite(inviter=admin, email=result.admin_email, role="operator_admin", notify=False)
        application.status = ApplicationStatus.APPROVED
        application.decided_by, application.decided_at = decided_by, timezone.now()
        application.decision_note = note[:500]
        application.tenant_id, application.domain = result.tenant.pk, domain
        application.provisioning_seconds = seconds
        application.save()
        contact_email, contact_phone, name = application.contact_email, application.contact_phone, \
            application.company_name
        language = application.default_language or parent.default_language
        site = site_url(domain, request=request)
        link = f"{invitation_page(request=request, domain=domain)}?token={token}"
        transaction.on_commit(lambda: _notify(
            email=contact_email, phone=contact_phone, template="reseller_approved",
            context={"domain": domain, "site": site, "link": link, "token": token, "company": name},
            purpose="reseller_approved",
            secrets=[token], mask="(setup code redacted)", language=language))
    return application


def application_reject(*, application_id, decided_by, note: str) -> ResellerApplication:
    if not (note or "").strip():
        raise ApiError(gettext("Say why."), code="validation_error", fields={"note": [gettext("Required.")]})
    with transaction.atomic():
        application = _pending(application_id)
        application.status = ApplicationStatus.REJECTED
        application.decided_by, application.decided_at, application.decision_note = decided_by, timezone.now(), \
            note.strip()[:500]
        application.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        email, phone = application.contact_email, application.contact_phone
        language = application.default_language or None
        transaction.on_commit(lambda: _notify(
            email=email, phone=phone, template="reseller_rejected", context={"note": note.strip()[:300]},
            purpose="reseller_rejected", language=language))
    return application
