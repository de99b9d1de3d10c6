"""URLs of every tenant domain (country operations and reseller brands)."""

from django.urls import include, path

urlpatterns = [
    path("", include("shared_apps.core.urls")),
]

handler404 = "shared_apps.core.errors.not_found_view"
handler500 = "shared_apps.core.errors.server_error_view"
