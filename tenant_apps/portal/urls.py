"""Page URLs of every tenant domain (they never start with /api/ or /webhook/)."""

from django.urls import path

from . import agent, backoffice, backoffice_admin, backoffice_orders, backoffice_reports, views

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
    # agent portal (reseller domains) and the rest of the operator back office
    path("agent/sell", agent.sell, name="agent-sell"),
    path("agent/sales/<uuid:public_id>", agent.sale, name="agent-sale"),
    path("agent/wallet", agent.wallet, name="agent-wallet"),
    path("agent/team", agent.sub_agents, name="agent-team"),
    path("agent/team/<uuid:agent_id>/fund", agent.fund_sub_agent, name="agent-fund"),
    path("agent/commissions", agent.commissions, name="agent-commissions"),
    path("back-office/orders", backoffice_orders.orders, name="backoffice-orders"),
    path("back-office/orders/<uuid:public_id>", backoffice_orders.order_detail, name="backoffice-order"),
    path("back-office/orders/<uuid:public_id>/requery", backoffice_orders.order_requery_page,
         name="backoffice-order-requery"),
    path("back-office/orders/<uuid:public_id>/resolve", backoffice_orders.order_resolve_page,
         name="backoffice-order-resolve"),
    path("back-office/pricing", backoffice_admin.pricing, name="backoffice-pricing"),
    path("back-office/pricing/<int:rule_id>/delete", backoffice_admin.pricing_delete, name="backoffice-pricing-delete"),
    path("back-office/applications", backoffice_admin.applications, name="backoffice-applications"),
    path("back-office/applications/<uuid:public_id>/decide", backoffice_admin.application_decide,
         name="backoffice-application-decide"),
    path("back-office/reconciliation", backoffice_reports.reconciliation, name="backoffice-reconciliation"),
]
