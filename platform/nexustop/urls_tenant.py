"""URLs of every tenant domain (country operations and reseller brands).

Each app's ``urls.py`` holds full paths (the API contract fixes paths such as
``/api/wallet`` and ``/api/purchase``), so apps are included at the root.
"""

from django.urls import include, path

from shared_apps.core.metrics import metrics_view
from tenant_apps.portal import views as portal_views

urlpatterns = [
    # The purchase routes first: the hottest path resolves at its first include (issue 18; no other app's
    # pattern matches an orders path, tests/foundation/test_url_order.py checks every route resolves as before).
    path("", include("tenant_apps.orders.urls")),
    path("", include("shared_apps.core.urls")),
    path("", include("countries.urls")),
    # Normally answered earlier by MetricsEndpointMiddleware (any Host); same view, same access rules.
    path("metrics", metrics_view, name="metrics"),
    path("", include("shared_apps.catalog.urls")),
    path("", include("tenant_apps.accounts.urls")),
    path("", include("tenant_apps.kyc.urls")),
    path("", include("tenant_apps.wallet.urls")),
    path("", include("tenant_apps.subscriptions.urls")),
    path("", include("tenant_apps.pricing.urls")),
    path("", include("tenant_apps.agents.urls")),
    path("", include("tenant_apps.cash.urls")),
    path("", include("tenant_apps.pins.urls")),  # /api/pin..., /security/pin pages
    path("", include("tenant_apps.ussd.urls")),  # /ussd/africastalking/<token>, /api/ussd/..., /back-office/ussd
    path("", include("tenant_apps.merchants.urls")),
    path("", include("tenant_apps.savings.urls")),
    path("", include("tenant_apps.remittances.urls")),
    path("", include("tenant_apps.bulk.urls")),
    path("", include("tenant_apps.receipts.urls")),
    path("", include("tenant_apps.tax.urls")),  # /api/tax/report(.csv|.pdf), /back-office/tax
    path("", include("tenant_apps.risk.urls")),  # /api/risk/..., /api/auth/devices, back-office risk pages
    path("", include("tenant_apps.provider_archive.urls")),  # back-office archive of orders and payouts
    path("", include("tenant_apps.privacy.urls")),  # /api/privacy/..., /my-data, back-office privacy actions
    # the page footer's language switch: Django's set_language, and a logged-in user's preference with it
    path("i18n/setlang/", portal_views.set_language, name="set_language"),
    # Pages last: /, /signup, /wallet, /back-office/... (never under /api/ or /webhook/).
    path("", include("tenant_apps.portal.urls")),
]

handler404 = "shared_apps.core.errors.not_found_view"
handler500 = "shared_apps.core.errors.server_error_view"
