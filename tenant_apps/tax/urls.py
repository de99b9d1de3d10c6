"""Tax report API and back-office pages (namespace ``tax``)."""

from django.urls import include, path

from . import pages, views

page_patterns = [
    path("back-office/tax", pages.report_page, name="report"),
    path("back-office/tax.csv", pages.report_csv, name="report-csv"),
    path("back-office/tax.pdf", pages.report_pdf, name="report-pdf"),
]

urlpatterns = [
    path("api/tax/report", views.TaxReportView.as_view(), name="tax-report"),
    path("api/tax/report.csv", views.TaxReportCsvView.as_view(), name="tax-report-csv"),
    path("api/tax/report.pdf", views.TaxReportPdfView.as_view(), name="tax-report-pdf"),
    path("", include((page_patterns, "tax"))),
]
