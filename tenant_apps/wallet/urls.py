from django.urls import path

from . import views

urlpatterns = [
    path("api/wallet", views.WalletView.as_view(), name="wallet"),
    path("api/wallet/transactions", views.WalletTransactionsView.as_view(), name="wallet-transactions"),
    path("api/wallet/adjustments", views.WalletAdjustmentView.as_view(), name="wallet-adjustments"),
]
