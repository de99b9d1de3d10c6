"""Customer money pages: wallet funding through a gateway checkout, P2P transfers, subscriptions.

Thin views over the API's services: ``wallet.funding.funding_start`` /
``funding_refresh``, ``wallet.transfers.p2p_transfer``, ``subscriptions.services``.
Money-moving forms run once per rendered form (``once.run_once``).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shared_apps.core.errors import ApiError
from shared_apps.core.request_guard import FORMS, accepts_body
from shared_apps.core.templatetags.ui import money as format_money
from tenant_apps.accounts.permissions import IsTenantUser, PhoneVerified
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.subscriptions import services as subscription_services
from tenant_apps.subscriptions.models import Subscription
from tenant_apps.wallet.funding import funding_is_held, funding_refresh, funding_start
from tenant_apps.wallet.gateways import tenant_payment_gateways
from tenant_apps.wallet.models import FUNDING_FINAL, FundingIntent, Transfer
from tenant_apps.wallet.transfers import p2p_transfer, wallet_name_check, wallet_payout_rails, wallet_transfer_start
from tenant_apps.wallet.views import NOTIFY_PATHS

from .access import page_requires
from .once import run_once, show_service_error
from .shop import offers_for
from .shop_forms import CashOutForm, FundForm, SubscriptionForm, TransferForm, amount_minor
from .views import page

# --- funding ----------------------------------------------------------------------------------

@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def fund(request):
    gateways = [(row["gateway"], row["name"]) for row in tenant_payment_gateways()]
    form = FundForm(request.POST or None, gateways=gateways)
    if request.method == "POST" and form.is_valid():
        amount = amount_minor(form, required=True)
        if amount is not None and not form.errors:
            gateway = form.cleaned_data["gateway"]

            def start() -> str:
                notify = NOTIFY_PATHS.get(gateway, "")
                intent = funding_start(user=request.user, amount_minor=amount, currency=tenant_currency().code,
                                       gateway_key=gateway,
                                       callback_url=request.build_absolute_uri(reverse("portal:funding-return-base")),
                                       notify_url=request.build_absolute_uri(notify) if notify else "")
                return intent.authorization_url or reverse("portal:funding", args=[intent.public_id])

            try:
                url, _replayed = run_once(request, form, start)
            except ApiError as error:
                show_service_error(form, error)
            else:
                return redirect(url)  # the gateway's checkout page (its simulator in the demo)
    return page(request, "portal/money/fund.html", {"form": form, "gateways": gateways,
                                                     "bank_transfer": _bank_transfer_offered()},
                status=400 if form.errors else 200)


def _bank_transfer_offered() -> bool:
    """Whether this tenant has a dedicated-account gateway: the page links to bank transfer funding only then (in
    Mali the link led to "not available here")."""
    from tenant_apps.wallet.virtual_accounts import VirtualAccountsUnavailable, virtual_account_gateway

    try:
        virtual_account_gateway()
    except VirtualAccountsUnavailable:
        return False
    return True


def _intent_or_404(request, public_id) -> FundingIntent:
    intent = FundingIntent.objects.filter(public_id=public_id, user=request.user).first()
    if intent is None:
        raise Http404
    if intent.status not in FUNDING_FINAL or funding_is_held(intent):
        # verified with the gateway, credited at most once; held over the balance limit: credited if it fits now
        intent = funding_refresh(intent=intent)
    return intent


@page_requires(IsTenantUser)
@require_GET
def funding(request, public_id):
    """Where the gateway sends the customer back; pending payments update in place (htmx polling)."""
    intent = _intent_or_404(request, public_id)
    context = {"intent": intent, "final": intent.status in FUNDING_FINAL}
    if request.htmx:
        return render(request, "portal/money/_funding_status.html", context)
    from .receipts import share_context

    if intent.purpose == "wallet":
        context.update(share_context(request, "funding", intent.public_id), can_share=True)
    return page(request, "portal/money/funding.html", context)


# The gateway sends the browser back here, some (CinetPay) with a form POST (its fields are not read: the intent is
# verified with the gateway itself): HTML forms only, bounded by the request guard like every body.
@accepts_body(FORMS)
@csrf_exempt
@require_http_methods(["GET", "POST"])
def funding_return(request, public_id):
    """Where every gateway sends the customer's browser after paying (the checkout's return URL).

    Works without a session (the app's users fund through the API): the intent's unguessable id shows
    its outcome only (amount and status, nothing personal). A pending intent is verified with the
    gateway first, so the page tells the truth and the wallet is credited (once) by the visit itself.
    The owner, when logged in, goes on to the full funding page.
    """
    intent = FundingIntent.objects.filter(public_id=public_id).first()
    if intent is None:
        raise Http404
    if intent.status not in FUNDING_FINAL:
        intent = funding_refresh(intent=intent)
    if request.user.is_authenticated and intent.user_id == request.user.pk:
        return redirect("portal:funding", public_id=intent.public_id)
    # The outcome only: never the owner's receipt actions (the live share link, its view count), which the
    # owner sees on the funding page above; turning a link off must cut out whoever holds this URL.
    context = {"intent": intent, "final": intent.status in FUNDING_FINAL, "public": True, "can_share": False}
    if request.htmx:
        return render(request, "portal/money/_funding_status.html", context)
    return page(request, "portal/money/funding.html", context)


# --- transfers --------------------------------------------------------------------------------

def transfers_for(user):
    return (Transfer.objects.filter(Q(sender=user) | Q(recipient_user=user))
            .select_related("sender", "recipient_user").order_by("-created_at", "-id"))


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def transfers(request):
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        amount = amount_minor(form, required=True)
        if amount is not None and not form.errors:
            def send() -> str:
                row = p2p_transfer(sender=request.user, recipient=form.cleaned_data["recipient"].strip(),
                                   amount_minor=amount)
                return f"{reverse('portal:transfers')}?sent={row.public_id}"

            try:
                url, _replayed = run_once(request, form, send)
            except ApiError as error:
                show_service_error(form, error)
            else:
                return redirect(url)
    rows = list(transfers_for(request.user)[:20])
    sent = request.GET.get("sent")
    if sent and any(str(row.public_id) == sent and row.sender_id == request.user.pk for row in rows):
        row = next(row for row in rows if str(row.public_id) == sent)
        messages.success(request, _("Sent %(amount)s.") % {"amount": format_money(row.amount_minor, row.currency)})
    return page(request, "portal/money/transfers.html", {"form": form, "rows": rows},
                status=400 if form.errors else 200)


# --- cash out to the customer's own mobile-money wallet ------------------------------------------

@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def cash_out(request):
    """Step 1 checks the wallet holder's name with the rail (where it has a name check) and shows it;
    step 2 (confirm) holds the money and sends the payout. Polled until final like every payout."""
    rails = [(row["rail"], row["name"]) for row in wallet_payout_rails()]
    form = CashOutForm(request.POST or None, rails=rails)
    holder = None
    if request.method == "POST" and form.is_valid():
        amount = amount_minor(form, required=True)
        rail = form.cleaned_data["rail"]
        if not form.errors and not form.cleaned_data.get("confirm"):
            try:
                _gateway, holder = wallet_name_check(phone=request.user.phone or "", rail=rail)
            except ApiError as error:
                show_service_error(form, error)
            else:
                form = CashOutForm(initial={**form.cleaned_data, "confirm": True}, rails=rails)
        elif amount is not None and not form.errors:
            def send() -> str:
                row = wallet_transfer_start(sender=request.user, phone=request.user.phone or "", amount_minor=amount,
                                            rail=rail, site_url=request.build_absolute_uri("/"))
                return f"{reverse('portal:cash-out')}?sent={row.public_id}"

            try:
                url, _replayed = run_once(request, form, send)
            except ApiError as error:
                show_service_error(form, error)
            else:
                return redirect(url)
    rows = list(Transfer.objects.filter(sender=request.user, type="wallet").order_by("-created_at", "-id")[:20])
    sent = request.GET.get("sent")
    if sent and any(str(row.public_id) == sent for row in rows):
        row = next(row for row in rows if str(row.public_id) == sent)
        messages.success(request, _("Cash-out of %(amount)s sent to your wallet; it shows as pending until the "
                                    "service confirms.") % {"amount": format_money(row.amount_minor, row.currency)})
    return page(request, "portal/money/cash_out.html", {"form": form, "rows": rows, "holder": holder,
                                                         "rails": rails, "phone": request.user.phone},
                status=400 if form.errors else 200)


# --- subscriptions ----------------------------------------------------------------------------

def _subscription_products() -> list[tuple[int, str]]:
    choices = []
    for kind in ("airtime", "data"):
        for offer in offers_for(product_type=kind):
            label = offer.name if offer.price_minor is None else \
                f"{offer.name} — {format_money(offer.price_minor, offer.currency)}"
            choices.append((offer.id, label))
    return choices


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def subscriptions(request):
    form = SubscriptionForm(request.POST or None, initial={"recipient_phone": request.user.phone or ""},
                            products=_subscription_products())
    if request.method == "POST" and form.is_valid():
        amount = amount_minor(form)
        if not form.errors:
            data = form.cleaned_data

            def create() -> str:
                subscription_services.subscription_create(
                    user=request.user, product_id=data["product_id"], frequency=data["frequency"],
                    recipient_phone=data["recipient_phone"], amount_minor=amount, end_date=data.get("end_date"))
                return reverse("portal:subscriptions")

            try:
                url, replayed = run_once(request, form, create)
            except ApiError as error:
                show_service_error(form, error)
            else:
                if not replayed:
                    messages.success(request, _("Subscription created."))
                return redirect(url)
    rows = Subscription.objects.filter(user=request.user).order_by("-created_at", "-id")[:50]
    return page(request, "portal/money/subscriptions.html", {"form": form, "rows": rows},
                status=400 if form.errors else 200)


SUBSCRIPTION_ACTIONS = {
    "pause": subscription_services.subscription_pause,
    "resume": subscription_services.subscription_resume,
    "cancel": subscription_services.subscription_cancel,
}


@page_requires(IsTenantUser, PhoneVerified)
@require_POST
def subscription_action(request, public_id, action: str):
    service = SUBSCRIPTION_ACTIONS.get(action)
    sub = Subscription.objects.filter(user=request.user, public_id=public_id).first()
    if service is None or sub is None:
        raise Http404
    error = None
    try:
        sub = service(subscription=sub)
    except ApiError as exc:
        error = _(str(exc.message))
    if request.htmx:
        return render(request, "portal/money/_subscription_row.html", {"sub": sub, "error": error},
                      status=409 if error else 200)
    if error:
        messages.error(request, error)
    return redirect("portal:subscriptions")


__all__ = ["cash_out", "fund", "funding", "funding_return", "subscription_action", "subscriptions", "transfers"]
