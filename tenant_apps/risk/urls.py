"""Risk API (rules, decisions, review, step-up, devices) and the back-office pages (namespace ``risk``)."""

from django.urls import include, path

from . import pages, views

page_patterns = [
    path("back-office/risk/rules", pages.rules, name="rules"),
    path("back-office/risk/rules/<uuid:public_id>", pages.rule_edit, name="rule"),
    path("back-office/risk/decisions", pages.decisions, name="decisions"),
    path("back-office/risk/reviews", pages.reviews, name="reviews"),
    path("back-office/risk/decisions/<uuid:public_id>/<str:verdict>", pages.review_decide_page, name="decide"),
    path("profile/devices/<uuid:public_id>/sign-out", pages.device_sign_out_page, name="device-sign-out"),
]

urlpatterns = [
    path("api/risk/rules", views.RulesView.as_view(), name="risk-rules"),
    path("api/risk/rules/<uuid:public_id>", views.RuleDetailView.as_view(), name="risk-rule"),
    path("api/risk/decisions", views.DecisionsView.as_view(), name="risk-decisions"),
    path("api/risk/decisions/<uuid:public_id>", views.DecisionDetailView.as_view(), name="risk-decision"),
    path("api/risk/decisions/<uuid:public_id>/release", views.ReleaseView.as_view(), name="risk-release"),
    path("api/risk/decisions/<uuid:public_id>/reject", views.RejectView.as_view(), name="risk-reject"),
    path("api/risk/step-up/<uuid:public_id>/verify", views.StepUpVerifyView.as_view(), name="risk-step-up-verify"),
    path("api/risk/step-up/<uuid:public_id>/resend", views.StepUpResendView.as_view(), name="risk-step-up-resend"),
    path("api/auth/devices", views.DevicesView.as_view(), name="auth-devices"),
    path("api/auth/devices/<uuid:public_id>/sign-out", views.DeviceSignOutView.as_view(), name="auth-device-sign-out"),
    path("", include((page_patterns, "risk"))),
]
