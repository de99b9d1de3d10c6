"""Cash API: agents serve cash-in and cash-out; customers generate withdrawal codes. Thin: services do the work.

Confirming a cash-in and redeeming a withdrawal code are two steps: the customer's code is checked first in its
own committed transaction (so a wrong code counts even though the request fails), then the money moves inside
the Idempotency-Key transaction (``idempotent_after_check``: a replay answers the first response, a twin in flight 409).
"""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.amounts import parse_amount
from shared_apps.core.api_scopes import NO_API_KEY, WALLET, api_key_scopes
from shared_apps.core.errors import ApiError
from shared_apps.core.pagination import page_of
from tenant_apps.accounts.permissions import IsAgent, IsCustomer, PhoneVerified
from tenant_apps.idempotency.decorators import HEADER, idempotent, idempotent_after_check, sealed_in_store
from tenant_apps.ledger.currency import tenant_currency

from . import selectors, services
from .serializers import (
    CashInSerializer,
    CashOutSerializer,
    CashTransactionSerializer,
    ConfirmSerializer,
    WithdrawalCodeRequestSerializer,
    WithdrawalCodeSerializer,
)

IDEMPOTENCY_KEY = OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=True)


def _amount(text: str) -> int:
    """The amount (an ``AmountField``'s text) in minor units of the site's currency: the one money rule
    (``shared_apps.core.amounts.parse_amount``), more than zero; else 400 ``invalid_amount``, translated."""
    return parse_amount(text, currency=tenant_currency().code)


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@api_key_scopes(POST=WALLET)
class CashInView(APIView):
    """POST /api/cash/in {customer, amount} (agent): 201 completed, or 202 awaiting the customer's code."""

    permission_classes = [IsAuthenticated, IsAgent, PhoneVerified]

    @extend_schema(request=CashInSerializer, responses={201: CashTransactionSerializer,
                                                        202: CashTransactionSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request):
        body = CashInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.cash_in_start(agent=request.user, customer_phone=body.validated_data["customer"],
                                     amount_minor=_amount(body.validated_data["amount"]), request=request)
        answer = status.HTTP_201_CREATED if row.status == "completed" else status.HTTP_202_ACCEPTED
        return Response(CashTransactionSerializer(row).data, status=answer)


@api_key_scopes(POST=WALLET)
class CashInConfirmView(APIView):
    """POST /api/cash/in/<id>/confirm {code} (agent): the code the customer received; completes the cash-in."""

    permission_classes = [IsAuthenticated, IsAgent, PhoneVerified]

    def _check_code(self, request, public_id) -> None:
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.cash_in_check_confirmation(agent=request.user, public_id=public_id,
                                            secret=body.validated_data["code"], request=request)

    @extend_schema(request=ConfirmSerializer, responses={200: CashTransactionSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent_after_check(_check_code)
    def post(self, request, public_id, *, checked=None):
        row = services.cash_in_complete(agent=request.user, public_id=public_id, request=request)
        return Response(CashTransactionSerializer(row).data)


@api_key_scopes(POST=WALLET)
class CashInCancelView(APIView):
    """POST /api/cash/in/<id>/cancel (agent): the customer changed their mind before confirming."""

    permission_classes = [IsAuthenticated, IsAgent]

    @extend_schema(request=None, responses={200: CashTransactionSerializer}, parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, public_id):
        row = services.cash_in_cancel(agent=request.user, public_id=public_id, request=request)
        return Response(CashTransactionSerializer(row).data)


@api_key_scopes(POST=WALLET)
class CashOutView(APIView):
    """POST /api/cash/out {customer, code, amount} (agent): pay out against the customer's withdrawal code."""

    permission_classes = [IsAuthenticated, IsAgent, PhoneVerified]

    def _check_code(self, request):
        """The withdrawal code, checked in its own transaction (a wrong guess counts); -> the code's id."""
        body = CashOutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return services.cash_out_check(agent=request.user, customer_phone=data["customer"], code=data["code"],
                                       amount_minor=_amount(data["amount"]), request=request)

    @extend_schema(request=CashOutSerializer, responses={201: CashTransactionSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent_after_check(_check_code)
    def post(self, request, *, checked):
        row = services.cash_out_complete(agent=request.user, code_id=checked, request=request)
        return Response(CashTransactionSerializer(row).data, status=status.HTTP_201_CREATED)


@api_key_scopes(GET=WALLET)
class CashTransactionsView(APIView):
    """GET /api/cash/transactions: what I served (agent) or received and withdrew (customer), newest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CashTransactionSerializer(many=True))
    def get(self, request):
        paginator = Pages()
        page = page_of(paginator, selectors.cash_history(user=request.user), request, self)
        return paginator.get_paginated_response(CashTransactionSerializer(page, many=True).data)


@api_key_scopes(GET=WALLET)
class CashTransactionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CashTransactionSerializer)
    def get(self, request, public_id):
        row = selectors.cash_history(user=request.user).filter(public_id=public_id).first()
        if row is None:
            raise ApiError(gettext("No such cash transaction."), code="unknown_cash_transaction", status_code=404)
        return Response(CashTransactionSerializer(row).data)


@api_key_scopes(GET=NO_API_KEY, POST=NO_API_KEY)
class WithdrawalCodesView(APIView):
    """POST /api/cash/withdrawal-codes {amount} (customer): a code for one cash-out (shown once); the amount and
    the fee are held until it is used, cancelled or expires. GET: my codes (never the code itself)."""

    permission_classes = [IsAuthenticated, IsCustomer, PhoneVerified]

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=WithdrawalCodeSerializer(many=True))
    def get(self, request):
        paginator = Pages()
        page = page_of(paginator, selectors.withdrawal_codes(customer=request.user), request, self)
        return paginator.get_paginated_response(WithdrawalCodeSerializer(page, many=True).data)

    @extend_schema(request=WithdrawalCodeRequestSerializer, responses={201: WithdrawalCodeSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request):
        body = WithdrawalCodeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row, code = services.withdrawal_code_create(customer=request.user,
                                                    amount_minor=_amount(body.validated_data["amount"]),
                                                    request=request)
        # The code is in this answer only (a replay of the same Idempotency-Key shows it again, to the same user;
        # the key's row keeps it encrypted).
        return sealed_in_store(Response({**WithdrawalCodeSerializer(row).data, "code": code},
                                        status=status.HTTP_201_CREATED), "code")


@api_key_scopes(POST=NO_API_KEY)
class WithdrawalCodeCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: WithdrawalCodeSerializer}, parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, public_id):
        row = services.withdrawal_code_cancel(customer=request.user, public_id=public_id, request=request)
        return Response(WithdrawalCodeSerializer(row).data)


@api_key_scopes(POST=NO_API_KEY)
class WithdrawalCodeResendView(APIView):
    """POST /api/cash/withdrawal-codes/<id>/resend: text my still-active code again, the same code (202); once a
    minute and three times at most (429 ``too_many_resends``); 409 once it is used, cancelled or expired."""

    permission_classes = [IsAuthenticated, IsCustomer, PhoneVerified]

    @extend_schema(request=None, responses={202: WithdrawalCodeSerializer})
    def post(self, request, public_id):
        row = services.withdrawal_code_resend(customer=request.user, public_id=public_id, request=request)
        return Response(WithdrawalCodeSerializer(row).data, status=status.HTTP_202_ACCEPTED)
