"""MTN direct (MTN Nigeria VTU gateway) wire protocol, as NexusTop integrates it.

* Auth: ``X-Api-Key: <api_key>`` on every call.
* ``GET  /v1/products`` -> ``{"products": [...]}`` (airtime range and data bundles).
* ``POST /v1/transactions`` ``{tx_id, msisdn, product_code, amount, currency}``:
  ``tx_id`` is *our* id, unique at MTN. 201 with the transaction
  (``status`` SUCCESSFUL / PENDING / FAILED), 409 ``DUPLICATE_TX_ID`` with the
  existing transaction, 422 ``INVALID_MSISDN`` / ``INVALID_AMOUNT`` /
  ``UNKNOWN_PRODUCT``, 402 ``INSUFFICIENT_FLOAT``.
* ``GET  /v1/transactions/{tx_id}`` -> the transaction, or 404 ``NOT_FOUND``.
* Webhook to our ``/webhook/mtn``: ``{tx_id, status, recipient}`` signed with
  ``X-MTN-Signature: sha256=<hex HMAC-SHA256(webhook_secret, raw body)>``.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-MTN-Signature"
CURRENCY = "NGN"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    return bool(secret) and bool(header) and hmac.compare_digest(sign(secret, body), header.strip())
