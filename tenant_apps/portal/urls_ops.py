"""Page URLs of the agent portal and the rest of the operator back office (added to ``portal.urls``)."""

from django.urls import path

from . import agent, backoffice_admin, backoffice_orders, backoffice_reports, cash, invitation

urlpatterns = [
    # agent portal (reseller domains) and the rest of the operator back office
    path("agent/sell", agent.sell, name="agent-sell"),
    path("agent/invitation", invitation.accept, name="agent-invitation"),  # agents.links.INVITATION_PAGE
    path("agent/cash-in", cash.cash_in, name="agent-cash-in"),
    path("agent/cash-out", cash.cash_out, name="agent-cash-out"),
    path("agent/cash/<uuid:public_id>", cash.cash_detail, name="agent-cash"),
    path("wallet/withdraw", cash.withdraw, name="withdraw"),
    path("wallet/withdraw/<uuid:public_id>", cash.withdraw_code, name="withdraw-code"),
    path("wallet/bank-account", cash.bank_account, name="bank-account"),
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
    path("back-office/funding-reviews/<uuid:public_id>/resolve", backoffice_reports.funding_review_resolve_page,
         name="backoffice-funding-review-resolve"),
]
