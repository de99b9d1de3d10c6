"""Merchant pages (included in the portal's namespace by tenant_apps/portal/urls.py)."""

from django.urls import path

from . import pages

urlpatterns = [
    path("pay", pages.pay, name="pay"),
    path("payments", pages.payments, name="merchant-payments"),
    path("payments/<uuid:public_id>", pages.payment_receipt, name="merchant-payment"),
    path("business", pages.business, name="business"),
    path("business/<uuid:public_id>", pages.business, name="business-detail"),
    path("business/<uuid:public_id>/request", pages.business_request, name="business-request"),
    path("business/<uuid:public_id>/settlement", pages.business_settlement, name="business-settlement"),
    path("business/<uuid:public_id>/payments.csv", pages.business_csv, name="business-csv"),
    path("business/<uuid:public_id>/payments/<uuid:payment_id>", pages.business_payment, name="business-payment"),
    path("back-office/merchants", pages.backoffice_merchants, name="backoffice-merchants"),
    path("back-office/merchants/<uuid:public_id>/decide", pages.backoffice_merchant_decide,
         name="backoffice-merchant-decide"),
    path("back-office/merchant-fees", pages.backoffice_fees, name="backoffice-merchant-fees"),
]
