from django.urls import path

from . import views

urlpatterns = [
    path("api/savings/circles", views.CircleListView.as_view(), name="savings-circles"),
    path("api/savings/circles/<uuid:public_id>", views.CircleDetailView.as_view(), name="savings-circle"),
    path("api/savings/circles/<uuid:public_id>/invitations", views.CircleInviteView.as_view(),
         name="savings-circle-invite"),
    path("api/savings/circles/<uuid:public_id>/members/<int:member_id>/remove", views.CircleRemoveMemberView.as_view(),
         name="savings-circle-remove"),
    path("api/savings/circles/<uuid:public_id>/order", views.CircleOrderView.as_view(),
         name="savings-circle-order"),
    *[path(f"api/savings/circles/<uuid:public_id>/{action}", views.CircleActionView.as_view(action=action),
           name=f"savings-circle-{action}") for action in ("start", "cancel", "accept", "decline")],
    path("api/savings/invitations", views.InvitationListView.as_view(), name="savings-invitations"),
    path("api/savings/contributions/<uuid:public_id>/pay", views.ArrearsView.as_view(), name="savings-arrears"),
    path("api/savings/goals", views.GoalListView.as_view(), name="savings-goals"),
    path("api/savings/goals/<uuid:public_id>", views.GoalDetailView.as_view(), name="savings-goal"),
    path("api/savings/goals/<uuid:public_id>/deposits", views.GoalDepositView.as_view(), name="savings-goal-deposit"),
    path("api/savings/goals/<uuid:public_id>/withdrawals", views.GoalWithdrawView.as_view(),
         name="savings-goal-withdraw"),
    path("api/savings/goals/<uuid:public_id>/autosave", views.GoalAutosaveView.as_view(), name="savings-goal-autosave"),
    path("api/staff/savings/rules", views.StaffRulesView.as_view(), name="staff-savings-rules"),
    path("api/staff/savings/circles", views.StaffCircleListView.as_view(), name="staff-savings-circles"),
    path("api/staff/savings/circles/<uuid:public_id>/dissolve", views.StaffDissolveView.as_view(),
         name="staff-savings-dissolve"),
]
