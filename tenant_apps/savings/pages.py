"""Savings pages: the customer's goals and circles, and the operator's rules and circles.

Thin views over ``savings.services`` / ``savings.selectors`` with the API's permission classes; every form
that moves money (deposit, withdrawal, paying arrears) runs once per rendered form (``portal.once``);
the other actions are guarded by the circle's state under its row lock (409 on a repeat).
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import (
    IsOperatorAdmin,
    IsOperatorStaff,
    IsOperatorSupport,
    IsTenantUser,
    PhoneVerified,
)
from tenant_apps.ledger.currency import to_decimal_string
from tenant_apps.portal.access import allowed, page_requires
from tenant_apps.portal.forms import StyledForm
from tenant_apps.portal.once import OnceMixin, new_key, run_once, show_service_error
from tenant_apps.portal.shop_forms import AmountField, amount_minor
from tenant_apps.portal.views import page

from . import goals, selectors, services
from .models import Circle, CircleMember, CircleStatus, Contribution, EarlyWithdrawal, Frequency, MemberStatus


class GoalForm(OnceMixin, StyledForm):
    name = forms.CharField(label=_("What are you saving for?"), max_length=60)
    target = AmountField(label=_("Target"), required=True)
    lock_until = forms.DateField(label=_("Lock the money until (optional)"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    autosave_amount = AmountField(label=_("Save automatically (optional)"))
    autosave_frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices, required=False)


class CircleForm(StyledForm):
    name = forms.CharField(label=_("Name of the circle"), max_length=60)
    contribution = AmountField(label=_("Each member pays"), required=True)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    members = forms.CharField(label=_("Members' phone numbers, in the order they receive the pot"),
                              widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              help_text=_("One per line. You receive the first pot; you can invite more later."))


class AmountForm(OnceMixin, StyledForm):
    amount = AmountField(required=True)


class WithdrawForm(OnceMixin, StyledForm):
    amount = AmountField(help_text=_("Leave empty to withdraw everything."))
    accept_penalty = forms.BooleanField(label=_("I accept the early-withdrawal penalty"), required=False)


class AutosaveForm(StyledForm):
    amount = AmountField(label=_("Amount each time"), help_text=_("Leave empty to stop."))
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices, required=False)


class InviteForm(StyledForm):
    phone = forms.CharField(label=_("Phone number"), max_length=20, widget=forms.TextInput(
        attrs={"autocomplete": "tel", "inputmode": "tel"}))


class PayArrearsForm(OnceMixin, StyledForm):
    contribution = forms.UUIDField(widget=forms.HiddenInput)


# --- hub -------------------------------------------------------------------------------------------

@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def savings_home(request):
    goal_form = GoalForm(request.POST if request.POST.get("kind") == "goal" else None)
    circle_form = CircleForm(request.POST if request.POST.get("kind") == "circle" else None)
    if request.method == "POST" and goal_form.is_bound and goal_form.is_valid():
        target = amount_minor(goal_form, "target", required=True)
        autosave = amount_minor(goal_form, "autosave_amount")
        if target is not None and not goal_form.errors:
            data = goal_form.cleaned_data

            def create_goal() -> str:  # with automatic saving it spends on a schedule: created once per form
                goal = goals.goal_create(owner=request.user, name=data["name"], target_minor=target,
                                         lock_until=data.get("lock_until"), autosave_minor=autosave,
                                         autosave_frequency=data.get("autosave_frequency") or "")
                return reverse("portal:savings-goal", args=[goal.public_id])

            answer = _once(request, goal_form, create_goal)
            if answer:
                return answer
    if request.method == "POST" and circle_form.is_bound and circle_form.is_valid():
        contribution = amount_minor(circle_form, "contribution", required=True)
        if contribution is not None and not circle_form.errors:
            phones = [line.strip() for line in circle_form.cleaned_data.get("members", "").splitlines() if line.strip()]
            try:
                circle = services.circle_create(organiser=request.user, name=circle_form.cleaned_data["name"],
                                                contribution_minor=contribution,
                                                frequency=circle_form.cleaned_data["frequency"], member_phones=phones)
            except ApiError as error:
                show_service_error(circle_form, error)
            else:
                return redirect("portal:savings-circle", public_id=circle.public_id)
    rule = goals.savings_settings()
    return page(request, "savings/home.html", {
        "goals": selectors.goals_for(owner=request.user)[:50], "circles": selectors.circles_for(user=request.user)[:50],
        "invitations": services.invitations_for(user=request.user), "goal_form": goal_form,
        "circle_form": circle_form, "rule": rule, "rule_percent": f"{rule.penalty_bps / 100:g}"},
        status=400 if goal_form.errors or circle_form.errors else 200)


# --- goals -----------------------------------------------------------------------------------------

@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def goal_detail(request, public_id):
    goal = selectors.goals_for(owner=request.user).filter(public_id=public_id).first()
    if goal is None:
        raise Http404
    action = request.POST.get("action", "")
    deposit_form = AmountForm(request.POST if action == "deposit" else None, prefix="deposit")
    withdraw_form = WithdrawForm(request.POST if action == "withdraw" else None, prefix="withdraw")
    autosave_form = AutosaveForm(request.POST if action == "autosave" else None, prefix="autosave", initial={
        "amount": to_decimal_string(goal.autosave_minor, goal.currency) if goal.autosave_minor else "",
        "frequency": goal.autosave_frequency})
    if action == "deposit" and deposit_form.is_valid():
        deposit_minor = amount_minor(deposit_form, required=True)
        if deposit_minor is not None and not deposit_form.errors:
            def deposit() -> str:
                goals.goal_deposit(goal=goal, owner=request.user, amount_minor=deposit_minor,
                                   reference=f"goal-deposit:{uuid.uuid4().hex}")
                return reverse("portal:savings-goal", args=[goal.public_id]) + "?saved=1"
            return _once(request, deposit_form, deposit) or _goal_page(request, goal, deposit_form, withdraw_form,
                                                                         autosave_form)
    if action == "withdraw" and withdraw_form.is_valid():
        amount = amount_minor(withdraw_form)
        if not withdraw_form.errors:
            def withdraw() -> str:
                goals.goal_withdraw(goal=goal, owner=request.user, amount_minor=amount,
                                    accept_penalty=withdraw_form.cleaned_data["accept_penalty"], request=request)
                return reverse("portal:savings-goal", args=[goal.public_id]) + "?withdrawn=1"
            answer = _once(request, withdraw_form, withdraw)
            if answer:
                return answer
    if action == "autosave" and autosave_form.is_valid():
        amount = amount_minor(autosave_form)
        if not autosave_form.errors:
            try:
                goals.goal_set_autosave(goal=goal, owner=request.user, amount_minor=amount,
                                        frequency=autosave_form.cleaned_data.get("frequency") or "")
            except ApiError as error:
                show_service_error(autosave_form, error)
            else:
                messages.success(request, gettext("Automatic saving updated."))
                return redirect("portal:savings-goal", public_id=goal.public_id)
    if request.GET.get("saved"):
        messages.success(request, gettext("Saved."))
    if request.GET.get("withdrawn"):
        messages.success(request, gettext("The money is in your wallet."))
    return _goal_page(request, goal, deposit_form, withdraw_form, autosave_form)


def _once(request, form, execute):
    try:
        url, _replayed = run_once(request, form, execute)
    except ApiError as error:
        show_service_error(form, error)
        return None
    return redirect(url)


def _goal_page(request, goal, deposit_form, withdraw_form, autosave_form):
    goal.account.refresh_from_db(fields=["balance"])
    saved = goal.account.balance or 0
    early, example_penalty = goals.withdrawal_quote(goal=goal, amount_minor=saved)
    errors = deposit_form.errors or withdraw_form.errors or autosave_form.errors
    return page(request, "savings/goal.html", {
        "goal": goal, "saved": saved, "progress": min(100, saved * 100 // goal.target_minor), "early": early,
        "penalty_all": example_penalty, "refused": early and goal.early_withdrawal == EarlyWithdrawal.REFUSED,
        "deposit_form": deposit_form, "withdraw_form": withdraw_form, "autosave_form": autosave_form,
        "penalty_percent": f"{goal.penalty_bps / 100:g}"}, status=400 if errors else 200)


# --- circles ---------------------------------------------------------------------------------------

def _circle(request, public_id) -> Circle:
    circle = selectors.circle_for(user=request.user, public_id=public_id)
    if circle is None:
        raise Http404
    return circle


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def circle_detail(request, public_id):
    """The group's board (who paid, who missed, who owes whom, the pots) and the actions this person may take."""
    circle = _circle(request, public_id)
    action = request.POST.get("action", "")
    invite_form = InviteForm(request.POST if action == "invite" else None)
    arrears_form = PayArrearsForm(request.POST if action == "arrears" else None)
    if request.method == "POST":
        try:
            if action == "invite" and invite_form.is_valid():
                services.circle_invite(circle=circle, actor=request.user, phone=invite_form.cleaned_data["phone"])
                messages.success(request, gettext("Invitation sent."))
            elif action == "start":
                services.circle_start(circle=circle, actor=request.user)
                messages.success(request, gettext("The circle has started: contributions are collected on schedule."))
            elif action == "cancel":
                services.circle_cancel(circle=circle, actor=request.user)
            elif action in ("accept", "decline"):
                member = CircleMember.objects.filter(circle=circle, phone=request.user.phone,
                                                     status=MemberStatus.INVITED).first()
                if member is None:
                    raise Http404
                services.circle_respond(member=member, user=request.user, accept=action == "accept")
                if action == "decline":
                    return redirect("portal:savings")
            elif action == "arrears" and arrears_form.is_valid():
                contribution = Contribution.objects.filter(public_id=arrears_form.cleaned_data["contribution"],
                                                           member__user=request.user, circle=circle).first()
                if contribution is None:
                    raise Http404

                def pay_arrears() -> str:
                    services.circle_pay_arrears(contribution=contribution, user=request.user)
                    return reverse("portal:savings-circle", args=[circle.public_id])
                answer = _once(request, arrears_form, pay_arrears)
                if answer:
                    messages.success(request, gettext("Thank you: the member you owed has been paid."))
                    return answer
            if not (invite_form.errors or arrears_form.errors):
                return redirect("portal:savings-circle", public_id=circle.public_id)
        except ApiError as error:
            messages.error(request, gettext(str(error.message)))
            return redirect("portal:savings-circle", public_id=circle.public_id)
    circle.refresh_from_db()
    circle.account.refresh_from_db(fields=["balance"])
    board = selectors.circle_board(circle=circle)
    me = next((row for row in board if row.member.user_id == request.user.pk), None)
    invited = circle.members.filter(phone=request.user.phone, status=MemberStatus.INVITED).exists()
    return page(request, "savings/circle.html", {
        "circle": circle, "board": board, "cycles": range(1, max(circle.cycles_total, len(board)) + 1),
        "organiser": circle.organiser_id == request.user.pk, "invited": invited, "me": me,
        "forming": circle.status == CircleStatus.FORMING, "invite_form": invite_form,
        "arrears": [(cell, new_key()) for cell in (me.cells if me else [])
                    if cell is not None and cell.status == "missed" and cell.owed_to_id],
        "pot": circle.contribution_minor * max(circle.cycles_total, len(board))},
        status=400 if invite_form.errors or arrears_form.errors else 200)


# --- operator --------------------------------------------------------------------------------------

class RulesForm(StyledForm):
    early_withdrawal = forms.ChoiceField(label=_("Withdrawing from a locked goal before its date"),
                                         choices=EarlyWithdrawal.choices)
    penalty_percent = forms.DecimalField(label=_("Penalty (%)"), min_value=0, max_value=50, decimal_places=2,
                                         required=False)


@page_requires(IsOperatorStaff)
@require_http_methods(["GET", "POST"])
def backoffice_savings(request):
    rule = goals.savings_settings()
    form = RulesForm(request.POST or None, initial={"early_withdrawal": rule.early_withdrawal,
                                                    "penalty_percent": f"{rule.penalty_bps / 100:.2f}"})
    can_edit = allowed(request, IsOperatorAdmin)
    if request.method == "POST":
        if not can_edit:
            return page(request, "portal/forbidden.html", status=403)
        if form.is_valid():
            try:
                goals.savings_settings_update(
                    actor=request.user, early_withdrawal=form.cleaned_data["early_withdrawal"],
                    penalty_bps=int((form.cleaned_data.get("penalty_percent") or 0) * 100), request=request)
            except ApiError as error:
                show_service_error(form, error)
            else:
                messages.success(request, gettext("Savings rules saved. They apply to goals opened from now on."))
                return redirect("portal:backoffice-savings")
    circles = Circle.objects.select_related("account", "organiser").order_by("-created_at")[:100]
    return page(request, "savings/backoffice.html", {
        "form": form, "can_edit": can_edit, "circles": circles, "missed": selectors.missed_contributions(),
        "can_dissolve": allowed(request, IsOperatorSupport)}, status=400 if form.errors else 200)


@page_requires(IsOperatorSupport)
@require_POST
def backoffice_dissolve(request, public_id):
    circle = Circle.objects.filter(public_id=public_id).select_related("account").first()
    if circle is None:
        raise Http404
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        messages.error(request, gettext("Give a reason."))
        return redirect("portal:backoffice-savings")
    try:
        services.circle_dissolve(circle=circle, actor=request.user, reason=reason, request=request)
    except ApiError as error:
        messages.error(request, gettext(str(error.message)))
    else:
        messages.success(request, gettext("Circle dissolved: the open round's contributions went back to those "
                                          "who paid."))
    return redirect("portal:backoffice-savings")

