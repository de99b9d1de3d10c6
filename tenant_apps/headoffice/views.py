"""Head-office console pages (public domain): tenants, providers, audit.

Readers: ``IsHeadOffice`` (super_admin, analyst); writers: ``IsSuperAdmin`` —
the permission classes of the head-office API. ``tenant_apps.accounts`` and
``tenant_apps.audit`` are used here because they are also public-schema apps
(head-office users and the platform audit live in the public schema).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shared_apps.core.errors import ApiError
from shared_apps.providers.models import Provider
from tenant_apps.accounts.models import HEAD_OFFICE_ROLES
from tenant_apps.accounts.permissions import IsHeadOffice, IsSuperAdmin
from tenant_apps.accounts.services import user_login
from tenant_apps.audit.selectors import audit_events
from tenants.models import Tenant, TenantKind
from tenants.selectors import tenant_list
from tenants.services import Branding, TenantProvisioningError

from .access import allowed, bind_session_to_schema, console_requires, rate_limited
from .forms import AuditFilterForm, BrandingForm, LoginForm, ProviderForm, SuspendForm, TenantCreateForm
from .services import (
    BRANDING_FIELDS,
    console_provider_update,
    console_tenant_branding,
    console_tenant_create,
    console_tenant_reactivate,
    console_tenant_suspend,
    parse_credentials,
)


def page(request, template: str, context: dict | None = None, *, status: int = 200):
    nav = []
    if request.user.is_authenticated and allowed(request, IsHeadOffice):
        sections = (("/console/tenants", _("Tenants")), ("/console/providers", _("Providers")),
                    ("/console/catalog", _("Catalog")), ("/console/analytics", _("Analytics")),
                    ("/console/tax", _("Taxes")),
                    ("/console/audit", _("Audit log")))
        nav = [{"url": url, "label": label, "current": request.path.startswith(url)} for url, label in sections]
    context = {"nav": nav, "can_write": allowed(request, IsSuperAdmin) if request.user.is_authenticated else False,
               **(context or {})}
    return render(request, template, context, status=status)


def _branding(data: dict) -> Branding:
    return Branding(**{name: data.get(name) or "" for name in BRANDING_FIELDS})


def _provisioning_error(form, error: TenantProvisioningError) -> None:
    form.add_error(error.field if error.field in form.fields else None, _(str(error)))


def root(request):
    return redirect("headoffice:tenants")


@require_http_methods(["GET", "POST"])
def login_page(request):
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST" and rate_limited(request, "auth_login"):
        form.add_error(None, _("Too many attempts. Try again in a minute."))
        return page(request, "headoffice/login.html", {"form": form, "next": next_url}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_login(email=form.cleaned_data["email"], password=form.cleaned_data["password"],
                              request=request)
        except ApiError as error:
            form.add_error(None, _(str(error.message)))
        else:
            if user.role not in HEAD_OFFICE_ROLES:
                form.add_error(None, _("Your role does not allow this action."))
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                bind_session_to_schema(request)
                return redirect(next_url or "headoffice:tenants")
    return page(request, "headoffice/login.html", {"form": form, "next": next_url},
                status=400 if form.errors else 200)


@require_POST
def logout_page(request):
    logout(request)
    return redirect("headoffice:login")


@console_requires(IsHeadOffice)
def tenants(request):
    rows = tenant_list().exclude(kind=TenantKind.HEAD_OFFICE).prefetch_related("domains").select_related("parent")
    return page(request, "headoffice/tenants.html", {"rows": rows})


@console_requires(IsSuperAdmin)
@require_http_methods(["GET", "POST"])
def tenant_create(request):
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = console_tenant_create(
                actor=request.user, kind=data["kind"], country=data["country"], name=data["name"],
                domain=data["domain"], admin_email=data["admin_email"], admin_password=data["admin_password"],
                parent=data["parent"], branding=_branding(data), request=request)
        except TenantProvisioningError as error:
            _provisioning_error(form, error)
        else:
            messages.success(request, _("Tenant %(name)s is ready at %(domain)s.") % {
                "name": result.tenant.brand_name, "domain": result.domain.domain})
            return redirect("headoffice:tenant", schema=result.tenant.schema_name)
    return page(request, "headoffice/tenant_create.html", {"form": form}, status=400 if form.errors else 200)


@console_requires(IsHeadOffice)
@require_http_methods(["GET", "POST"])
def tenant_detail(request, schema):
    tenant = get_object_or_404(Tenant.objects.exclude(kind=TenantKind.HEAD_OFFICE), schema_name=schema)
    initial = {name: getattr(tenant, name) for name in BRANDING_FIELDS}
    form = BrandingForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not allowed(request, IsSuperAdmin):
            return render(request, "headoffice/forbidden.html", status=403)
        if form.is_valid():
            try:
                console_tenant_branding(actor=request.user, tenant=tenant, branding=_branding(form.cleaned_data),
                                        request=request)
            except TenantProvisioningError as error:
                _provisioning_error(form, error)
            else:
                messages.success(request, _("Branding saved."))
                return redirect("headoffice:tenant", schema=tenant.schema_name)
    return page(request, "headoffice/tenant_detail.html",
                {"tenant": tenant, "form": form, "suspend_form": SuspendForm(),
                 "domains": list(tenant.domains.all())}, status=400 if form.errors else 200)


@console_requires(IsSuperAdmin)
@require_POST
def tenant_status(request, schema):
    tenant = get_object_or_404(Tenant.objects.exclude(kind=TenantKind.HEAD_OFFICE), schema_name=schema)
    if request.POST.get("action") == "reactivate":
        console_tenant_reactivate(actor=request.user, tenant=tenant, request=request)
        messages.success(request, _("Tenant reactivated."))
    else:
        form = SuspendForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give a reason for the suspension."))
        else:
            console_tenant_suspend(actor=request.user, tenant=tenant, reason=form.cleaned_data["reason"],
                                   request=request)
            messages.success(request, _("Tenant suspended."))
    return redirect("headoffice:tenant", schema=tenant.schema_name)


@console_requires(IsHeadOffice)
def providers(request):
    return page(request, "headoffice/providers.html", {"rows": Provider.objects.all()})


@console_requires(IsHeadOffice)
def provider_balances(request):
    """Our balance at every provider that has a balance enquiry (asked now; lows are logged and exported)."""
    from shared_apps.providers.balances import provider_balances as read_balances

    return page(request, "headoffice/provider_balances.html", {"lines": read_balances()})


@console_requires(IsHeadOffice)
@require_http_methods(["GET", "POST"])
def provider_edit(request, pk):
    provider = get_object_or_404(Provider, pk=pk)
    initial = {"status": provider.status, "routing_priority": provider.routing_priority,
               "base_url": provider.base_url, "timeout_seconds": provider.timeout_seconds}
    form = ProviderForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not allowed(request, IsSuperAdmin):
            return render(request, "headoffice/forbidden.html", status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                credentials = parse_credentials(data["credentials"])
            except ValueError as error:
                form.add_error("credentials", str(error))
            else:
                try:
                    console_provider_update(actor=request.user, provider=provider, status=data["status"],
                                            routing_priority=data["routing_priority"], base_url=data["base_url"],
                                            timeout_seconds=data["timeout_seconds"], credentials=credentials or None,
                                            request=request)
                except ValidationError as error:
                    form.add_error("credentials", error.messages[0])
                else:
                    messages.success(request, _("Provider saved."))
                    return redirect("headoffice:providers")
    # Never send the posted secrets back, even when the form has errors.
    if form.is_bound:
        scrubbed = request.POST.copy()  # what the form is bound to
        scrubbed["credentials"] = ""
        form.data = scrubbed
    return page(request, "headoffice/provider_edit.html", {"provider": provider, "form": form},
                status=400 if form.errors else 200)


@console_requires(IsHeadOffice)
def audit(request):
    form = AuditFilterForm(request.GET or None)
    action = form.cleaned_data.get("action", "") if form.is_valid() else ""
    rows = Paginator(audit_events(action=action.strip()), settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return page(request, "headoffice/audit.html", {"form": form, "rows": rows})
