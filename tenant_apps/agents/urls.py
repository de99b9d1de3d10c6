from django.urls import path

from . import views

urlpatterns = [
    path("api/resellers/applications", views.ApplicationsView.as_view(), name="reseller-applications"),
    path("api/resellers/applications/<uuid:application_id>/approve",
         views.ApplicationDecisionView.as_view(decision="approve"), name="reseller-application-approve"),
    path("api/resellers/applications/<uuid:application_id>/reject",
         views.ApplicationDecisionView.as_view(decision="reject"), name="reseller-application-reject"),
    path("api/resellers", views.ResellersView.as_view(), name="resellers"),
    path("api/resellers/float", views.MyFloatView.as_view(), name="reseller-my-float"),
    path("api/resellers/float/fund", views.MyFloatFundView.as_view(), name="reseller-my-float-fund"),
    path("api/resellers/api-keys", views.ApiKeysView.as_view(), name="reseller-api-keys"),
    path("api/resellers/api-keys/<str:key_id>/rotate", views.ApiKeyActionView.as_view(action="rotate"),
         name="reseller-api-key-rotate"),
    path("api/resellers/api-keys/<str:key_id>/revoke", views.ApiKeyActionView.as_view(action="revoke"),
         name="reseller-api-key-revoke"),
    path("api/resellers/webhooks", views.WebhooksView.as_view(), name="reseller-webhooks"),
    path("api/resellers/webhooks/deliveries", views.DeliveriesView.as_view(), name="reseller-webhook-deliveries"),
    path("api/resellers/webhooks/deliveries/<uuid:delivery_id>/redeliver", views.RedeliverView.as_view(),
         name="reseller-webhook-redeliver"),
    path("api/resellers/<slug:schema>/float", views.FloatFundView.as_view(), name="reseller-float-fund"),
    path("api/agents", views.AgentsView.as_view(), name="agents"),
    path("api/agents/invitations", views.InvitationsView.as_view(), name="agent-invitations"),
    path("api/agents/invitations/accept", views.AcceptInvitationView.as_view(), name="agent-invitation-accept"),
    path("api/agents/me/statement", views.AgentStatementView.as_view(), name="agent-statement"),
    path("api/agents/commissions", views.CommissionReportView.as_view(), name="agent-commissions"),
    path("api/agents/<uuid:agent_id>", views.AgentDetailView.as_view(), name="agent-detail"),
    path("api/agents/<uuid:agent_id>/fund", views.AgentFundView.as_view(), name="agent-fund"),
]
