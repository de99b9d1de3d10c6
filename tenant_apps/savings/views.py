"""Savings API: circles (create, invite, answer, start, board, arrears), goals (deposit, withdraw, autosave),
operator rules and dissolution. Thin: rules in services, reads in selectors."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.amounts import AmountField
from shared_apps.core.api_scopes import ADMIN, READ, WALLET, api_key_scopes
from shared_apps.core.errors import NotFound
from tenant_apps.accounts.permissions import IsOperatorAdmin, IsOperatorStaff, IsOperatorSupport, PhoneVerified
from tenant_apps.idempotency.decorators import idempotent
from tenant_apps.ledger.currency import to_decimal_string
from tenant_apps.merchants.views import IDEMPOTENCY_KEY, amount_minor

from . import goals, selectors, services
from .models import Circle, CircleMember, Contribution, Frequency, MemberStatus, SavingsGoal
from .serializers import (
    SavingsArrearPaidSerializer,
    SavingsCircleListSerializer,
    SavingsCircleSerializer,
    SavingsGoalListSerializer,
    SavingsGoalSerializer,
    SavingsInvitationListSerializer,
    SavingsRulesSerializer,
    SavingsStaffCircleListSerializer,
    SavingsWithdrawalSerializer,
)


def money(minor: int | None, currency: str) -> str | None:
    return to_decimal_string(minor, currency) if minor is not None else None


def circle_json(circle: Circle, *, viewer=None, board: bool = False) -> dict:
    data = {
        "id": str(circle.public_id), "name": circle.name, "status": circle.status, "frequency": circle.frequency,
        "contribution": money(circle.contribution_minor, circle.currency), "currency": circle.currency,
        "cycle": circle.cycle, "cycles": circle.cycles_total,
        "next_collection_at": circle.next_collection_at.isoformat() if circle.next_collection_at else None,
        "held": money(circle.account.balance or 0, circle.currency),
        "organiser": viewer is not None and circle.organiser_id == viewer.pk,
    }
    if board:
        data["members"] = [{
            "id": row.member.pk, "phone": row.member.phone, "position": row.member.position,
            "status": row.member.status, "you": viewer is not None and row.member.user_id == viewer.pk,
            "owes": money(row.owes_minor, circle.currency),
            "pot": money(row.payout.amount_minor, circle.currency) if row.payout else None,
            "pot_status": row.payout.status if row.payout else None,  # held: over the wallet's maximum balance
            "contributions": [None if cell is None else {
                "id": str(cell.public_id), "cycle": cell.cycle, "status": cell.status, "attempts": cell.attempts,
                "flagged_at": cell.flagged_at.isoformat() if cell.flagged_at else None,
                "owed_to": cell.owed_to.phone if cell.owed_to is not None else None} for cell in row.cells],
        } for row in selectors.circle_board(circle=circle)]
    return data


def goal_json(goal: SavingsGoal) -> dict:
    balance = goal.account.balance or 0
    return {
        "id": str(goal.public_id), "name": goal.name, "status": goal.status, "currency": goal.currency,
        "target": money(goal.target_minor, goal.currency), "saved": money(balance, goal.currency),
        "progress_percent": min(100, balance * 100 // goal.target_minor),
        "lock_until": goal.lock_until.isoformat() if goal.lock_until else None,
        "early_withdrawal": goal.early_withdrawal, "penalty_bps": goal.penalty_bps,
        "autosave": None if goal.autosave_minor is None and not goal.autosave_paused_reason else {
            "amount": money(goal.autosave_minor, goal.currency), "frequency": goal.autosave_frequency,
            "next_at": goal.autosave_next_at.isoformat() if goal.autosave_next_at else None,
            "paused_reason": goal.autosave_paused_reason},
    }


# --- circles -----------------------------------------------------------------------------------------

class CircleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    contribution = AmountField()
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    members = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=30)


@extend_schema(request=CircleCreateSerializer, responses=SavingsCircleSerializer)
@api_key_scopes(GET=READ, POST=WALLET)
class CircleListView(APIView):
    """GET: circles I organise or belong to; POST: open one (I am position 1) and invite phones in order."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(operation_id="savings_circles_list", responses=SavingsCircleListSerializer)
    def get(self, request):
        return Response({"results": [circle_json(c, viewer=request.user)
                                     for c in selectors.circles_for(user=request.user)[:100]]})

    def post(self, request):
        body = CircleCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        circle = services.circle_create(organiser=request.user, name=data["name"],
                                        contribution_minor=amount_minor(data["contribution"], field="contribution"),
                                        frequency=data["frequency"], member_phones=data.get("members", []))
        return Response(circle_json(circle, viewer=request.user, board=True), status=status.HTTP_201_CREATED)


def _visible(request, public_id: uuid.UUID) -> Circle:
    circle = selectors.circle_for(user=request.user, public_id=public_id)
    if circle is None:
        raise NotFound(gettext("No such circle."), code="unknown_circle")
    return circle


@extend_schema(responses=SavingsCircleSerializer)
@api_key_scopes(GET=READ)
class CircleDetailView(APIView):
    """GET: the circle and its board: every member, each round's contribution (paid, missed, owed), the pots."""

    permission_classes = [IsAuthenticated]

    def get(self, request, public_id):
        return Response(circle_json(_visible(request, public_id), viewer=request.user, board=True))


class PhoneSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)


@extend_schema(request=PhoneSerializer, responses=SavingsCircleSerializer)
@api_key_scopes(POST=WALLET)
class CircleInviteView(APIView):
    permission_classes = [IsAuthenticated, PhoneVerified]

    def post(self, request, public_id):
        circle = _visible(request, public_id)
        body = PhoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.circle_invite(circle=circle, actor=request.user, phone=body.validated_data["phone"])
        return Response(circle_json(circle, viewer=request.user, board=True), status=status.HTTP_201_CREATED)


class CircleOrderSerializer(serializers.Serializer):
    members = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=30)


class StartSerializer(serializers.Serializer):
    """The body of ``start`` (cancel, accept and decline take none): when the first collection runs."""

    first_collection_at = serializers.DateTimeField(required=False, help_text=(
        "start only: when the first collection runs (not in the past); default: the next period from now"))


@extend_schema(request=StartSerializer, responses=SavingsCircleSerializer)
@api_key_scopes(POST=WALLET)
class CircleActionView(APIView):
    """POST .../start | cancel (organiser), accept | decline (the invited phone's owner): each once (409)."""

    permission_classes = [IsAuthenticated, PhoneVerified]
    action = ""

    def post(self, request, public_id):
        circle = _visible(request, public_id)
        if self.action == "start":
            body = StartSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            circle = services.circle_start(circle=circle, actor=request.user,
                                           first_collection_at=body.validated_data.get("first_collection_at"))
        elif self.action == "cancel":
            circle = services.circle_cancel(circle=circle, actor=request.user)
        else:
            member = CircleMember.objects.filter(circle=circle, phone=request.user.phone,
                                                 status=MemberStatus.INVITED).first()
            if member is None:
                raise NotFound(gettext("No invitation to answer."), code="no_invitation")
            services.circle_respond(member=member, user=request.user, accept=self.action == "accept")
            circle.refresh_from_db()
        return Response(circle_json(circle, viewer=request.user, board=True))


@extend_schema(request=CircleOrderSerializer, responses=SavingsCircleSerializer)
@api_key_scopes(PUT=WALLET)
class CircleOrderView(APIView):
    """PUT {members: [ids]}: the rotation order, before the start only (organiser)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    def put(self, request, public_id):
        circle = _visible(request, public_id)
        body = CircleOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        circle = services.circle_set_order(circle=circle, actor=request.user,
                                           member_ids=body.validated_data["members"])
        return Response(circle_json(circle, viewer=request.user, board=True))


@extend_schema(request=None, responses=SavingsCircleSerializer)
@api_key_scopes(POST=WALLET)
class CircleRemoveMemberView(APIView):
    permission_classes = [IsAuthenticated, PhoneVerified]

    def post(self, request, public_id, member_id: int):
        circle = _visible(request, public_id)
        member = CircleMember.objects.filter(circle=circle, pk=member_id).first()
        if member is None:
            raise NotFound()
        services.circle_remove_member(circle=circle, actor=request.user, member=member)
        return Response(circle_json(circle, viewer=request.user, board=True))


@extend_schema(responses=SavingsInvitationListSerializer)
@api_key_scopes(GET=READ)
class InvitationListView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"results": [
            {"circle": circle_json(m.circle), "position": m.position, "invited_at": m.invited_at.isoformat()}
            for m in services.invitations_for(user=request.user)]})


@extend_schema(request=None, responses=SavingsArrearPaidSerializer)
@api_key_scopes(POST=WALLET)
class ArrearsView(APIView):
    """POST: pay a missed contribution late (it goes to the member whose pot it shortened)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, public_id):
        contribution = Contribution.objects.filter(public_id=public_id, member__user=request.user).first()
        if contribution is None:
            raise NotFound()
        contribution = services.circle_pay_arrears(contribution=contribution, user=request.user)
        return Response({"id": str(contribution.public_id), "status": contribution.status}, status=201)


# --- goals -----------------------------------------------------------------------------------------

class GoalCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    target = AmountField()
    lock_until = serializers.DateField(required=False, allow_null=True)
    autosave_amount = AmountField(required=False, allow_blank=True, allow_null=True)
    autosave_frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)


@extend_schema(request=GoalCreateSerializer, responses=SavingsGoalSerializer)
@api_key_scopes(GET=READ, POST=WALLET)
class GoalListView(APIView):
    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(operation_id="savings_goals_list", responses=SavingsGoalListSerializer)
    def get(self, request):
        return Response({"results": [goal_json(g) for g in selectors.goals_for(owner=request.user)[:100]],
                         "rules": _rules_json()})

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    @idempotent  # with automatic saving it spends on a schedule: created once, like a subscription
    def post(self, request):
        body = GoalCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        goal = goals.goal_create(
            owner=request.user, name=data["name"], target_minor=amount_minor(data["target"], field="target"),
            lock_until=data.get("lock_until"),
            autosave_minor=amount_minor(data.get("autosave_amount"), field="autosave_amount", required=False),
            autosave_frequency=data.get("autosave_frequency", ""))
        return Response(goal_json(goal), status=status.HTTP_201_CREATED)


def _goal(request, public_id) -> SavingsGoal:
    goal = selectors.goals_for(owner=request.user).filter(public_id=public_id).first()
    if goal is None:
        raise NotFound(gettext("No such goal."), code="unknown_goal")
    return goal


@extend_schema(responses=SavingsGoalSerializer)
@api_key_scopes(GET=READ)
class GoalDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, public_id):
        return Response(goal_json(_goal(request, public_id)))


class GoalDepositSerializer(serializers.Serializer):
    amount = AmountField()


@extend_schema(request=GoalDepositSerializer, responses=SavingsGoalSerializer)
@api_key_scopes(POST=WALLET)
class GoalDepositView(APIView):
    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, public_id):
        goal = _goal(request, public_id)
        body = GoalDepositSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        goals.goal_deposit(goal=goal, owner=request.user, amount_minor=amount_minor(body.validated_data["amount"]),
                           reference=f"goal-deposit:{uuid.uuid4().hex}")
        goal.account.refresh_from_db(fields=["balance"])
        return Response(goal_json(goal), status=status.HTTP_201_CREATED)


class WithdrawSerializer(serializers.Serializer):
    amount = AmountField(required=False, allow_blank=True, allow_null=True, help_text="default: everything saved")
    accept_penalty = serializers.BooleanField(required=False, default=False)


@extend_schema(request=WithdrawSerializer, responses=SavingsWithdrawalSerializer)
@api_key_scopes(POST=WALLET)
class GoalWithdrawView(APIView):
    """POST: back to the wallet. Before the lock date: 403 goal_locked, or 409 early_withdrawal_penalty
    until ``accept_penalty`` is sent (the penalty is posted to revenue in the same entry)."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, public_id):
        goal = _goal(request, public_id)
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        received = goals.goal_withdraw(
            goal=goal, owner=request.user, amount_minor=amount_minor(body.validated_data.get("amount"), required=False),
            accept_penalty=body.validated_data["accept_penalty"], request=request)
        goal.account.refresh_from_db(fields=["balance"])
        return Response({"received": money(received, goal.currency), "goal": goal_json(goal)},
                        status=status.HTTP_201_CREATED)


class AutosaveSerializer(serializers.Serializer):
    amount = AmountField(required=False, allow_blank=True, allow_null=True,
                         help_text="empty or null: stop automatic saving")
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)


@extend_schema(request=AutosaveSerializer, responses=SavingsGoalSerializer)
@api_key_scopes(PUT=WALLET)
class GoalAutosaveView(APIView):
    """PUT: scheduled top-ups from the wallet (the first runs at the next beat tick), or stop them."""

    permission_classes = [IsAuthenticated, PhoneVerified]

    def put(self, request, public_id):
        goal = _goal(request, public_id)
        body = AutosaveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        goal = goals.goal_set_autosave(
            goal=goal, owner=request.user, amount_minor=amount_minor(body.validated_data.get("amount"),
                                                                     required=False),
            frequency=body.validated_data.get("frequency", ""))
        return Response(goal_json(goal))


# --- operator --------------------------------------------------------------------------------------

def _rules_json() -> dict:
    rule = goals.savings_settings()
    return {"early_withdrawal": rule.early_withdrawal, "penalty_bps": rule.penalty_bps}


class RulesSerializer(serializers.Serializer):
    early_withdrawal = serializers.ChoiceField(choices=["refused", "penalty"])
    penalty_bps = serializers.IntegerField(min_value=0, max_value=5_000, required=False, default=0)


@extend_schema(request=RulesSerializer, responses=SavingsRulesSerializer)
@api_key_scopes(GET=ADMIN, PUT=ADMIN)
class StaffRulesView(APIView):
    """GET/PUT the early-withdrawal rule for goals opened from now on (audited)."""

    permission_classes = [IsOperatorAdmin]

    def get(self, request):
        return Response(_rules_json())

    def put(self, request):
        body = RulesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        goals.savings_settings_update(actor=request.user, early_withdrawal=body.validated_data["early_withdrawal"],
                                      penalty_bps=body.validated_data["penalty_bps"], request=request)
        return Response(_rules_json())


@extend_schema(responses=SavingsStaffCircleListSerializer)
@api_key_scopes(GET=ADMIN)
class StaffCircleListView(APIView):
    permission_classes = [IsOperatorStaff]

    def get(self, request):
        circles = Circle.objects.select_related("account").order_by("-created_at")[:200]
        missed = selectors.missed_contributions()
        return Response({"results": [circle_json(c) for c in circles], "missed": [
            {"circle": str(c.circle.public_id), "member": c.member.phone, "cycle": c.cycle, "status": c.status,
             "amount": money(c.amount_minor, c.circle.currency)} for c in missed]})


class DissolveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


@extend_schema(request=DissolveSerializer, responses=SavingsCircleSerializer)
@api_key_scopes(POST=ADMIN)
class StaffDissolveView(APIView):
    permission_classes = [IsOperatorSupport]

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, public_id):
        circle = Circle.objects.select_related("account").filter(public_id=public_id).first()
        if circle is None:
            raise NotFound(gettext("No such circle."), code="unknown_circle")
        body = DissolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        circle = services.circle_dissolve(circle=circle, actor=request.user, reason=body.validated_data["reason"],
                                          request=request)
        circle.account.refresh_from_db(fields=["balance"])
        return Response(circle_json(circle))

