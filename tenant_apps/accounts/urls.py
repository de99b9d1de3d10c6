"""Auth and user administration on every tenant domain (contract paths: /api/auth/...)."""

from django.urls import path

from . import views

urlpatterns = [
    path("api/auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("api/auth/login", views.LoginView.as_view(), name="auth-login"),
    path("api/auth/otp", views.OtpView.as_view(), name="auth-otp"),
    path("api/auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("api/auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("api/auth/me", views.MeView.as_view(), name="auth-me"),
    path("api/auth/email/verify", views.EmailProofView.as_view(), name="auth-email-verify"),
    path("api/auth/password/change", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("api/accounts/users", views.UserListView.as_view(), name="accounts-users"),
    path("api/accounts/users/<uuid:public_id>/role", views.UserRoleView.as_view(), name="accounts-user-role"),
    path("api/audit", views.AuditListView.as_view(), name="audit-list"),
]
