"""Privacy API and pages (namespace ``privacy``)."""

from django.urls import include, path

from . import pages, views

page_patterns = [
    path("my-data", pages.my_data, name="my-data"),
    path("my-data/exports/<uuid:public_id>", pages.export_download, name="export-download"),
    path("back-office/privacy/<uuid:public_id>", pages.backoffice_person, name="backoffice-person"),
    path("back-office/privacy/<uuid:public_id>/export", pages.backoffice_export, name="backoffice-export"),
    path("back-office/privacy/<uuid:public_id>/erase", pages.backoffice_erase, name="backoffice-erase"),
]

urlpatterns = [
    path("api/privacy/exports", views.ExportsView.as_view(), name="privacy-exports"),
    path("api/privacy/exports/<uuid:public_id>/download", views.ExportDownloadView.as_view(),
         name="privacy-export-download"),
    path("api/privacy/erasure", views.ErasureView.as_view(), name="privacy-erasure"),
    path("api/privacy/users/<uuid:public_id>/exports", views.OperatorExportView.as_view(),
         name="privacy-operator-export"),
    path("api/privacy/users/<uuid:public_id>/erasure", views.OperatorErasureView.as_view(),
         name="privacy-operator-erasure"),
    path("", include((page_patterns, "privacy"))),
]
