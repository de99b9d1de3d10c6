"""Wallet HTTP API: balances, statement (JSON or CSV) and operator adjustments."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.errors import NotFound
from tenant_apps.idempotency.decorators import idempotent
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string, to_minor
from tenant_apps.ledger.errors import InvalidAmount
from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.selectors import wallet_balances, wallet_statement
from tenant_apps.ledger.services import EntryType, Line, post_entry, system_account, wallet_for

from .permissions import IsOperatorFinance
from .renderers import CSVRenderer
from .serializers import (
    AdjustmentResponseSerializer,
    AdjustmentSerializer,
    StatementFilterSerializer,
    StatementRowSerializer,
    WalletResponseSerializer,
    statement_row,
)

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
        postings = wallet_statement(user=request.user, currency=data.get("currency"), entry_type=data.get("type"),
                                    status=data.get("status"), date_from=data.get("date_from"),
                                    date_to=data.get("date_to"))
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
