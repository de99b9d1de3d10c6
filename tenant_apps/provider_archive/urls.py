"""Back-office pages of the provider archive (namespace ``provider_archive``)."""

from django.urls import include, path

from . import pages

page_patterns = [
    path("back-office/orders/<uuid:public_id>/provider-archive.json", pages.order_archive_json, name="order-json"),
    path("back-office/payouts/<uuid:public_id>", pages.payout_detail, name="payout"),
    path("back-office/payouts/<uuid:public_id>/provider-archive.json", pages.payout_archive_json, name="payout-json"),
]

urlpatterns = [path("", include((page_patterns, "provider_archive")))]
