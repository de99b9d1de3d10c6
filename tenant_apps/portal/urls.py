"""Page URLs of every tenant domain (they never start with /api/ or /webhook/)."""

from django.urls import path

from . import backoffice, money, shop, storefront, views

app_name = "portal"

urlpatterns = [
    path("", storefront.home, name="home"),
    path("signup", views.signup, name="signup"),
    path("verify", views.verify, name="verify"),
    path("verify/resend", views.resend_code, name="verify-resend"),
    path("login", views.login_page, name="login"),
    path("logout", views.logout_page, name="logout"),
    path("wallet", views.wallet, name="wallet"),
    path("profile", views.profile, name="profile"),
    path("profile/email", views.profile_email, name="profile-email"),
    path("kyc", views.kyc, name="kyc"),
    path("back-office/", backoffice.dashboard, name="backoffice-dashboard"),
    path("back-office/users", backoffice.users, name="backoffice-users"),
    path("back-office/kyc", backoffice.kyc_queue, name="backoffice-kyc"),
    path("back-office/kyc/<uuid:public_id>/decide", backoffice.kyc_decide_page, name="backoffice-kyc-decide"),
    # Customer money pages (shop.py, money.py)
    path("buy", shop.buy_hub, name="buy"),
    path("buy/<str:kind>", shop.buy, name="buy-kind"),
    path("buy/<str:kind>/products", shop.buy_products, name="buy-products"),
    path("pay/<str:kind>", shop.pay_bill, name="pay-bill"),
    path("orders", shop.history, name="history"),
    path("orders/<uuid:public_id>", shop.receipt, name="receipt"),
    path("orders/<uuid:public_id>/status", shop.receipt_status, name="receipt-status"),
    path("wallet/fund", money.fund, name="fund"),
    path("wallet/fund/<uuid:public_id>", money.funding, name="funding"),
    # The gateways' return URL: ".../return/" + the intent's id (wallet.funding.funding_start appends it).
    path("wallet/fund/return/", money.fund, name="funding-return-base"),
    path("wallet/fund/return/<uuid:public_id>", money.funding_return, name="funding-return"),
    path("wallet/cash-out", money.cash_out, name="cash-out"),
    path("transfers", money.transfers, name="transfers"),
    path("subscriptions", money.subscriptions, name="subscriptions"),
    path("subscriptions/<uuid:public_id>/<str:action>", money.subscription_action, name="subscription-action"),
]

# Agent portal and the operator back office's orders, pricing, applications, reconciliation (same namespace).
from .urls_ops import urlpatterns as ops_urlpatterns  # noqa: E402

urlpatterns += ops_urlpatterns

# Merchant payments and savings pages (their own apps; same namespace, so the navigation can name them).
from tenant_apps.merchants.urls_pages import urlpatterns as merchant_pages  # noqa: E402
from tenant_apps.savings.urls_pages import urlpatterns as savings_pages  # noqa: E402

urlpatterns += merchant_pages + savings_pages
from tenant_apps.remittances.urls_pages import urlpatterns as remittance_pages  # noqa: E402

urlpatterns += remittance_pages
# Storefront (the home page above), the installable app, bulk top-ups, receipts (same namespace).
from .urls_storefront import urlpatterns as storefront_urlpatterns  # noqa: E402

urlpatterns += storefront_urlpatterns
