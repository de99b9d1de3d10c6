from django.urls import path

from . import views

urlpatterns = [
    path("api/purchase", views.PurchaseView.as_view(), name="purchase"),
    path("api/purchase/verify", views.PurchaseVerifyView.as_view(), name="purchase-verify"),
    path("api/purchases", views.PurchaseListView.as_view(), name="purchases"),
    path("api/purchases/<uuid:public_id>", views.PurchaseDetailView.as_view(), name="purchase-detail"),
    path("api/staff/orders", views.StaffOrderListView.as_view(), name="staff-orders"),
    path("api/staff/orders/<uuid:public_id>", views.StaffOrderDetailView.as_view(), name="staff-order"),
    path("api/staff/orders/<uuid:public_id>/requery", views.StaffOrderRequeryView.as_view(),
         name="staff-order-requery"),
    path("api/staff/orders/<uuid:public_id>/resolve", views.StaffOrderResolveView.as_view(),
         name="staff-order-resolve"),
    path("webhook/vtpass", views.vtpass_webhook, name="webhook-vtpass"),
    path("webhook/aggregator", views.aggregator_webhook, name="webhook-aggregator"),
    path("webhook/dtone", views.dtone_webhook, name="webhook-dtone"),
]
