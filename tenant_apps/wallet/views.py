"""Wallet HTTP API: balances, statement (JSON or CSV), operator adjustments, funding, transfers, webhooks."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.amounts import parse_amount
from shared_apps.core.api_scopes import ADMIN, WALLET, api_key_scopes
from shared_apps.core.errors import ApiError, NotFound, error_body
from shared_apps.core.pagination import page_of
from shared_apps.core.request_guard import JSON, accepts_body
from shared_apps.providers.callbacks import provider_callback
from tenant_apps.accounts.permissions import PhoneVerified
from tenant_apps.idempotency.decorators import idempotent, idempotent_after_lookup
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string
from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.selectors import wallet_balances, wallet_statement
from tenants.replica import reporting_reads

from . import receivers
from .adjustments import wallet_adjust
from .funding import funding_refresh, funding_start
from .funding_reviews import funding_in_suspense, funding_review_resolve, funding_reviews
from .gateways import tenant_payment_gateways
from .models import FundingIntent, Transfer, TransferStatus
from .permissions import IsOperatorFinance
from .renderers import CSVRenderer
from .serializers import (
    AccountNameSerializer,
    AdjustmentResponseSerializer,
    AdjustmentSerializer,
    BankRecipientSerializer,
    FundingIntentSerializer,
    FundingReviewListSerializer,
    FundingReviewResolveSerializer,
    FundingReviewSerializer,
    FundRequestSerializer,
    GatewayListSerializer,
    ProviderBalanceListSerializer,
    StatementFilterSerializer,
    StatementRowSerializer,
    TransferRequestSerializer,
    TransferSerializer,
    VirtualAccountOpenSerializer,
    VirtualAccountSerializer,
    WalletNameCheckSerializer,
    WalletNameSerializer,
    WalletRailListSerializer,
    WalletResponseSerializer,
    statement_row,
)
from .transfers import (
    bank_payout_lookup,
    bank_transfer_start,
    name_enquiry,
    p2p_transfer,
    wallet_name_check,
    wallet_payout_lookup,
    wallet_payout_rails,
    wallet_transfer_start,
)
from .webhooks import WebhookRejected

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="Unique per operation; a replay returns the first response with Idempotency-Replayed: true.")


@api_key_scopes(GET=WALLET)
class WalletView(APIView):
    """GET /api/wallet: available and on-hold balance per currency."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WalletResponseSerializer)
    def get(self, request):
        balances = wallet_balances(user=request.user)
        default = tenant_currency().code
        wallets = [{"currency": b.currency, "kind": b.wallet.kind,
                    "available": to_decimal_string(b.available, b.currency),
                    "on_hold": to_decimal_string(b.on_hold, b.currency)} for b in balances]
        if not any(w["currency"] == default for w in wallets):
            zero = to_decimal_string(0, default)
            wallets.insert(0, {"currency": default, "kind": AccountKind.USER_WALLET.value,
                               "available": zero, "on_hold": zero})
        return Response({"default_currency": default, "wallets": wallets})


class StatementPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


@api_key_scopes(GET=WALLET)
class WalletTransactionsView(APIView):
    """GET /api/wallet/transactions: paginated statement; ``?format=csv`` exports every matching line."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, CSVRenderer]
    pagination_class = StatementPagination

    @extend_schema(parameters=[StatementFilterSerializer], responses=StatementRowSerializer(many=True))
    def get(self, request, *args, **kwargs):
        filters = StatementFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        # History and exports read the replica when there is one (tenants.replica): seconds of lag are fine here.
        with reporting_reads():
            postings = wallet_statement(user=request.user, currency=data.get("currency"),
                                        entry_type=data.get("type"), status=data.get("status"),
                                        date_from=data.get("date_from"), date_to=data.get("date_to"))
            if request.accepted_renderer.format == "csv":
                rows = [statement_row(p) for p in postings.iterator(chunk_size=1000)]
                response = Response(rows)
                response["Content-Disposition"] = 'attachment; filename="wallet-statement.csv"'
                return response
            paginator = StatementPagination()
            page = page_of(paginator, postings, request, self)
            return paginator.get_paginated_response([statement_row(p) for p in page])

    def finalize_response(self, request, response, *args, **kwargs):
        """Errors keep the one JSON error shape even when ``?format=csv`` asked for a statement."""
        if response.status_code >= 400 and isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


@api_key_scopes(POST=ADMIN)
class WalletAdjustmentView(APIView):
    """POST /api/wallet/adjustments (operator finance): credit or debit a wallet against suspense."""

    permission_classes = [IsAuthenticated, IsOperatorFinance]

    @extend_schema(request=AdjustmentSerializer, responses={201: AdjustmentResponseSerializer},
                   parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent
    def post(self, request):
        body = AdjustmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = get_user_model().objects.filter(public_id=data["user"]).first()
        if user is None:
            raise NotFound(_("No such user."), code="unknown_user")
        adjustment = wallet_adjust(actor=request.user, user=user, amount=data["amount"], currency=data.get("currency"),
                                   reason=data["reason"], returns_own_money=data["returns_own_money"])
        entry, wallet, currency, amount = adjustment.entry, adjustment.wallet, adjustment.currency, adjustment.amount
        return Response({"entry_id": entry.pk, "reference": entry.reference, "currency": currency,
                         "amount": to_decimal_string(amount, currency),
                         "wallet_available": to_decimal_string(wallet.wallet_balance, currency)},
                        status=status.HTTP_201_CREATED)


def _money_or_none(amount: int | None, currency: str) -> dict:
    return {"amount": None if amount is None else to_decimal_string(amount, currency), "currency": currency}


def funding_review_json(intent: FundingIntent) -> dict:
    held = funding_in_suspense(intent)
    return {"id": str(intent.public_id), "reference": intent.reference, "gateway": intent.gateway,
            "reason": intent.failure_reason, "user": {"id": str(intent.user.public_id), "phone": intent.user.phone},
            "asked": _money_or_none(intent.amount_minor, intent.currency),
            "in_suspense": _money_or_none(held.amount_minor, held.currency),
            "created_at": intent.created_at.isoformat(), "status": intent.status, "resolution": intent.resolution,
            "resolved_at": intent.resolved_at.isoformat() if intent.resolved_at else None,
            "gateway_refund_reference": intent.gateway_refund_reference, "note": intent.resolution_note}


@api_key_scopes(GET=ADMIN)
class FundingReviewsView(APIView):
    """GET /api/wallet/funding-reviews (operator finance): top-ups whose money waits in suspense for a decision."""

    permission_classes = [IsAuthenticated, IsOperatorFinance]

    @extend_schema(responses=FundingReviewListSerializer)
    def get(self, request):
        return Response({"results": [funding_review_json(intent) for intent in funding_reviews()]})


@api_key_scopes(POST=ADMIN)
class FundingReviewResolveView(APIView):
    """POST /api/wallet/funding-reviews/<id>/resolve (operator finance): credit the payer or record the refund."""

    permission_classes = [IsAuthenticated, IsOperatorFinance]

    @extend_schema(request=FundingReviewResolveSerializer, responses={200: FundingReviewSerializer},
                   parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent
    def post(self, request, public_id):
        body = FundingReviewResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        intent = funding_review_resolve(actor=request.user, public_id=public_id, action=data["action"],
                                        note=data["note"], refund_reference=data["gateway_refund_reference"],
                                        request=request)
        return Response(funding_review_json(intent))


@api_key_scopes(GET=ADMIN)
class ProviderBalancesView(APIView):
    """GET /api/provider-balances (operator finance): our balance at each provider of this country, asked now."""

    permission_classes = [IsAuthenticated, IsOperatorFinance]

    @extend_schema(responses=ProviderBalanceListSerializer)
    def get(self, request):
        from shared_apps.providers.balances import provider_balances
        from tenant_apps.accounts.country import current_country

        lines = provider_balances(country=current_country())
        return Response({"providers": [
            {"provider": line.provider.name, "plugin": line.provider.plugin_key, "currency": line.currency,
             "balance": to_decimal_string(line.amount_minor, line.currency) if line.amount_minor is not None
             else None, "low": line.low, "error": line.error or None} for line in lines]})


@api_key_scopes(GET=WALLET)
class GatewaysView(APIView):
    """GET /api/wallet/gateways: the funding methods of this site (``flow``: checkout or mobile_money)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=GatewayListSerializer)
    def get(self, request):
        return Response({"gateways": tenant_payment_gateways()})


@api_key_scopes(POST=WALLET)
class FundView(APIView):
    """POST /api/wallet/fund: start funding through a gateway (checkout URL, or a mobile-money push: 202)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(request=FundRequestSerializer, responses={201: FundingIntentSerializer,
                                                            202: FundingIntentSerializer},
                   parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent
    def post(self, request):
        body = FundRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        currency = data.get("currency") or tenant_currency().code
        if currency != tenant_currency().code:  # before the amount: its digits are the site currency's
            site = {"currency": tenant_currency().code}
            raise ApiError(_("This site works in %(currency)s.") % site, code="currency_mismatch",
                           fields={"currency": [_("Expected %(currency)s.") % site]})
        amount = parse_amount(data["amount"], currency=currency)
        intent = funding_start(user=request.user, amount_minor=amount, currency=currency,
                               gateway_key=data["gateway"],
                               # the browser comes back to a page (portal: funding_return), never to this JSON API
                               callback_url=request.build_absolute_uri(reverse("portal:funding-return-base")),
                               notify_url=_notify_url(request, data["gateway"]))
        answer = status.HTTP_202_ACCEPTED if not intent.authorization_url else status.HTTP_201_CREATED
        return Response(FundingIntentSerializer(intent).data, status=answer)


NOTIFY_PATHS = {"orange_money": "/webhook/orange", "mtn_momo": "/webhook/mtn_momo", "cinetpay": "/webhook/cinetpay"}


def _notify_path(gateway: str) -> str:
    """Per-payment notification URL for rails that take one (Orange, MoMo's X-Callback-Url)."""
    return NOTIFY_PATHS.get(gateway, "")


def _notify_url(request, gateway: str) -> str:
    path = _notify_path(gateway)
    return request.build_absolute_uri(path) if path else ""


@api_key_scopes(GET=WALLET)
class FundingIntentView(APIView):
    """GET /api/wallet/fund/<id>: the intent's status; a pending one is verified with the gateway first
    (this is where the customer's browser lands after the checkout)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=FundingIntentSerializer)
    def get(self, request, public_id):
        intent = FundingIntent.objects.filter(public_id=public_id, user=request.user).first()
        if intent is None:
            raise NotFound(_("No such funding."), code="unknown_funding")
        # Pending: verified with the gateway now; held over the balance limit: credited if there is room now.
        intent = funding_refresh(intent=intent)
        return Response(FundingIntentSerializer(intent).data)


@api_key_scopes(GET=WALLET, POST=WALLET)
class VirtualAccountView(APIView):
    """GET /api/wallet/virtual-account: my dedicated bank account (fund the wallet by bank transfer).
    POST {first_name, last_name}: open it (once; the same account is returned afterwards)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=VirtualAccountSerializer)
    def get(self, request):
        from .virtual_accounts import virtual_account_for_api

        return Response(VirtualAccountSerializer(virtual_account_for_api(user=request.user)).data)

    @extend_schema(request=VirtualAccountOpenSerializer, responses={201: VirtualAccountSerializer},
                   parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent
    def post(self, request):
        from .virtual_accounts import virtual_account_open

        body = VirtualAccountOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        account = virtual_account_open(user=request.user, first_name=data["first_name"],
                                       last_name=data["last_name"], gateway_key=data.get("gateway") or "")
        return Response(VirtualAccountSerializer(account).data, status=status.HTTP_201_CREATED)


@api_key_scopes(POST=WALLET)
class VirtualAccountRequeryView(APIView):
    """POST /api/wallet/virtual-account/requery: "I sent money, it has not arrived": the gateway's successful transfers
    into my account that were never notified are verified and credited now (``credited``), and the gateway checks
    the bank for newer ones (notified, then credited through the webhook; always verified, once)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: VirtualAccountSerializer})
    def post(self, request):
        from .virtual_accounts import virtual_account_for_api, virtual_account_requery, virtual_account_sync

        account = virtual_account_for_api(user=request.user)
        credited = virtual_account_sync(account=account)  # transfers the gateway has but never notified
        virtual_account_requery(account=account)  # and a bank check for the ones it has not seen yet
        return Response({**VirtualAccountSerializer(account).data,
                         "credited": [FundingIntentSerializer(intent).data for intent in credited]},
                        status=status.HTTP_202_ACCEPTED)


def _name_check_first(view, request):
    """A payout's name check (bank or mobile-money rail), run before the money transaction; None: a P2P."""
    body = TransferRequestSerializer(data=request.data)
    if not body.is_valid() or body.validated_data["type"] not in ("bank", "wallet"):
        return None  # the handler answers the validation error, or moves the money without a lookup
    data = body.validated_data

    def lookup():
        parse_amount(data["amount"], currency=tenant_currency().code)  # its error first, as in the handler
        if data["type"] == "wallet":
            return wallet_payout_lookup(sender=request.user, phone=data["recipient"].get("phone") or request.user.phone,
                                        rail=data["recipient"].get("rail", ""))
        return bank_payout_lookup(bank_code=data["recipient"]["bank_code"],
                                  account_number=data["recipient"]["account_number"])

    return lookup


@api_key_scopes(GET=WALLET, POST=WALLET)
class TransfersView(APIView):
    """POST /api/transfers {type, recipient, amount}; GET /api/transfers (mine, newest first)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=TransferSerializer(many=True))
    def get(self, request):
        from django.db.models import Q

        rows = (Transfer.objects.filter(Q(sender=request.user) | Q(recipient_user=request.user))
                .select_related("recipient_user").order_by("-created_at", "-id"))
        if request.query_params.get("status"):
            rows = rows.filter(status=request.query_params["status"])
        paginator = StatementPagination()
        page = page_of(paginator, rows, request, self)
        return paginator.get_paginated_response(
            TransferSerializer(page, many=True, context={"viewer": request.user}).data)

    @extend_schema(request=TransferRequestSerializer, responses={201: TransferSerializer, 202: TransferSerializer},
                   parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent_after_lookup(_name_check_first)
    def post(self, request, looked_up=None):
        body = TransferRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        amount = parse_amount(data["amount"], currency=tenant_currency().code)
        if data["type"] == "p2p":
            row = p2p_transfer(sender=request.user, recipient=data["recipient"], amount_minor=amount)
        elif data["type"] == "wallet":
            row = wallet_transfer_start(sender=request.user, phone=data["recipient"].get("phone") or request.user.phone,
                                        amount_minor=amount,
                                        rail=data["recipient"].get("rail", ""),
                                        site_url=request.build_absolute_uri("/"), checked=looked_up)
        else:
            row = bank_transfer_start(sender=request.user, bank_code=data["recipient"]["bank_code"],
                                      account_number=data["recipient"]["account_number"], amount_minor=amount,
                                      account=looked_up)
        # Accepted, not done: a payout on its way, or any transfer a risk rule held for review.
        answer = status.HTTP_202_ACCEPTED if row.status in (TransferStatus.PENDING, TransferStatus.HELD) \
            else status.HTTP_201_CREATED
        return Response(TransferSerializer(row, context={"viewer": request.user}).data, status=answer)


@api_key_scopes(GET=WALLET)
class TransferDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=TransferSerializer)
    def get(self, request, public_id):
        from django.db.models import Q

        row = (Transfer.objects.filter(Q(sender=request.user) | Q(recipient_user=request.user), public_id=public_id)
               .select_related("recipient_user").first())
        if row is None:
            raise NotFound(_("No such transfer."), code="unknown_transfer")
        return Response(TransferSerializer(row, context={"viewer": request.user}).data)


@api_key_scopes(POST=WALLET)
class NameEnquiryView(APIView):
    """POST /api/transfers/name-enquiry {bank_code, account_number}: the account holder's name."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(request=BankRecipientSerializer, responses=AccountNameSerializer)
    def post(self, request):
        body = BankRecipientSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        account = name_enquiry(**body.validated_data)
        return Response({"bank_code": account.bank_code, "account_number": account.account_number,
                         "account_name": account.account_name})


@api_key_scopes(GET=WALLET)
class WalletRailsView(APIView):
    """GET /api/transfers/rails: how money can leave this site (mobile-money rails; ``bank`` when payouts
    to bank accounts exist)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WalletRailListSerializer)
    def get(self, request):
        from .gateways import GatewayUnavailable, default_payout_gateway
        from .operation_rails import NotOnResellerBrand

        try:
            bank = [default_payout_gateway().key]
        except (GatewayUnavailable, NotOnResellerBrand):
            bank = []
        return Response({"wallet_rails": wallet_payout_rails(), "bank": bank})


@api_key_scopes(POST=WALLET)
class WalletNameCheckView(APIView):
    """POST /api/transfers/wallet-name-check {phone, rail?}: the wallet holder's name where the rail has a
    name check (MTN MoMo, Airtel Money); ``name`` is empty on rails without one (Wave, CinetPay)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(request=WalletNameCheckSerializer, responses=WalletNameSerializer)
    def post(self, request):
        body = WalletNameCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        gateway, holder = wallet_name_check(phone=body.validated_data.get("phone") or request.user.phone or "",
                                            rail=body.validated_data.get("rail", ""))
        return Response({"phone": "+" + holder.msisdn.lstrip("+"), "name": holder.name, "rail": gateway.key})


FORM = frozenset({"application/x-www-form-urlencoded"})


def _webhook(handler, provider: str, methods: tuple[str, ...] = ("POST",), accepts: frozenset[str] = JSON):
    """A provider's notification endpoint. ``accepts``: the media types the provider sends (the request guard
    refuses any other with 415 before the view runs; size bounded like every body): JSON, or CinetPay's forms."""

    @accepts_body(accepts)
    @csrf_exempt
    def view(request):
        if request.method not in methods:
            return JsonResponse(error_body("method_not_allowed", f"Use {' or '.join(methods)}."), status=405)
        try:
            result = handler(headers=request.META, raw_body=request.body)
        except WebhookRejected as exc:
            return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
        except ApiError as exc:
            return JsonResponse(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
        return JsonResponse(result.body, status=result.status_code)

    view.__name__ = f"{provider}_webhook_view"
    view.__doc__ = f"POST /webhook/{provider}: gateway notification (no session, no CSRF: authenticated by the " \
                   "signature or by re-verification)."
    plugin_key = {"orange": "orange_money", "mtn_momo_disbursement": "mtn_momo",
                  "cinetpay_transfer": "cinetpay"}.get(provider, provider)
    return provider_callback(plugin_key)(view)


paystack_webhook_view = _webhook(receivers.paystack_webhook, "paystack")
flutterwave_webhook_view = _webhook(receivers.flutterwave_webhook, "flutterwave")
orange_webhook_view = _webhook(receivers.orange_webhook, "orange")
momo_webhook_view = _webhook(receivers.momo_callback, "mtn_momo", methods=("PUT", "POST"))
momo_disbursement_webhook_view = _webhook(receivers.momo_disbursement_callback, "mtn_momo_disbursement",
                                          methods=("PUT", "POST"))
wave_webhook_view = _webhook(receivers.wave_webhook, "wave")
# CinetPay notifies with HTML-form POSTs (payments: the ``cpm_*`` fields and ``x-token``; transfers: the transfer).
cinetpay_webhook_view = _webhook(receivers.cinetpay_webhook, "cinetpay", accepts=FORM)
cinetpay_transfer_webhook_view = _webhook(receivers.cinetpay_transfer_webhook, "cinetpay_transfer", accepts=FORM)
airtel_webhook_view = _webhook(receivers.airtel_callback, "airtel_money")
