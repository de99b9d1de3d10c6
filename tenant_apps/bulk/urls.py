from django.urls import path

from . import views

urlpatterns = [
    path("api/bulk-topups", views.BulkTopupsView.as_view(), name="bulk-topups"),
    path("api/bulk-topups/<uuid:public_id>", views.BulkTopupDetailView.as_view(), name="bulk-topup"),
    path("api/bulk-topups/<uuid:public_id>/confirm", views.BulkTopupConfirmView.as_view(), name="bulk-topup-confirm"),
    path("api/bulk-topups/<uuid:public_id>/results.csv", views.BulkTopupResultsView.as_view(),
         name="bulk-topup-results"),
]
