"""Head-office (public domain) auth and administration: super_admin and analyst."""

from django.urls import path

from . import views

urlpatterns = [
    path("api/auth/login", views.LoginView.as_view(), name="ho-auth-login"),
    path("api/auth/refresh", views.RefreshView.as_view(), name="ho-auth-refresh"),
    path("api/auth/logout", views.LogoutView.as_view(), name="ho-auth-logout"),
    path("api/auth/me", views.MeView.as_view(), name="ho-auth-me"),
    path("api/auth/password/change", views.PasswordChangeView.as_view(), name="ho-auth-password-change"),
    path("api/head-office/users", views.HeadOfficeUserListView.as_view(), name="ho-users"),
    path("api/head-office/users/<uuid:public_id>/role", views.HeadOfficeUserRoleView.as_view(),
         name="ho-user-role"),
    path("api/head-office/audit", views.HeadOfficeAuditListView.as_view(), name="ho-audit"),
]
