"""Bulk top-ups in the agent portal (agents) and for a reseller's admins: upload a CSV, check the preview,
confirm once, follow the orders, download the results.

Thin views over ``tenant_apps.bulk.services`` (the API's): the upload is the preview (the same file again
opens the same batch); the confirmation runs through the form key (``once.run_once``: a double click
confirms once) and carries the preview's ``pricing_version``, so it is refused if the prices changed in
between; progress is polled with htmx while orders are being placed or are still processing.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from shared_apps.core.errors import ApiError
from shared_apps.core.request_guard import FORMS, accepts_body
from tenant_apps.accounts.permissions import PhoneVerified
from tenant_apps.bulk import services
from tenant_apps.bulk.models import BatchStatus, BulkBatch, RowStatus
from tenant_apps.bulk.permissions import CanBulkTopUp
from tenant_apps.bulk.views import results_response
from tenant_apps.orders.models import FINAL_STATUSES

from .access import page_requires
from .forms import StyledForm
from .once import OnceMixin, run_once, show_service_error
from .views import page

SAMPLE = ("number,product,amount\r\n08031234567,,500\r\n+2348051234567,,1000\r\n")


class UploadForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("CSV file"), widget=forms.ClearableFileInput(
        attrs={"accept": ".csv,text/csv,text/plain"}),
        help_text=gettext_lazy("One top-up per line: number, then a product number or an amount."))


class ConfirmForm(OnceMixin, StyledForm):
    pricing_version = forms.CharField(widget=forms.HiddenInput, max_length=64)


def _batch(request, public_id) -> BulkBatch:
    batch = BulkBatch.objects.select_related("user").filter(user=request.user, public_id=public_id).first()
    if batch is None:
        raise Http404
    return batch


@accepts_body(FORMS, uploads=True)  # the CSV file (bounded again by the service: BULK_TOPUP_MAX_FILE_BYTES)
@page_requires(CanBulkTopUp, PhoneVerified)
@require_http_methods(["GET", "POST"])
def bulk_upload_page(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.BULK_TOPUP_MAX_FILE_BYTES:
                raise services.FileTooLarge(fields={"file": [_("At most %(n)d KiB.") % {
                    "n": settings.BULK_TOPUP_MAX_FILE_BYTES // 1024}]})
            batch, created = services.bulk_upload(user=request.user, file_name=upload.name or "",
                                                  content=upload.read(settings.BULK_TOPUP_MAX_FILE_BYTES + 1))
        except ApiError as error:
            form.add_error(None, _(str(error.message)))
            for message in (error.fields or {}).get("file", []):
                form.add_error("file", message)
        else:
            if not created:
                messages.info(request, _("You already sent this file: here is its batch. Nothing was bought twice."))
            return redirect("portal:bulk-batch", public_id=batch.public_id)
    batches = BulkBatch.objects.filter(user=request.user)[:20]
    return page(request, "portal/bulk/upload.html", {"form": form, "batches": batches,
                                                     "max_rows": settings.BULK_TOPUP_MAX_ROWS},
                status=400 if form.errors else 200)


def _progress_context(batch: BulkBatch) -> dict:
    preview = services.bulk_preview(batch=batch)
    counts: dict[str, int] = {}
    open_orders = 0
    for row in preview.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
        if row.order is not None and row.order.status not in FINAL_STATUSES:
            open_orders += 1
    polling = batch.status == BatchStatus.PROCESSING or (batch.status == BatchStatus.COMPLETED and open_orders > 0)
    return {"batch": batch, "preview": preview, "rows": preview.rows, "counts": counts, "polling": polling,
            "invalid": counts.get(RowStatus.INVALID, 0), "ordered": counts.get(RowStatus.ORDERED, 0),
            "refused": counts.get(RowStatus.FAILED, 0), "waiting": counts.get(RowStatus.READY, 0),
            "open_orders": open_orders}


@page_requires(CanBulkTopUp, PhoneVerified)
@require_http_methods(["GET", "POST"])
def bulk_batch_page(request, public_id):
    batch = _batch(request, public_id)
    posted = ConfirmForm(request.POST or None)
    errors: list[str] = []
    key = None
    if request.method == "POST" and posted.is_valid():
        key = posted.cleaned_data["idempotency_key"]

        def confirm() -> str:
            services.bulk_confirm(user=request.user, batch=batch,
                                  expected_pricing_version=posted.cleaned_data["pricing_version"])
            return reverse("portal:bulk-batch", args=[batch.public_id])

        try:
            url, _replayed = run_once(request, posted, confirm)
        except ApiError as error:
            show_service_error(posted, error)
            errors = [str(error) for error in posted.non_field_errors()]
            batch.refresh_from_db()
        else:
            messages.success(request, _("Confirmed: the orders are being placed."))
            return redirect(url)
    elif request.method == "POST":
        errors = [_("This form has expired. Open the page again.")]
    context = _progress_context(batch)
    # A fresh confirmation form with today's pricing; after a refusal it keeps its key (a retry still runs once).
    form = ConfirmForm(initial={"pricing_version": context["preview"].pricing_version})
    if key:
        form.fields["idempotency_key"].initial = key
    return page(request, "portal/bulk/batch.html", {**context, "form": form, "confirm_errors": errors},
                status=400 if errors else 200)


@page_requires(CanBulkTopUp)
@require_GET
def bulk_progress(request, public_id):
    """htmx polling target: the batch's progress and rows (polling stops once every order is final)."""
    return render(request, "portal/bulk/_progress.html", _progress_context(_batch(request, public_id)))


@page_requires(CanBulkTopUp)
@require_GET
def bulk_results(request, public_id):
    return results_response(_batch(request, public_id))


@page_requires(CanBulkTopUp)
@require_GET
def bulk_sample(request):
    response = HttpResponse(SAMPLE, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bulk-topup-sample.csv"'
    return response
