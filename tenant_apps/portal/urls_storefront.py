"""Page URLs of the storefront, the installable app, bulk top-ups and receipts (added to ``portal.urls``)."""

from django.urls import path

from . import bulk, pwa, receipts

urlpatterns = [
    # the installable app (PWA): served from the root so the service worker's scope is the whole site
    path("manifest.webmanifest", pwa.manifest, name="pwa-manifest"),
    path("sw.js", pwa.service_worker, name="pwa-service-worker"),
    path("offline", pwa.offline, name="pwa-offline"),
    path("pwa/icon-<int:size>.png", pwa.icon, name="pwa-icon"),
    path("pwa/maskable-<int:size>.png", pwa.maskable_icon, name="pwa-maskable-icon"),
    path("pwa/brand.css", pwa.brand_css, name="pwa-brand-css"),
    # bulk top-ups (agents; a reseller's admins)
    path("agent/bulk", bulk.bulk_upload_page, name="bulk"),
    path("agent/bulk/sample.csv", bulk.bulk_sample, name="bulk-sample"),
    path("agent/bulk/<uuid:public_id>", bulk.bulk_batch_page, name="bulk-batch"),
    path("agent/bulk/<uuid:public_id>/progress", bulk.bulk_progress, name="bulk-progress"),
    path("agent/bulk/<uuid:public_id>/results.csv", bulk.bulk_results, name="bulk-results"),
    # receipts: one's own as PDF, sharing, and the shared page (no login)
    path("receipts/<str:kind>/<uuid:public_id>.pdf", receipts.receipt_pdf, name="receipt-pdf"),
    path("receipts/<str:kind>/<uuid:public_id>/share", receipts.receipt_share, name="receipt-share"),
    path("r/<str:token>", receipts.shared_receipt, name="shared-receipt"),
    path("r/<str:token>/pdf", receipts.shared_receipt_pdf, name="shared-receipt-pdf"),
]
