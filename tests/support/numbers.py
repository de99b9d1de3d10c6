"""Valid mobile numbers on a given network of any West African country (for tests)."""

from __future__ import annotations

from functools import cache

from provider_plugins.interfaces.numbering import COUNTRIES, detect_network


@cache
def sample_mobile(country: str, network: str, variant: int = 0) -> str:
    """A number libphonenumber calls mobile (as the country adapters check) and detected on ``network``.

    ``variant`` (0-9) changes the last digit, so tests can buy for distinct numbers of the same network.
    """
    import phonenumbers

    numbering = COUNTRIES[country]
    for prefix in sorted(numbering.networks[network], key=len, reverse=True):
        for filler in ("2345678901", "1234567890", prefix[-1] * 10, "5555555555", "0000000000"):
            for length in range(7, 11):
                national = (prefix + filler)[:length]
                if len(national) <= len(prefix):
                    continue
                national = national[:-1] + str(variant % 10)
                number = "+" + numbering.calling_code + national
                parsed = phonenumbers.parse(number)
                if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
                        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE) \
                        and detect_network(number, country) == network:
                    return number
    raise AssertionError(f"no valid mobile number on {country}/{network}")
