"""Head-office console pages on the public domain, under /console/."""

from django.urls import path

from . import console_extra, tax_reports, views

app_name = "headoffice"

urlpatterns = [
    path("", views.root, name="root"),
    path("console/", views.root),
    path("console/login", views.login_page, name="login"),
    path("console/logout", views.logout_page, name="logout"),
    path("console/tenants", views.tenants, name="tenants"),
    path("console/tenants/new", views.tenant_create, name="tenant-create"),
    path("console/tenants/<slug:schema>", views.tenant_detail, name="tenant"),
    path("console/tenants/<slug:schema>/status", views.tenant_status, name="tenant-status"),
    path("console/providers", views.providers, name="providers"),
    path("console/providers/balances", views.provider_balances, name="provider-balances"),
    path("console/providers/<int:pk>", views.provider_edit, name="provider"),
    path("console/audit", views.audit, name="audit"),
    path("console/catalog", console_extra.catalog, name="catalog"),
    path("console/catalog/<int:pk>", console_extra.product_edit, name="product"),
    path("console/analytics", console_extra.analytics, name="analytics"),
    path("console/tax", tax_reports.tax_page, name="tax"),
    path("console/tax.csv", tax_reports.tax_csv, name="tax-csv"),
    path("console/tax.pdf", tax_reports.tax_pdf, name="tax-pdf"),
]
