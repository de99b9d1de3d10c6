from django.urls import path

from . import views

urlpatterns = [
    path("api/receipts/<str:kind>/<uuid:public_id>.pdf", views.ReceiptPdfView.as_view(), name="receipt-pdf"),
    path("api/receipts/<str:kind>/<uuid:public_id>/share", views.ReceiptShareView.as_view(), name="receipt-share"),
]
