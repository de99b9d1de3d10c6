"""The public storefront, the installable app (PWA), receipts and bulk top-ups (issue 21).

Storefront: each tenant's home page lists its products at its own prices, cached per tenant under the
catalogue's and the tenant's pricing cache versions (bumped by every change), so a change shows at once;
the time to live only bounds how long an unused entry stays. Icons are drawn from the branding; a logo is
fetched once through the SSRF-safe outbound client (shared_apps.core.outbound.fetch_public).
"""

from __future__ import annotations

from ..env import env_int
from .celery import CELERY_BEAT_SCHEDULE

STOREFRONT_CACHE_SECONDS = env_int("STOREFRONT_CACHE_SECONDS", 600)
STOREFRONT_QUICK_BUY_COUNT = 4  # the customer's recent purchases offered for one-tap re-buy

BRAND_LOGO_MAX_BYTES = 512 * 1024
BRAND_LOGO_TIMEOUT_SECONDS = 3.0
BRAND_LOGO_CACHE_SECONDS = 24 * 3600

# The tax lines of a receipt: a function with tenant_apps.receipts.tax.vat_included's signature (a tax module
# that posts taxes to the ledger replaces it here).
RECEIPT_TAX_LINES = "tenant_apps.receipts.tax.vat_included"

# Bulk top-ups: the file is bounded in bytes and lines; each task places this many orders, then hands over to
# a fresh task; a processing batch whose heartbeat is older than STALE lost its worker (the sweeper re-enqueues).
BULK_TOPUP_MAX_FILE_BYTES = env_int("BULK_TOPUP_MAX_FILE_BYTES", 256 * 1024)
BULK_TOPUP_MAX_ROWS = env_int("BULK_TOPUP_MAX_ROWS", 1000)
BULK_TOPUP_ROWS_PER_TASK = 100
BULK_TOPUP_STALE_SECONDS = env_int("BULK_TOPUP_STALE_SECONDS", 60)
CELERY_BEAT_SCHEDULE["bulk-sweep"] = {"task": "bulk.sweep", "schedule": 60.0}
