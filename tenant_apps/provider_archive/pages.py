"""Back office: the provider archive of an order or a payout (support staff), as a page section and as a
JSON file for disputes. Same tenant, staff only: the rows carry no secret, but they are evidence."""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from tenant_apps.accounts.permissions import IsOperatorStaff
from tenant_apps.orders.models import Order
from tenant_apps.portal.access import page_requires
from tenant_apps.portal.views import page
from tenant_apps.wallet.models import Transfer, TransferType

from .selectors import dispute_file, exchanges_for


def _download(*, subject_type: str, subject_id: int, reference: str) -> HttpResponse:
    body = json.dumps(dispute_file(subject_type=subject_type, subject_id=subject_id, reference=reference),
                      indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="provider-archive-{reference}.json"'
    response["Cache-Control"] = "no-store"
    return response


@page_requires(IsOperatorStaff)
@require_GET
def order_archive_json(request, public_id):
    order = get_object_or_404(Order, public_id=public_id)
    return _download(subject_type="order", subject_id=order.pk, reference=order.reference)


def _payout(public_id) -> Transfer:
    row = Transfer.objects.select_related("sender").filter(public_id=public_id).first()
    if row is None or row.type == TransferType.P2P:
        raise Http404
    return row


@page_requires(IsOperatorStaff)
@require_GET
def payout_detail(request, public_id):
    row = _payout(public_id)
    return page(request, "provider_archive/payout.html", {
        "payout": row, "provider_exchanges": exchanges_for(subject_type="payout", subject_id=row.pk),
        "archive_download": f"/back-office/payouts/{row.public_id}/provider-archive.json"})


@page_requires(IsOperatorStaff)
@require_GET
def payout_archive_json(request, public_id):
    row = _payout(public_id)
    return _download(subject_type="payout", subject_id=row.pk, reference=row.reference)
