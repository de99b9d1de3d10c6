"""API errors of the purchase path (stable codes)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import status

from shared_apps.core.errors import ApiError


class ProductNotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "product_not_found"
    message = gettext_lazy("This product does not exist or is not on sale.")


class InvalidRecipient(ApiError):
    code = "invalid_recipient"
    message = gettext_lazy("The recipient's number is not valid here.")


class RecipientNetworkMismatch(ApiError):
    code = "recipient_network_mismatch"
    message = gettext_lazy("This number is on another network than the product's; choose that network's product.")


class CustomerNumberRequired(ApiError):
    code = "customer_number_required"
    message = gettext_lazy("This product needs the meter or smartcard number.")


class InvalidCustomer(ApiError):
    code = "invalid_customer"
    message = gettext_lazy("The provider does not know this meter or smartcard number.")


class VerificationNotOffered(ApiError):
    """The biller has no customer lookup at all (Reloadly's Utility Payments API): asking again never helps, so
    this is not ``verification_unavailable``; the purchase goes ahead with the number as typed."""

    code = "verification_not_offered"
    message = gettext_lazy("This biller does not say who a meter or smartcard belongs to: check the number, then pay.")


class VerificationUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "verification_unavailable"
    message = gettext_lazy("The biller cannot be reached right now; try again in a moment.")


class DuplicatePurchase(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "duplicate_purchase"
    message = gettext_lazy(
        "You bought this product for this recipient a moment ago. Send confirm_duplicate: true to buy again.")


class NoProviderAvailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "no_provider_available"
    message = gettext_lazy("No provider can deliver this product right now.")


class IllegalTransition(Exception):
    """A bug: the state machine does not allow this move."""
