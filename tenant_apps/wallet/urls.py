from django.urls import path

from . import views

urlpatterns = [
    path("api/wallet", views.WalletView.as_view(), name="wallet"),
    path("api/wallet/transactions", views.WalletTransactionsView.as_view(), name="wallet-transactions"),
    path("api/wallet/adjustments", views.WalletAdjustmentView.as_view(), name="wallet-adjustments"),
    path("api/wallet/funding-reviews", views.FundingReviewsView.as_view(), name="wallet-funding-reviews"),
    path("api/wallet/funding-reviews/<uuid:public_id>/resolve", views.FundingReviewResolveView.as_view(),
         name="wallet-funding-review-resolve"),
    path("api/wallet/gateways", views.GatewaysView.as_view(), name="wallet-gateways"),
    path("api/provider-balances", views.ProviderBalancesView.as_view(), name="provider-balances"),
    path("api/wallet/fund", views.FundView.as_view(), name="wallet-fund"),
    path("api/wallet/fund/<uuid:public_id>", views.FundingIntentView.as_view(), name="wallet-fund-detail"),
    path("api/wallet/virtual-account", views.VirtualAccountView.as_view(), name="wallet-virtual-account"),
    path("api/wallet/virtual-account/requery", views.VirtualAccountRequeryView.as_view(),
         name="wallet-virtual-account-requery"),
    path("api/transfers", views.TransfersView.as_view(), name="transfers"),
    path("api/transfers/name-enquiry", views.NameEnquiryView.as_view(), name="transfers-name-enquiry"),
    path("api/transfers/rails", views.WalletRailsView.as_view(), name="transfers-rails"),
    path("api/transfers/wallet-name-check", views.WalletNameCheckView.as_view(), name="transfers-wallet-name-check"),
    path("api/transfers/<uuid:public_id>", views.TransferDetailView.as_view(), name="transfer-detail"),
    # Gateway notifications: unauthenticated (the signature or a re-verification is the authentication).
    path("webhook/paystack", views.paystack_webhook_view, name="webhook-paystack"),
    path("webhook/flutterwave", views.flutterwave_webhook_view, name="webhook-flutterwave"),
    path("webhook/orange", views.orange_webhook_view, name="webhook-orange"),
    path("webhook/mtn_momo", views.momo_webhook_view, name="webhook-mtn-momo"),
    path("webhook/mtn_momo/disbursement", views.momo_disbursement_webhook_view, name="webhook-mtn-momo-disbursement"),
    path("webhook/wave", views.wave_webhook_view, name="webhook-wave"),
    path("webhook/cinetpay", views.cinetpay_webhook_view, name="webhook-cinetpay"),
    path("webhook/cinetpay/transfer", views.cinetpay_transfer_webhook_view, name="webhook-cinetpay-transfer"),
    path("webhook/airtel_money", views.airtel_webhook_view, name="webhook-airtel-money"),
    # The contract's /webhook/mtn: MTN's one published callback protocol, the MoMo Open API's
    # (momodeveloper.mtn.com, "Callback"): the same handler, verified by polling MoMo before crediting.
    path("webhook/mtn", views.momo_webhook_view, name="webhook-mtn"),
]
