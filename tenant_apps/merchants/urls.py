from django.urls import path

from . import views

urlpatterns = [
    path("api/merchants", views.MerchantListView.as_view(), name="merchants"),
    path("api/merchants/categories", views.CategoryListView.as_view(), name="merchant-categories"),
    path("api/merchants/lookup", views.MerchantLookupView.as_view(), name="merchant-lookup"),
    path("api/merchants/qr/resolve", views.QrResolveView.as_view(), name="merchant-qr-resolve"),
    path("api/merchants/<uuid:public_id>", views.MerchantDetailView.as_view(), name="merchant-detail"),
    path("api/merchants/<uuid:public_id>/settlement-account", views.SettlementDetailsView.as_view(),
         name="merchant-settlement-account"),
    path("api/merchants/<uuid:public_id>/qr", views.StaticQrView.as_view(), name="merchant-qr"),
    path("api/merchants/<uuid:public_id>/payment-requests", views.PaymentRequestView.as_view(),
         name="merchant-payment-requests"),
    path("api/merchants/<uuid:public_id>/dashboard", views.DashboardView.as_view(), name="merchant-dashboard"),
    path("api/merchants/<uuid:public_id>/payments", views.MerchantHistoryView.as_view(), name="merchant-history"),
    path("api/merchants/<uuid:public_id>/payments/<uuid:payment_id>/refunds", views.RefundView.as_view(),
         name="merchant-refunds"),
    path("api/merchants/<uuid:public_id>/settlements", views.SettlementListView.as_view(),
         name="merchant-settlements"),
    path("api/merchant-payments", views.MerchantPaymentsView.as_view(), name="merchant-payments"),
    path("api/merchant-payments/<uuid:public_id>", views.MerchantPaymentDetailView.as_view(),
         name="merchant-payment-detail"),
    path("api/staff/merchants", views.StaffMerchantListView.as_view(), name="staff-merchants"),
    *[path(f"api/staff/merchants/<uuid:public_id>/{action}", views.StaffMerchantDecisionView.as_view(action=action),
           name=f"staff-merchant-{action}") for action in ("approve", "reject", "suspend", "reactivate")],
    path("api/staff/merchant-payments/<uuid:public_id>/refunds", views.StaffRefundView.as_view(),
         name="staff-merchant-refunds"),
    path("api/staff/merchant-categories", views.StaffCategoryListView.as_view(), name="staff-merchant-categories"),
    path("api/staff/merchant-categories/<slug:code>", views.StaffCategoryView.as_view(),
         name="staff-merchant-category"),
]
