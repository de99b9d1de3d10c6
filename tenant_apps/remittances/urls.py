from django.urls import path

from . import views

urlpatterns = [
    path("api/remittances/corridors", views.CorridorListView.as_view(), name="remittance-corridors"),
    path("api/remittances/quotes", views.QuoteView.as_view(), name="remittance-quotes"),
    path("api/remittances/quotes/<uuid:public_id>", views.QuoteDetailView.as_view(), name="remittance-quote"),
    path("api/remittances/received", views.ReceivedListView.as_view(), name="remittances-received"),
    path("api/remittances", views.RemittanceListView.as_view(), name="remittances"),
    path("api/remittances/<uuid:public_id>", views.RemittanceDetailView.as_view(), name="remittance-detail"),
    path("api/staff/remittances", views.StaffRemittanceListView.as_view(), name="staff-remittances"),
    *[path(f"api/staff/remittances/<uuid:public_id>/{action}", views.StaffDecisionView.as_view(action=action),
           name=f"staff-remittance-{action}") for action in ("release", "reject")],
    path("api/staff/remittance-corridors", views.StaffCorridorListView.as_view(), name="staff-remittance-corridors"),
    path("api/staff/remittance-corridors/<str:country>", views.StaffCorridorView.as_view(),
         name="staff-remittance-corridor"),
]
