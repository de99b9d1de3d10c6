"""Savings pages (included in the portal's namespace by tenant_apps/portal/urls.py)."""

from django.urls import path

from . import pages

urlpatterns = [
    path("savings", pages.savings_home, name="savings"),
    path("savings/goals/<uuid:public_id>", pages.goal_detail, name="savings-goal"),
    path("savings/circles/<uuid:public_id>", pages.circle_detail, name="savings-circle"),
    path("back-office/savings", pages.backoffice_savings, name="backoffice-savings"),
    path("back-office/savings/circles/<uuid:public_id>/dissolve", pages.backoffice_dissolve,
         name="backoffice-savings-dissolve"),
]
