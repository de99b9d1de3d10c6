"""Errors raised by country adapters.

Each is a DRF ``APIException`` so a view that lets one escape still answers in
the platform's one error shape (the DRF exception handler renders it) with a
stable ``.code`` and a translated human ``.message``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class CountryError(APIException):
    """Base class: ``code`` is stable and machine-readable, ``message`` is for people."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "country_error"
    default_detail = _("The country data is invalid.")

    def __init__(self, message: Any = None, *, code: str | None = None) -> None:
        self.code: str = code or self.default_code
        self.message: Any = message if message is not None else self.default_detail
        super().__init__(detail=self.message, code=self.code)

    def __str__(self) -> str:
        return str(self.message)


class UnknownCountry(CountryError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "unknown_country"
    default_detail = _("This country is not supported.")

    def __init__(self, country: str = "", message: Any = None, *, code: str | None = None) -> None:
        self.country = country
        if message is None and country:
            message = _("Unknown country %(code)s: expected one of the 16 West African ISO codes.") % {
                "code": country}
        super().__init__(message, code=code)


class InvalidPhoneNumber(CountryError):
    """``code`` is ``invalid_phone`` (not a valid mobile number) or ``wrong_country``."""

    default_code = "invalid_phone"
    default_detail = _("This is not a valid mobile phone number.")


class InvalidKycNumber(CountryError):
    default_code = "invalid_kyc_number"
    default_detail = _("This identity number is not valid.")


class InvalidAmount(CountryError):
    default_code = "invalid_amount"
    default_detail = _("This amount is not valid.")
