"""URLs of the head-office (public schema) domain."""

from django.contrib import admin
from django.urls import include, path

from shared_apps.core.metrics import metrics_view

urlpatterns = [
    path("", include("shared_apps.core.urls")),
    path("", include("tenant_apps.accounts.urls_head_office")),
    path("", include("countries.urls")),
    # Normally answered earlier by MetricsEndpointMiddleware (any Host); same view, same access rules.
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language for the page footer
    path("", include("tenant_apps.headoffice.urls")),  # the console: /, /console/...
]

handler404 = "shared_apps.core.errors.not_found_view"
handler500 = "shared_apps.core.errors.server_error_view"
