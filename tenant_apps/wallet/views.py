"""Wallet HTTP API: balances, statement (JSON or CSV), operator adjustments, funding, transfers, webhooks."""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.errors import ApiError, NotFound, error_body
from tenant_apps.accounts.permissions import PhoneVerified
from tenant_apps.idempotency.decorators import idempotent
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string, to_minor
from tenant_apps.ledger.errors import InvalidAmount
from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.selectors import wallet_balances, wallet_statement
from tenant_apps.ledger.services import EntryType, Line, post_entry, system_account, wallet_for
from tenants.replica import reporting_reads

from . import webhooks
from .funding import funding_refresh, funding_start
from .gateways import tenant_payment_gateways
from .models import FundingIntent, Transfer, TransferStatus, funding_awaits_payment
from .permissions import IsOperatorFinance
from .renderers import CSVRenderer
from .serializers import (
    AccountNameSerializer,
    AdjustmentResponseSerializer,
    AdjustmentSerializer,
    BankRecipientSerializer,
    FundingIntentSerializer,
    FundRequestSerializer,
    GatewayListSerializer,
    StatementFilterSerializer,
    StatementRowSerializer,
    TransferRequestSerializer,
    TransferSerializer,
    WalletResponseSerializer,
    statement_row,
)
from .transfers import bank_transfer_start, name_enquiry, p2p_transfer

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="Unique per operation; a replay returns the first response with Idempotency-Replayed: true.")


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
            page = paginator.paginate_queryset(postings, request, view=self)
            return paginator.get_paginated_response([statement_row(p) for p in page])

    def finalize_response(self, request, response, *args, **kwargs):
        """Errors keep the one JSON error shape even when ``?format=csv`` asked for a statement."""
        if response.status_code >= 400 and isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


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
            raise NotFound("No such user.", code="unknown_user")
        currency = data.get("currency") or tenant_currency().code
        try:
            amount = to_minor(data["amount"], currency)
        except ValueError as exc:
            raise InvalidAmount(fields={"amount": [str(exc)]})
        if amount == 0:
            raise InvalidAmount(fields={"amount": ["Must not be zero."]})
        wallet = wallet_for(user=user, currency=currency)
        suspense = system_account(kind=AccountKind.SUSPENSE, currency=currency)
        reference = f"adjustment:{uuid.uuid4()}"
        entry = post_entry(entry_type=EntryType.ADJUSTMENT, reference=reference,
                           lines=[Line(wallet, amount), Line(suspense, -amount)],
                           metadata={"reason": data["reason"], "by": str(request.user.public_id)})
        return Response({"entry_id": entry.pk, "reference": entry.reference, "currency": currency,
                         "amount": to_decimal_string(amount, currency),
                         "wallet_available": to_decimal_string(wallet.balance, currency)},
                        status=status.HTTP_201_CREATED)


def _amount_minor(raw: str, currency: str) -> int:
    try:
        amount = to_minor(raw, currency)
    except (ValueError, ArithmeticError) as exc:
        raise InvalidAmount(fields={"amount": [str(exc) or "Not a number."]}) from None
    if amount <= 0:
        raise InvalidAmount(fields={"amount": ["Must be positive."]})
    return amount


class GatewaysView(APIView):
    """GET /api/wallet/gateways: the funding methods of this site (``flow``: checkout or mobile_money)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=GatewayListSerializer)
    def get(self, request):
        return Response({"gateways": tenant_payment_gateways()})


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
        amount = _amount_minor(data["amount"], currency)
        intent = funding_start(user=request.user, amount_minor=amount, currency=currency,
                               gateway_key=data["gateway"],
                               callback_url=request.build_absolute_uri("/api/wallet/fund/"),
                               notify_url=_notify_url(request, data["gateway"]))
        answer = status.HTTP_202_ACCEPTED if not intent.authorization_url else status.HTTP_201_CREATED
        return Response(FundingIntentSerializer(intent).data, status=answer)


def _notify_path(gateway: str) -> str:
    """Per-payment notification URL for rails that take one (Orange, MoMo's X-Callback-Url)."""
    return {"orange_money": "/webhook/orange", "mtn_momo": "/webhook/mtn_momo"}.get(gateway, "")


def _notify_url(request, gateway: str) -> str:
    path = _notify_path(gateway)
    return request.build_absolute_uri(path) if path else ""


class FundingIntentView(APIView):
    """GET /api/wallet/fund/<id>: the intent's status; a pending one is verified with the gateway first
    (this is where the customer's browser lands after the checkout)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=FundingIntentSerializer)
    def get(self, request, public_id):
        intent = FundingIntent.objects.filter(public_id=public_id, user=request.user).first()
        if intent is None:
            raise NotFound("No such funding.", code="unknown_funding")
        if funding_awaits_payment(intent):
            intent = funding_refresh(intent=intent)
        return Response(FundingIntentSerializer(intent).data)


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
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            TransferSerializer(page, many=True, context={"viewer": request.user}).data)

    @extend_schema(request=TransferRequestSerializer, responses={201: TransferSerializer, 202: TransferSerializer},
                   parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent
    def post(self, request):
        body = TransferRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        currency = tenant_currency().code
        amount = _amount_minor(data["amount"], currency)
        if data["type"] == "p2p":
            row = p2p_transfer(sender=request.user, recipient=data["recipient"], amount_minor=amount)
        else:
            row = bank_transfer_start(sender=request.user, bank_code=data["recipient"]["bank_code"],
                                      account_number=data["recipient"]["account_number"], amount_minor=amount)
        answer = status.HTTP_202_ACCEPTED if row.status == TransferStatus.PENDING else status.HTTP_201_CREATED
        return Response(TransferSerializer(row, context={"viewer": request.user}).data, status=answer)


class TransferDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=TransferSerializer)
    def get(self, request, public_id):
        from django.db.models import Q

        row = (Transfer.objects.filter(Q(sender=request.user) | Q(recipient_user=request.user), public_id=public_id)
               .select_related("recipient_user").first())
        if row is None:
            raise NotFound("No such transfer.", code="unknown_transfer")
        return Response(TransferSerializer(row, context={"viewer": request.user}).data)


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


def _webhook(handler, provider: str, methods: tuple[str, ...] = ("POST",)):
    @csrf_exempt
    def view(request):
        if request.method not in methods:
            return JsonResponse(error_body("method_not_allowed", f"Use {' or '.join(methods)}."), status=405)
        try:
            result = handler(headers=request.META, raw_body=request.body)
        except webhooks.WebhookRejected as exc:
            return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
        except ApiError as exc:
            return JsonResponse(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
        return JsonResponse(result.body, status=result.status_code)

    view.__name__ = f"{provider}_webhook_view"
    view.__doc__ = f"POST /webhook/{provider}: gateway notification (no session, no CSRF: authenticated by the " \
                   "signature or by re-verification)."
    return view


paystack_webhook_view = _webhook(webhooks.paystack_webhook, "paystack")
flutterwave_webhook_view = _webhook(webhooks.flutterwave_webhook, "flutterwave")
orange_webhook_view = _webhook(webhooks.orange_webhook, "orange")
momo_webhook_view = _webhook(webhooks.momo_callback, "mtn_momo", methods=("PUT", "POST"))
