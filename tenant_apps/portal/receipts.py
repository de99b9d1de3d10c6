"""Receipts in the portal: the PDF of one's own receipt, sharing it as a link, and the shared page itself.

* ``/receipts/<kind>/<id>.pdf``: the owner's receipt (order, transfer or wallet funding) as a PDF, branded,
  in the owner's language, with the VAT line where the country charges VAT.
* ``/receipts/<kind>/<id>/share`` (POST): make the link (once) or, with ``action=stop``, turn it off.
* ``/r/<token>`` and ``/r/<token>/pdf``: the shared receipt, no login, numbers masked; never indexed,
  never cached, and no Referer leaves the page (the token is the only key).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenant_apps.accounts.permissions import IsTenantUser
from tenant_apps.receipts import services
from tenant_apps.receipts.data import format_money, receipt_for
from tenant_apps.receipts.models import ReceiptKind, ReceiptLink
from tenant_apps.receipts.views import pdf_response

from .access import page_requires
from .views import page

BACK: dict[str, str] = {ReceiptKind.ORDER: "portal:receipt", ReceiptKind.FUNDING: "portal:funding"}


def _owned(request, kind: str, public_id):
    if kind not in ReceiptKind.values:
        raise Http404
    obj = services.receipt_object(kind=kind, public_id=public_id, owner=request.user)
    if obj is None:
        raise Http404
    return obj


def live_link(kind: str, public_id) -> ReceiptLink | None:
    return ReceiptLink.objects.filter(kind=kind, object_id=public_id, revoked_at__isnull=True).first()


def share_context(request, kind: str, public_id) -> dict:
    """For a receipt page: the live link's URL (or None) and the URLs of its PDF and share form."""
    link = live_link(kind, public_id)
    base = f"{request.scheme}://{request.get_host()}"
    return {"share_url": f"{base}/r/{link.token}" if link else "", "share_views": link.views if link else 0,
            "receipt_kind": kind}


@page_requires(IsTenantUser)
@require_GET
def receipt_pdf(request, kind: str, public_id):
    return pdf_response(request, kind, _owned(request, kind, public_id), shared=False, filename="receipt")


@page_requires(IsTenantUser)
@require_POST
def receipt_share(request, kind: str, public_id):
    obj = _owned(request, kind, public_id)
    if request.POST.get("action") == "stop":
        services.receipt_unshare(owner=request.user, kind=kind, public_id=obj.public_id)
        messages.success(request, _("The link is off: nobody can open it any more."))
    else:
        services.receipt_share(owner=request.user, kind=kind, public_id=obj.public_id)
        messages.success(request, _("Anyone with the link can see this receipt (numbers partly hidden)."))
    back = BACK.get(kind)
    return redirect(back, public_id=obj.public_id) if back else redirect("portal:history")


def _shared(token: str):
    found = services.receipt_by_token(token)
    if found is None:
        raise Http404
    return found


def _private(response):
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def shared_receipt(request, token: str):
    link, obj = _shared(token)
    receipt = receipt_for(link.kind, obj, language=request.LANGUAGE_CODE[:2])
    response = page(request, "portal/receipts/shared.html", {
        "receipt": receipt, "total": format_money(receipt, receipt.total_minor),
        "taxes": [(tax, format_money(receipt, tax.amount_minor)) for tax in receipt.taxes], "token": token,
        "charged": format_money(receipt, receipt.charged_minor) if receipt.charged_minor is not None else ""})
    return _private(response)


@require_GET
def shared_receipt_pdf(request, token: str):
    link, obj = _shared(token)
    return _private(pdf_response(request, link.kind, obj, shared=True, filename="receipt"))
