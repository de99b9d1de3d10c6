from django.urls import path

from . import views

urlpatterns = [
    path("api/cash/in", views.CashInView.as_view(), name="cash-in"),
    path("api/cash/in/<uuid:public_id>/confirm", views.CashInConfirmView.as_view(), name="cash-in-confirm"),
    path("api/cash/in/<uuid:public_id>/cancel", views.CashInCancelView.as_view(), name="cash-in-cancel"),
    path("api/cash/out", views.CashOutView.as_view(), name="cash-out"),
    path("api/cash/transactions", views.CashTransactionsView.as_view(), name="cash-transactions"),
    path("api/cash/transactions/<uuid:public_id>", views.CashTransactionDetailView.as_view(),
         name="cash-transaction-detail"),
    path("api/cash/withdrawal-codes", views.WithdrawalCodesView.as_view(), name="cash-withdrawal-codes"),
    path("api/cash/withdrawal-codes/<uuid:public_id>/cancel", views.WithdrawalCodeCancelView.as_view(),
         name="cash-withdrawal-code-cancel"),
    path("api/cash/withdrawal-codes/<uuid:public_id>/resend", views.WithdrawalCodeResendView.as_view(),
         name="cash-withdrawal-code-resend"),
]
