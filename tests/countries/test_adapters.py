"""Each of the 16 adapters: currency, phones, networks, KYC validators, formatting."""

import itertools

import phonenumbers
import pytest
from moneyed import Money

from countries.codes import WEST_AFRICA
from countries.errors import InvalidKycNumber, InvalidPhoneNumber, UnknownCountry
from countries.kyc import KycTier
from countries.registry import default_adapter
from tests.countries.cases import CASES

by_code = pytest.mark.parametrize("case", CASES, ids=[c.code for c in CASES])


def test_every_west_african_country_has_a_case_and_an_adapter():
    assert {c.code for c in CASES} == set(WEST_AFRICA)
    for code in WEST_AFRICA:
        assert default_adapter(code).code == code


@by_code
def test_currency_and_minor_unit(case):
    adapter = default_adapter(case.code)
    assert (adapter.currency, adapter.minor_unit) == (case.currency, case.minor_unit)
    money = adapter.money(case.sample_minor)
    assert isinstance(money, Money) and money.currency.code == case.currency
    assert adapter.to_minor(str(money.amount)) == case.sample_minor


@by_code
def test_languages(case):
    adapter = default_adapter(case.code)
    assert adapter.default_language == case.default_language
    assert adapter.default_language in adapter.languages
    assert set(adapter.languages) <= {"en", "fr", "pt", "ar"}


@by_code
def test_valid_phone_normalises_to_e164(case):
    adapter = default_adapter(case.code)
    assert adapter.normalize_phone(case.local_phone) == case.e164
    assert adapter.normalize_phone(case.e164) == case.e164
    assert adapter.normalize_phone("00" + case.e164[1:]) == case.e164
    assert phonenumbers.is_valid_number(phonenumbers.parse(case.e164))


@by_code
def test_invalid_phone_is_refused(case):
    adapter = default_adapter(case.code)
    for raw in (case.invalid_phone, "", "not a number"):
        with pytest.raises(InvalidPhoneNumber) as caught:
            adapter.normalize_phone(raw)
        assert caught.value.code == "invalid_phone"
        assert str(caught.value.message)


@by_code
def test_number_of_another_country_is_refused(case):
    with pytest.raises(InvalidPhoneNumber) as caught:
        default_adapter(case.code).normalize_phone(case.foreign_phone)
    assert caught.value.code == "wrong_country"


@by_code
def test_network_detection_on_real_prefixes(case):
    adapter = default_adapter(case.code)
    for number, operator in case.networks.items():
        assert adapter.detect_network(number) == operator, number
    assert set(case.networks.values()) <= set(adapter.networks)


@by_code
def test_kyc_validators_accept_good_values(case):
    adapter = default_adapter(case.code)
    assert {s.code for s in adapter.kyc_schemes} == set(case.kyc_good)
    for scheme_code, values in case.kyc_good.items():
        scheme = adapter.kyc_scheme(scheme_code)
        for value in values:
            normalised = scheme.validate(value)
            assert scheme.validate(normalised) == normalised  # canonical form is stable


@by_code
def test_kyc_validators_reject_bad_values(case):
    adapter = default_adapter(case.code)
    assert set(case.kyc_bad) == set(case.kyc_good)
    for scheme_code, values in case.kyc_bad.items():
        for value in values:
            with pytest.raises(InvalidKycNumber) as caught:
                adapter.kyc_scheme(scheme_code).validate(value)
            assert caught.value.code in {"invalid_kyc_number", "kyc_checksum_mismatch"}


@by_code
def test_kyc_tiers_are_ordered_integer_limits(case):
    tiers = default_adapter(case.code).kyc_tiers
    assert [t.level for t in tiers] == list(range(len(tiers)))
    assert tiers[0].requires == ("phone",)
    for lower, higher in itertools.pairwise(tiers):
        assert isinstance(higher, KycTier)
        assert type(higher.single_limit_minor) is int and type(higher.daily_limit_minor) is int
        assert higher.single_limit_minor > lower.single_limit_minor
        assert higher.daily_limit_minor > lower.daily_limit_minor
        assert set(lower.requires) < set(higher.requires)
    for item in tiers:
        assert item.single_limit_minor <= item.daily_limit_minor
        assert set(item.requires) - {"phone", "selfie", "address"} <= {
            s.code for s in default_adapter(case.code).kyc_schemes}


@by_code
def test_gateways_and_vat(case):
    adapter = default_adapter(case.code)
    assert set(case.gateways_include) <= set(adapter.gateways)
    assert type(adapter.vat_rate_bps) is int and 0 < adapter.vat_rate_bps < 10_000


@by_code
def test_formatting_a_sample_amount(case):
    adapter = default_adapter(case.code)
    assert adapter.format_amount(case.sample_minor) == case.sample_text
    assert adapter.parse_amount(case.sample_text) == case.sample_minor


def test_formatting_examples_from_the_spec():
    assert default_adapter("NG").format_amount(150_000) == "₦1,500.00"
    assert default_adapter("SN").format_amount(1_500) == "1 500 CFA"
    assert default_adapter("GH").format_amount(150_000) == "GH₵1,500.00"
    assert default_adapter("NG").format_amount(-123_456_789, locale="fr") == "-1 234 567,89 ₦"
    assert default_adapter("SN").format_amount(1_000_000, locale="en") == "CFA 1,000,000"
    assert default_adapter("NG").format_amount(5) == "₦0.05"


def test_vat_in_integers():
    assert default_adapter("NG").vat_rate_bps == 750
    assert default_adapter("NG").vat_minor(100_000) == 7_500
    assert default_adapter("SN").vat_minor(1_001) == 180  # 180.18 rounds half up to whole francs


def test_unknown_country():
    for bad in ("XX", "", "FR", "ngn"):
        with pytest.raises(UnknownCountry) as caught:
            default_adapter(bad)
        assert caught.value.code == "unknown_country"
    assert default_adapter(" ng ").code == "NG"


def test_network_detection_refuses_another_countrys_number():
    with pytest.raises(InvalidPhoneNumber) as caught:
        default_adapter("NG").detect_network("+233241234567")
    assert caught.value.code == "wrong_country"


def test_landlines_are_not_mobile_numbers():
    adapter = default_adapter("NG")
    with pytest.raises(InvalidPhoneNumber):
        adapter.normalize_phone("0201 280 1234")  # Lagos fixed line (020x since the 2023 plan)
    assert adapter.normalize_phone("0201 280 1234", mobile_only=False) == "+2342012801234"


def test_prefix_tables_match_the_pinned_libphonenumber_data():
    import json

    from countries.data.networks_from_libphonenumber import build
    from countries.phone import DATA_DIR

    for code in WEST_AFRICA:
        assert json.loads((DATA_DIR / f"{code}.json").read_text(encoding="utf-8")) == build(code), code
