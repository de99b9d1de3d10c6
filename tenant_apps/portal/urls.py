"""Page URLs of every tenant domain (they never start with /api/ or /webhook/)."""

from django.urls import path

from . import backoffice, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup", views.signup, name="signup"),
    path("verify", views.verify, name="verify"),
    path("verify/resend", views.resend_code, name="verify-resend"),
    path("login", views.login_page, name="login"),
    path("logout", views.logout_page, name="logout"),
    path("wallet", views.wallet, name="wallet"),
    path("profile", views.profile, name="profile"),
    path("kyc", views.kyc, name="kyc"),
    path("back-office/", backoffice.dashboard, name="backoffice-dashboard"),
    path("back-office/users", backoffice.users, name="backoffice-users"),
    path("back-office/kyc", backoffice.kyc_queue, name="backoffice-kyc"),
    path("back-office/kyc/<uuid:public_id>/decide", backoffice.kyc_decide_page, name="backoffice-kyc-decide"),
]

# Agent portal and the operator back office's orders, pricing, applications, reconciliation (same namespace).
from .urls_ops import urlpatterns as ops_urlpatterns  # noqa: E402

urlpatterns += ops_urlpatterns
