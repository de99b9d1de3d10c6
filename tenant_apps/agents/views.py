"""HTTP API for reseller onboarding, floats, agents, API keys and webhooks (thin: services do the work)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated, OperandHolder
from rest_framework.response import Response
from rest_framework.views import APIView

from countries.money import decimal_text, money_of
from shared_apps.core.amounts import parse_amount
from shared_apps.core.api_scopes import ADMIN, NO_API_KEY, READ, WALLET, api_key_scopes
from shared_apps.core.errors import ApiError, Forbidden, NotFound
from shared_apps.core.parsers import StrictJSONParser
from tenant_apps.accounts.permissions import IsAgent, IsOperatorAdmin, IsOperatorFinance, IsOperatorStaff
from tenant_apps.idempotency.decorators import idempotent
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.ledger.entry_types import statement_label
from tenant_apps.ledger.selectors import wallet_balances, wallet_statement
from tenant_apps.wallet.serializers import FundingIntentSerializer
from tenants.models import Tenant, TenantKind

from . import api_keys, onboarding, selectors, services, webhooks
from .floats import current_tenant, float_balances, fund_float
from .links import invitation_page
from .models import Agent, ApiKey, ApplicationStatus, ResellerApplication, WebhookDelivery, WebhookSubscription
from .serializers import (
    AcceptSerializer,
    AgentBodySerializer,
    AgentFundBodySerializer,
    AgentLimitsSerializer,
    AgentStatementBodySerializer,
    AmountSerializer,
    ApiKeyBodySerializer,
    ApiKeyCreateSerializer,
    ApplicationSerializer,
    ApplicationSubmitSerializer,
    CommissionRowBodySerializer,
    DecisionSerializer,
    DeliveryBodySerializer,
    FloatFundBodySerializer,
    FloatGatewayFundSerializer,
    InvitationBodySerializer,
    InviteSerializer,
    MyFloatBodySerializer,
    ResellerFloatBodySerializer,
    WebhookBodySerializer,
    WebhookCreateSerializer,
    agent_body,
    api_key_body,
    delivery_body,
)

IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True)
DOCUMENT_FIELDS = ("registration_certificate", "id_document")
IsOperatorAdminOrAgent: OperandHolder = IsOperatorAdmin | IsAgent


def _amount(raw: str, currency: str, field: str = "amount") -> int:
    return parse_amount(raw, currency=currency, field=field)


# --- onboarding (country operation domain) ----------------------------------------------------------

@api_key_scopes(GET=ADMIN, POST=NO_API_KEY)
class ApplicationsView(APIView):
    """POST: a business applies (multipart, documents to the private bucket). GET: operator admin's queue."""

    parser_classes = [MultiPartParser, FormParser, StrictJSONParser]  # documents: multipart

    def get_permissions(self):
        return [IsOperatorAdmin()] if self.request.method == "GET" else [AllowAny()]

    @extend_schema(request={"multipart/form-data": ApplicationSubmitSerializer}, responses={201: ApplicationSerializer})
    def post(self, request):
        body = ApplicationSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        documents = [onboarding.UploadedDocument(kind=name, file=data.pop(name)) for name in DOCUMENT_FIELDS
                     if data.get(name)]
        for name in DOCUMENT_FIELDS:
            data.pop(name, None)
        application = onboarding.application_submit(data=data, documents=documents)
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ApplicationSerializer(many=True))
    def get(self, request):
        rows = ResellerApplication.objects.prefetch_related("documents").order_by("-created_at")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in ApplicationStatus.values:
                raise ApiError(gettext("Unknown status."), code="validation_error",
                               fields={"status": [gettext("Unknown.")]})
            rows = rows.filter(status=wanted)
        return Response(ApplicationSerializer(rows[:200], many=True, context={"with_document_links": True}).data)


@api_key_scopes(POST=ADMIN)
class ApplicationDecisionView(APIView):
    permission_classes = [IsOperatorAdmin]
    decision = "approve"

    @extend_schema(request=DecisionSerializer, responses=ApplicationSerializer)
    def post(self, request, application_id: uuid.UUID):
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = body.validated_data.get("note", "")
        if self.decision == "approve":
            application = onboarding.application_approve(application_id=application_id, decided_by=request.user,
                                                         note=note, request=request)
        else:
            application = onboarding.application_reject(application_id=application_id, decided_by=request.user,
                                                        note=note)
        return Response(ApplicationSerializer(application).data)


# --- floats ---------------------------------------------------------------------------------------

def _reseller_of_current_operation(schema: str) -> Tenant:
    parent = current_tenant()
    reseller = Tenant.objects.select_related("parent").filter(schema_name=schema, kind=TenantKind.RESELLER_BRAND,
                                                              parent=parent).first()
    if reseller is None:
        raise NotFound(gettext("No such reseller here."), code="unknown_reseller")
    return reseller


@extend_schema(responses=ResellerFloatBodySerializer(many=True))
@api_key_scopes(GET=READ)
class ResellersView(APIView):
    """GET (operator staff of the country operation): resellers and their floats."""

    permission_classes = [IsOperatorStaff]

    def get(self, request):
        parent = current_tenant()
        body = []
        for reseller in Tenant.objects.select_related("parent").filter(kind=TenantKind.RESELLER_BRAND,
                                                                         parent=parent).order_by("name"):
            balances = float_balances(reseller=reseller)
            body.append({"schema": reseller.schema_name, "name": reseller.brand_name, "status": reseller.status,
                         "currency": balances.currency,
                         "float": decimal_text(money_of(balances.parent_balance, balances.currency)),
                         "mirror_agrees": balances.agrees})
        return Response(body)


@api_key_scopes(POST=ADMIN)
class FloatFundView(APIView):
    """POST /api/resellers/<schema>/float (operator finance): credit the reseller's float, both schemas at once."""

    permission_classes = [IsOperatorFinance]

    @extend_schema(request=AmountSerializer, parameters=[IDEMPOTENCY_KEY], responses={201: FloatFundBodySerializer})
    @idempotent
    def post(self, request, schema: str):
        reseller = _reseller_of_current_operation(schema)
        body = AmountSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        currency = tenant_currency().code
        amount = _amount(body.validated_data["amount"], currency)
        movement = fund_float(reseller=reseller, amount_minor=amount, reference=f"fund:{uuid.uuid4()}")
        balances = float_balances(reseller=reseller)
        return Response({"reseller": schema, "reference": movement.reference, "currency": currency,
                         "amount": decimal_text(money_of(amount, currency)),
                         "float": decimal_text(money_of(balances.parent_balance, currency))},
                        status=status.HTTP_201_CREATED)


@extend_schema(responses=MyFloatBodySerializer)
@api_key_scopes(GET=READ)
class MyFloatView(APIView):
    """GET /api/resellers/float (reseller admin): the float at the country operation, both sides."""

    permission_classes = [IsOperatorStaff]

    def get(self, request):
        tenant = current_tenant()
        if tenant is None or tenant.kind != TenantKind.RESELLER_BRAND:
            raise ApiError(gettext("Only reseller brands have a float."), code="not_a_reseller")
        balances = float_balances(reseller=tenant)
        return Response({"currency": balances.currency,
                         "float": decimal_text(money_of(balances.parent_balance, balances.currency)),
                         "mirror": decimal_text(money_of(balances.mirror_balance, balances.currency)),
                         "agrees": balances.agrees})


@api_key_scopes(POST=WALLET)
class MyFloatFundView(APIView):
    """POST /api/resellers/float/fund {amount, gateway} (reseller admin, Idempotency-Key): fund the float
    through a payment gateway (any of ``GET /api/wallet/gateways``). 201 with the checkout's
    ``authorization_url`` (202 for mobile money); the gateway's webhook (or ``GET /api/wallet/fund/<id>``,
    or the poll task) verifies and credits the float on both schemas in one transaction, once."""

    permission_classes = [IsOperatorAdmin]

    @extend_schema(request=FloatGatewayFundSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: FundingIntentSerializer, 202: FundingIntentSerializer})
    @idempotent
    def post(self, request):
        from tenant_apps.wallet.funding import funding_start
        from tenant_apps.wallet.models import FundingPurpose

        tenant = current_tenant()
        if tenant is None or tenant.kind != TenantKind.RESELLER_BRAND:
            raise ApiError(gettext("Only reseller brands have a float."), code="not_a_reseller")
        body = FloatGatewayFundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        currency = tenant_currency().code
        amount = _amount(body.validated_data["amount"], currency)
        intent = funding_start(user=request.user, amount_minor=amount, currency=currency,
                               gateway_key=body.validated_data["gateway"],
                               callback_url=request.build_absolute_uri("/api/wallet/fund/"),
                               purpose=FundingPurpose.RESELLER_FLOAT)
        answer = status.HTTP_201_CREATED if intent.authorization_url else status.HTTP_202_ACCEPTED  # mobile money
        return Response({**FundingIntentSerializer(intent).data, "purpose": intent.purpose}, status=answer)


# --- agents ---------------------------------------------------------------------------------------

def _agent_or_404(agent_id) -> Agent:
    agent = Agent.objects.select_related("user", "parent").filter(public_id=agent_id).first()
    if agent is None:
        raise NotFound(gettext("No such agent."), code="unknown_agent")
    return agent


def _visible_agents(user):
    if user.role == "operator_admin":
        return Agent.objects.all()
    me = selectors.agent_for_user(user)
    if me is None:
        raise Forbidden(gettext("Only agents and the admin see agents."), code="not_an_agent")
    return selectors.agent_subtree(agent=me)


@api_key_scopes(POST=ADMIN)
class InvitationsView(APIView):
    permission_classes = [IsOperatorAdminOrAgent]

    @extend_schema(request=InviteSerializer, responses={201: InvitationBodySerializer})
    def post(self, request):
        body = InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invitation, _ = services.invite(inviter=request.user, email=body.validated_data.get("email", ""),
                                        phone=body.validated_data.get("phone", ""),
                                        accept_url=invitation_page(request=request))
        return Response({"id": str(invitation.public_id), "email": invitation.email, "phone": invitation.phone,
                         "expires_at": invitation.expires_at,
                         "parent": str(invitation.parent_agent.public_id) if invitation.parent_agent else None},
                        status=status.HTTP_201_CREATED)


class AcceptInvitationView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=AcceptSerializer, responses={201: inline_serializer("AcceptedInvitation", {
        "user": serializers.UUIDField(), "email": serializers.EmailField(), "role": serializers.CharField()})})
    def post(self, request):
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = services.accept_invitation(token=data["token"], password=data["password"],
                                          email=data.get("email", ""))
        return Response({"user": str(user.public_id), "email": user.email, "role": user.role},
                        status=status.HTTP_201_CREATED)


@extend_schema(responses=AgentBodySerializer(many=True))
@api_key_scopes(GET=READ)
class AgentsView(APIView):
    permission_classes = [IsOperatorAdminOrAgent]

    def get(self, request):
        agents = _visible_agents(request.user).select_related("user", "parent").order_by("path")
        return Response([agent_body(agent) for agent in agents[:500]])


@api_key_scopes(PATCH=ADMIN)
class AgentDetailView(APIView):
    permission_classes = [IsOperatorAdmin]

    @extend_schema(request=AgentLimitsSerializer, responses=AgentBodySerializer)
    def patch(self, request, agent_id: uuid.UUID):
        agent = _agent_or_404(agent_id)
        body = AgentLimitsSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "max_transactions_per_hour" in data:
            agent.max_transactions_per_hour = data["max_transactions_per_hour"]
        if "max_amount_per_day" in data:
            raw = data["max_amount_per_day"]
            agent.max_amount_per_day_minor = None if raw is None else _amount(raw, tenant_currency().code,
                                                                              "max_amount_per_day")
        if "is_active" in data:
            agent.is_active = data["is_active"]
        with transaction.atomic():
            if "parent" in data:
                new_parent = None if data["parent"] is None else _agent_or_404(data["parent"])
                agent.parent = services.move_agent(agent=agent, new_parent=new_parent, actor=request.user,
                                                   request=request).parent
                agent.refresh_from_db(fields=["path", "depth"])
            agent.save()
        return Response(agent_body(agent))


@api_key_scopes(POST=WALLET)
class AgentFundView(APIView):
    """POST /api/agents/<id>/fund: the parent (agent, or the reseller admin for a top-level agent) funds it."""

    permission_classes = [IsOperatorAdminOrAgent]

    @extend_schema(request=AmountSerializer, parameters=[IDEMPOTENCY_KEY], responses={201: AgentFundBodySerializer})
    @idempotent
    def post(self, request, agent_id: uuid.UUID):
        agent = _agent_or_404(agent_id)
        body = AmountSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        currency = tenant_currency().code
        amount = _amount(body.validated_data["amount"], currency)
        entry = services.fund_agent(funder=request.user, agent=agent, amount_minor=amount,
                                    reference=str(uuid.uuid4()))
        return Response({"agent": str(agent.public_id), "reference": entry.reference, "currency": currency,
                         "amount": decimal_text(money_of(amount, currency))}, status=status.HTTP_201_CREATED)


@extend_schema(responses=AgentStatementBodySerializer)
@api_key_scopes(GET=READ)
class AgentStatementView(APIView):
    """GET /api/agents/me/statement: my wallet lines and commissions."""

    permission_classes = [IsAgent]

    def get(self, request):
        agent = selectors.agent_for_user(request.user)
        if agent is None:
            raise Forbidden(gettext("Not an agent."), code="not_an_agent")
        currency = tenant_currency().code
        balances = {b.currency: b for b in wallet_balances(user=request.user)}
        balance = balances.get(currency)
        lines = [{"entry_type": p.entry_type, "entry_type_label": statement_label(p.entry_type, p.reference),
                  "reference": p.reference, "amount": decimal_text(money_of(p.amount, p.currency)),
                  "at": p.created_at, "status": p.status}
                 for p in wallet_statement(user=request.user)[:200]]
        commissions = [{"order": c.order_ref, "level": c.level,
                        "amount": decimal_text(money_of(c.amount_minor, c.currency)), "status": c.status,
                        "at": c.created_at}
                       for c in agent.commissions.order_by("-created_at")[:200]]
        return Response({"agent": str(agent.public_id), "currency": currency,
                         "available": decimal_text(money_of(balance.available if balance else 0, currency)),
                         "lines": lines, "commissions": commissions})


@extend_schema(responses=CommissionRowBodySerializer(many=True),
               parameters=[OpenApiParameter("from", OpenApiTypes.DATETIME),
                           OpenApiParameter("to", OpenApiTypes.DATETIME)])
@api_key_scopes(GET=READ)
class CommissionReportView(APIView):
    """GET /api/agents/commissions?from=&to=: per agent and level (admin: everyone; agent: its subtree)."""

    permission_classes = [IsOperatorAdminOrAgent]

    def get(self, request):
        from rest_framework import serializers

        class Filter(serializers.Serializer):
            date_from = serializers.DateTimeField(required=False)
            date_to = serializers.DateTimeField(required=False)

        query = Filter(data={"date_from": request.query_params.get("from"), "date_to": request.query_params.get("to")}
                       if request.query_params else {})
        query.is_valid(raise_exception=True)
        agents = None if request.user.role == "operator_admin" else _visible_agents(request.user)
        report = selectors.commission_report(agents=agents, date_from=query.validated_data.get("date_from"),
                                             date_to=query.validated_data.get("date_to"))
        for row in report:
            for field in ("earned", "clawed_back", "net"):
                row[field] = decimal_text(money_of(row[f"{field}_minor"], row["currency"]))
        return Response(report)


# --- API keys and webhooks ------------------------------------------------------------------------

def _acting_key(request) -> ApiKey | None:
    """The API key that signed this request (None for a person with a JWT): bounds what it may grant."""
    return request.auth if isinstance(request.auth, ApiKey) else None


@api_key_scopes(GET=ADMIN, POST=ADMIN)
class ApiKeysView(APIView):
    permission_classes = [IsOperatorAdmin]

    @extend_schema(responses=ApiKeyBodySerializer(many=True))
    def get(self, request):
        return Response([api_key_body(k) for k in ApiKey.objects.select_related("user").order_by("-created_at")])

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyBodySerializer})
    def post(self, request):
        body = ApiKeyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        if data.get("agent"):
            user = _agent_or_404(data["agent"]).user
        issued = api_keys.api_key_create(name=data["name"], scopes=data.get("scopes"), user=user,
                                         created_by=request.user, acting_key=_acting_key(request))
        return Response(api_key_body(issued.key, issued.secret), status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses=ApiKeyBodySerializer)
@api_key_scopes(POST=ADMIN)
class ApiKeyActionView(APIView):
    permission_classes = [IsOperatorAdmin]
    action = "rotate"

    def post(self, request, key_id: str):
        key = api_keys.get_key(key_id)
        if self.action == "rotate":
            issued = api_keys.api_key_rotate(key=key, acting_key=_acting_key(request))
            return Response(api_key_body(issued.key, issued.secret))
        return Response(api_key_body(api_keys.api_key_revoke(key=key, acting_key=_acting_key(request))))


@api_key_scopes(GET=ADMIN, POST=ADMIN)
class WebhooksView(APIView):
    permission_classes = [IsOperatorAdmin]

    @extend_schema(responses=WebhookBodySerializer(many=True))
    def get(self, request):
        return Response([{"id": str(s.public_id), "url": s.url, "events": s.events, "is_active": s.is_active}
                         for s in WebhookSubscription.objects.order_by("-created_at")])

    @extend_schema(request=WebhookCreateSerializer, responses={201: WebhookBodySerializer})
    def post(self, request):
        body = WebhookCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subscription, secret = webhooks.subscription_create(url=body.validated_data["url"],
                                                            events=body.validated_data.get("events"),
                                                            created_by=request.user)
        return Response({"id": str(subscription.public_id), "url": subscription.url, "events": subscription.events,
                         "secret": secret}, status=status.HTTP_201_CREATED)


@extend_schema(responses=DeliveryBodySerializer(many=True))
@api_key_scopes(GET=ADMIN)
class DeliveriesView(APIView):
    permission_classes = [IsOperatorAdmin]

    def get(self, request):
        rows = WebhookDelivery.objects.prefetch_related("attempt_log").order_by("-created_at")[:200]
        return Response([delivery_body(d) for d in rows])


@extend_schema(request=None, responses={202: DeliveryBodySerializer})
@api_key_scopes(POST=ADMIN)
class RedeliverView(APIView):
    permission_classes = [IsOperatorAdmin]

    def post(self, request, delivery_id: uuid.UUID):
        delivery = WebhookDelivery.objects.filter(public_id=delivery_id).first()
        if delivery is None:
            raise NotFound(gettext("No such delivery."))
        with transaction.atomic():
            delivery = webhooks.redeliver(delivery=delivery)
        return Response(delivery_body(delivery), status=status.HTTP_202_ACCEPTED)


__all__: list[Any] = [get_user_model, IsAuthenticated]
