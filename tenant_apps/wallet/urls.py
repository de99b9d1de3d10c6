from django.urls import path

from . import views

urlpatterns = [
    path("api/wallet", views.WalletView.as_view(), name="wallet"),
    path("api/wallet/transactions", views.WalletTransactionsView.as_view(), name="wallet-transactions"),
    path("api/wallet/adjustments", views.WalletAdjustmentView.as_view(), name="wallet-adjustments"),
    path("api/wallet/gateways", views.GatewaysView.as_view(), name="wallet-gateways"),
    path("api/wallet/fund", views.FundView.as_view(), name="wallet-fund"),
    path("api/wallet/fund/<uuid:public_id>", views.FundingIntentView.as_view(), name="wallet-fund-detail"),
    path("api/transfers", views.TransfersView.as_view(), name="transfers"),
    path("api/transfers/name-enquiry", views.NameEnquiryView.as_view(), name="transfers-name-enquiry"),
    path("api/transfers/<uuid:public_id>", views.TransferDetailView.as_view(), name="transfer-detail"),
    # Gateway notifications: unauthenticated (the signature or a re-verification is the authentication).
    path("webhook/paystack", views.paystack_webhook_view, name="webhook-paystack"),
    path("webhook/flutterwave", views.flutterwave_webhook_view, name="webhook-flutterwave"),
    path("webhook/orange", views.orange_webhook_view, name="webhook-orange"),
    path("webhook/mtn_momo", views.momo_webhook_view, name="webhook-mtn-momo"),
    # The contract's /webhook/mtn: MTN's one published callback protocol, the MoMo Open API's
    # (momodeveloper.mtn.com, "Callback"): the same handler, verified by polling MoMo before crediting.
    path("webhook/mtn", views.momo_webhook_view, name="webhook-mtn"),
]
