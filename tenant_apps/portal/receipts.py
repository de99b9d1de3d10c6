"""Receipts in the portal: the PDF of one's own receipt, sharing it as a link, and the shared page itself.

* ``/receipts/<kind>/<id>.pdf``: the owner's receipt (order, transfer, wallet funding or remittance sent) as a
  PDF, branded, in the owner's language, with the VAT line where the country charges VAT.
* ``/receipts/<kind>/<id>/share`` (POST): make the link (once) or, with ``action=stop``, turn it off.
* ``/r/<token>`` and ``/r/<token>/pdf``: the shared receipt, no login, numbers masked; never indexed,
  never cached, and no Referer leaves the page (the token is the only key). A link turned off or past its
  expiry answers 404 with a page that says which.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenant_apps.accounts.permissions import IsTenantUser
from tenant_apps.receipts import selectors, services
from tenant_apps.receipts.data import format_money, receipt_for
from tenant_apps.receipts.models import ReceiptKind
from tenant_apps.receipts.views import pdf_response

from .access import page_requires
from .views import page

BACK: dict[str, str] = {ReceiptKind.ORDER: "portal:receipt", ReceiptKind.FUNDING: "portal:funding",
                        ReceiptKind.REMITTANCE: "portal:remittance"}


def _owned(request, kind: str, public_id):
    if kind not in ReceiptKind.values:
        raise Http404
    obj = services.receipt_object(kind=kind, public_id=public_id, owner=request.user)
    if obj is None:
        raise Http404
    return obj


def share_context(request, kind: str, public_id) -> dict:
    """For a receipt page: the live link's URL (or "") with its expiry and views, or when the last link expired."""
    link = selectors.latest_link(kind=kind, public_id=public_id)
    expired = link is not None and selectors.link_expired(link)
    live = link if link is not None and not expired else None
    base = f"{request.scheme}://{request.get_host()}"
    return {"share_url": f"{base}/r/{live.token}" if live else "", "share_views": live.views if live else 0,
            "share_expires_at": live.expires_at if live else None,
            "share_expired_at": link.expires_at if expired and link is not None else None, "receipt_kind": kind}


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


class LinkRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _shared(token: str):
    found = services.receipt_by_token(token)
    if found is None:
        reason = selectors.link_refusal(token) if services.TOKEN_PATTERN.match(token or "") else None
        if reason is None:
            raise Http404
        raise LinkRefused(reason)
    return found


def _refused(request, reason: str):
    """A link turned off or expired: 404 (as a revoked link always was), with a page that says which."""
    return _private(page(request, "portal/receipts/unavailable.html", {"reason": reason}, status=404))


def _private(response):
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def shared_receipt(request, token: str):
    try:
        link, obj = _shared(token)
    except LinkRefused as refused:
        return _refused(request, refused.reason)
    receipt = receipt_for(link.kind, obj, language=request.LANGUAGE_CODE[:2])
    response = page(request, "portal/receipts/shared.html", {
        "receipt": receipt, "total": format_money(receipt, receipt.total_minor),
        "taxes": [(tax, format_money(receipt, tax.amount_minor)) for tax in receipt.taxes], "token": token,
        "charged": format_money(receipt, receipt.charged_minor) if receipt.charged_minor is not None else ""})
    return _private(response)


@require_GET
def shared_receipt_pdf(request, token: str):
    try:
        link, obj = _shared(token)
    except LinkRefused as refused:
        return _refused(request, refused.reason)
    return _private(pdf_response(request, link.kind, obj, shared=True, filename="receipt"))
