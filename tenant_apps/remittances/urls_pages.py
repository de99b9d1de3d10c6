"""Remittance pages (included in the portal's namespace by tenant_apps/portal/urls.py)."""

from django.urls import path

from . import pages

urlpatterns = [
    path("remittances", pages.send, name="remittances"),
    path("remittances/quotes/<uuid:public_id>", pages.quote_page, name="remittance-quote"),
    path("remittances/<uuid:public_id>", pages.status_page, name="remittance"),
    path("back-office/remittances", pages.backoffice, name="backoffice-remittances"),
    path("back-office/remittances/<uuid:public_id>/<str:verdict>", pages.backoffice_decide,
         name="backoffice-remittance-decide"),
    path("back-office/remittance-corridors", pages.backoffice_corridors, name="backoffice-remittance-corridors"),
]
