"""The simulator's operator and biller catalogue: the 16 West African countries.

Operators carry the brand names they trade under today (checked against the
operators' own sites and the regulators' lists, see docs/providers.md) and the
network key of ``interfaces.numbering`` they are detected by. Airtime is a
RANGE operator (any local amount within bounds); data bundles are FIXED
operators (``data``/``bundle`` true) with local amounts and descriptions, the
way Reloadly lists e.g. "MTN Benin Data". Commissions are percentages, as the
Airtime API's ``commission`` field. Fx: the account is kept in ``ACCOUNT_CURRENCY``
(a Reloadly account has one currency) and ``FX_RATES`` say how many local units
one account unit buys.

Billers follow the Utility Payments API (``GET /billers``): real utilities and
pay-TV operators of each country, with their type and service type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from provider_plugins.interfaces.numbering import COUNTRIES

ACCOUNT_CURRENCY = "USD"
# Local currency units per USD (mid-market, rounded; the simulator quotes them as Reloadly's ``fx.rate``).
FX_RATES: dict[str, Decimal] = {
    "XOF": Decimal("605.50"), "NGN": Decimal("1540.00"), "GHS": Decimal("15.40"), "GMD": Decimal("71.20"),
    "GNF": Decimal("8620.00"), "LRD": Decimal("191.50"), "SLE": Decimal("22.60"), "CVE": Decimal("101.30"),
    "MRU": Decimal("39.80"),
}

# Airtime bounds per currency (local minor... no: local major units, as the API speaks).
AIRTIME_RANGES: dict[str, tuple[str, str]] = {
    "XOF": ("100", "50000"), "NGN": ("50", "50000"), "GHS": ("1", "500"), "GMD": ("10", "5000"),
    "GNF": ("1000", "500000"), "LRD": ("50", "10000"), "SLE": ("5", "1000"), "CVE": ("50", "5000"),
    "MRU": ("20", "2000"),
}

_DAYS = {"fr": "jours", "en": "days", "pt": "dias"}
_LANG = {"CV": "pt", "GW": "pt", "GH": "en", "GM": "en", "LR": "en", "NG": "en", "SL": "en"}
# Three bundles per currency: (price, size, validity in days).
BUNDLES: dict[str, list[tuple[str, str, int]]] = {
    "XOF": [("500", "1GB", 7), ("1000", "2.5GB", 30), ("5000", "12GB", 30)],
    "NGN": [("500", "1GB", 7), ("1500", "3GB", 30), ("3500", "10GB", 30)],
    "GHS": [("5", "1GB", 7), ("10", "2.5GB", 30), ("20", "6GB", 30)],
    "GMD": [("50", "1GB", 7), ("150", "3GB", 30), ("400", "10GB", 30)],
    "GNF": [("5000", "1GB", 7), ("15000", "3GB", 30), ("50000", "12GB", 30)],
    "LRD": [("100", "1GB", 7), ("300", "3GB", 30), ("900", "10GB", 30)],
    "SLE": [("15", "1GB", 7), ("45", "3GB", 30), ("120", "10GB", 30)],
    "CVE": [("150", "1GB", 7), ("400", "3GB", 30), ("1000", "10GB", 30)],
    "MRU": [("50", "1GB", 7), ("150", "3GB", 30), ("400", "10GB", 30)],
}

# (country, network, brand, operatorId of the airtime operator, operatorId of its data operator or None)
# GH/SN/CI ids are the ones the aggregator has always used here (tests and demo rows refer to them).
OPERATOR_ROWS: list[tuple[str, str, str, int, int | None]] = [
    ("BJ", "mtn", "MTN Benin", 600, 601), ("BJ", "moov", "Moov Africa Benin", 602, 603),
    ("BJ", "celtiis", "Celtiis Benin", 604, None),
    ("BF", "orange", "Orange Burkina Faso", 610, 611), ("BF", "moov", "Moov Africa Burkina", 612, None),
    ("BF", "telecel", "Telecel Faso", 613, None),
    ("CV", "cvmovel", "CVMovel Cabo Verde", 620, 621), ("CV", "unitel", "Unitel T+ Cabo Verde", 622, None),
    ("CI", "orange", "Orange Cote d'Ivoire", 400, 403), ("CI", "mtn", "MTN Cote d'Ivoire", 401, None),
    ("CI", "moov", "Moov Africa Cote d'Ivoire", 402, None),
    ("GM", "africell", "Africell Gambia", 630, 631), ("GM", "qcell", "QCell Gambia", 632, None),
    ("GM", "gamcel", "Gamcel Gambia", 633, None), ("GM", "comium", "Comium Gambia", 634, None),
    ("GH", "mtn", "MTN Ghana", 150, 151), ("GH", "telecel", "Telecel Ghana", 152, None),
    ("GH", "at", "AT Ghana", 153, None),
    ("GN", "orange", "Orange Guinee", 640, 641), ("GN", "mtn", "MTN Guinee", 642, None),
    ("GN", "cellcom", "Cellcom Guinee", 643, None),
    ("GW", "orange", "Orange Bissau", 650, 651), ("GW", "mtn", "Telecel Guine-Bissau", 652, None),
    ("LR", "lonestar", "Lonestar Cell MTN Liberia", 660, 661), ("LR", "orange", "Orange Liberia", 662, None),
    ("ML", "orange", "Orange Mali", 670, 671), ("ML", "moov", "Moov Africa Malitel", 672, None),
    ("ML", "telecel", "Telecel Mali", 673, None),
    ("MR", "mauritel", "Mauritel Mauritania", 680, 681), ("MR", "chinguitel", "Chinguitel Mauritania", 682, None),
    ("MR", "mattel", "Mattel Mauritania", 683, None),
    ("NE", "airtel", "Airtel Niger", 690, 691), ("NE", "moov", "Moov Africa Niger", 692, None),
    ("NE", "zamani", "Zamani Telecom Niger", 693, None),
    ("NG", "mtn", "MTN Nigeria", 341, 345), ("NG", "airtel", "Airtel Nigeria", 342, None),
    ("NG", "glo", "Glo Nigeria", 343, None), ("NG", "9mobile", "9mobile Nigeria", 344, None),
    ("SN", "orange", "Orange Senegal", 300, 302), ("SN", "free", "Yas Senegal", 301, None),
    ("SN", "expresso", "Expresso Senegal", 303, None),
    ("SL", "africell", "Africell Sierra Leone", 700, 701), ("SL", "orange", "Orange Sierra Leone", 702, None),
    ("SL", "qcell", "QCell Sierra Leone", 703, None),
    ("TG", "togocel", "Yas Togo (Togocom)", 710, 711), ("TG", "moov", "Moov Africa Togo", 712, None),
]

# Operators Reloadly sells in fixed airtime denominations only (local amounts), as some small operators are.
FIXED_AIRTIME: dict[tuple[str, str], list[str]] = {("GM", "gamcel"): ["25", "50", "100", "200"],
                                                   ("SN", "expresso"): ["500", "1000", "2000", "5000"]}
# Airtime commission (percent) per network; data bundles earn one point more.
COMMISSION = {"mtn": 3.0, "orange": 3.0, "telecel": 3.5, "moov": 3.0}
DEFAULT_COMMISSION = 3.0


def whole(value: object) -> int | float:
    """A JSON number as the API writes it: ``500`` for whole amounts (XOF has no decimals), else a float."""
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _bundle_descriptions(country: str, currency: str) -> tuple[list[float], dict[str, str]]:
    days = _DAYS[_LANG.get(country, "fr")]
    amounts, descriptions = [], {}
    for price, size, validity in BUNDLES[currency]:
        amounts.append(whole(price))
        descriptions[f"{float(price):.2f}"] = f"{size} {validity} {days}"
    return amounts, descriptions


def build_operators() -> list[dict[str, Any]]:
    """Every operator as the simulator keeps it (API fields plus ``country``/``network``/``prefixes``)."""
    operators: list[dict[str, Any]] = []
    for country, network, brand, airtime_id, data_id in OPERATOR_ROWS:
        numbering = COUNTRIES[country]
        currency = numbering.currency
        low, high = AIRTIME_RANGES[currency]
        commission = COMMISSION.get(network, DEFAULT_COMMISSION)
        airtime: dict[str, Any] = {"operatorId": airtime_id, "name": brand, "country": country, "network": network,
                                   "prefixes": list(numbering.networks[network]), "denominationType": "RANGE",
                                   "localMinAmount": whole(low), "localMaxAmount": whole(high), "data": False,
                                   "bundle": False, "commission": commission}
        fixed = FIXED_AIRTIME.get((country, network))
        if fixed:
            airtime.update(denominationType="FIXED", localMinAmount=None, localMaxAmount=None,
                           localFixedAmounts=[whole(x) for x in fixed], localFixedAmountsDescriptions={})
        operators.append(airtime)
        if data_id is not None:
            amounts, descriptions = _bundle_descriptions(country, currency)
            operators.append({"operatorId": data_id, "name": f"{brand} Data", "country": country,
                              "network": network, "prefixes": [], "denominationType": "FIXED",
                              "localFixedAmounts": amounts, "localFixedAmountsDescriptions": descriptions,
                              "data": True, "bundle": True, "commission": commission + 2.0})
    return operators


# --- billers (Utility Payments API) --------------------------------------------------------
# (id, country, name, type, serviceType, min, max local, issues a prepaid token)
ELECTRICITY = "ELECTRICITY_BILL_PAYMENT"
WATER = "WATER_BILL_PAYMENT"
TV = "TV_BILL_PAYMENT"

BILLER_ROWS: list[tuple[int, str, str, str, str, str, str, bool]] = [
    (2001, "GH", "ECG Prepaid (Electricity Company of Ghana)", ELECTRICITY, "PREPAID", "5", "5000", True),
    (2002, "GH", "ECG Postpaid (Electricity Company of Ghana)", ELECTRICITY, "POSTPAID", "5", "5000", False),
    (2003, "GH", "Ghana Water Limited", WATER, "POSTPAID", "5", "3000", False),
    (2004, "GH", "StarTimes Ghana", TV, "PREPAID", "10", "500", False),
    (2011, "SN", "Senelec Woyofal", ELECTRICITY, "PREPAID", "1000", "200000", True),
    (2012, "SN", "Senelec Postpaid", ELECTRICITY, "POSTPAID", "1000", "500000", False),
    (2013, "SN", "SEN'EAU", WATER, "POSTPAID", "1000", "300000", False),
    (2014, "SN", "Canal+ Senegal", TV, "PREPAID", "5000", "60000", False),
    (2021, "CI", "CIE Prepaid (Compagnie Ivoirienne d'Electricite)", ELECTRICITY, "PREPAID", "1000", "200000", True),
    (2022, "CI", "CIE Postpaid (Compagnie Ivoirienne d'Electricite)", ELECTRICITY, "POSTPAID", "1000", "500000",
     False),
    (2023, "CI", "SODECI", WATER, "POSTPAID", "1000", "300000", False),
    (2024, "CI", "Canal+ Cote d'Ivoire", TV, "PREPAID", "5000", "60000", False),
    (2031, "BJ", "SBEE Prepaid", ELECTRICITY, "PREPAID", "1000", "200000", True),
    (2032, "BJ", "SONEB", WATER, "POSTPAID", "1000", "300000", False),
    (2033, "BJ", "Canal+ Benin", TV, "PREPAID", "5000", "60000", False),
    (2041, "TG", "CEET Cash Power", ELECTRICITY, "PREPAID", "1000", "200000", True),
    (2042, "TG", "Canal+ Togo", TV, "PREPAID", "5000", "60000", False),
    (2051, "BF", "SONABEL Prepaid", ELECTRICITY, "PREPAID", "1000", "200000", True),
    (2052, "BF", "ONEA", WATER, "POSTPAID", "1000", "300000", False),
    (2053, "BF", "Canal+ Burkina Faso", TV, "PREPAID", "5000", "60000", False),
    (2061, "ML", "EDM-SA Isago Prepaid", ELECTRICITY, "PREPAID", "1000", "200000", True),
    (2062, "ML", "Canal+ Mali", TV, "PREPAID", "5000", "60000", False),
    (2071, "NE", "NIGELEC", ELECTRICITY, "POSTPAID", "1000", "300000", False),
    (2072, "NE", "Canal+ Niger", TV, "PREPAID", "5000", "60000", False),
    (2081, "GN", "EDG Prepaid (Electricite de Guinee)", ELECTRICITY, "PREPAID", "10000", "2000000", True),
    (2082, "GN", "Canal+ Guinee", TV, "PREPAID", "50000", "600000", False),
    (2091, "NG", "StarTimes Nigeria", TV, "PREPAID", "900", "20000", False),
    (2092, "NG", "Ikeja Electricity Prepaid", ELECTRICITY, "PREPAID", "1000", "300000", True),
    (2093, "NG", "Abuja Electricity Postpaid", ELECTRICITY, "POSTPAID", "1000", "300000", False),
    (2101, "SL", "EDSA Prepaid (Electricity Distribution and Supply Authority)", ELECTRICITY, "PREPAID", "10",
     "5000", True),
    (2111, "LR", "LEC Prepaid (Liberia Electricity Corporation)", ELECTRICITY, "PREPAID", "100", "20000", True),
    (2121, "GM", "NAWEC Cash Power", ELECTRICITY, "PREPAID", "50", "10000", True),
    (2131, "MR", "SOMELEC", ELECTRICITY, "POSTPAID", "100", "50000", False),
    (2141, "CV", "Electra", ELECTRICITY, "POSTPAID", "100", "50000", False),
    (2151, "GW", "EAGB (Electricidade e Aguas da Guine-Bissau)", ELECTRICITY, "POSTPAID", "1000", "300000", False),
]
BILLER_DISCOUNT_PERCENT = 1.0


def build_billers() -> list[dict[str, Any]]:
    billers = []
    for biller_id, country, name, kind, service, low, high, prepaid_token in BILLER_ROWS:
        currency = COUNTRIES[country].currency
        rate = FX_RATES[currency]
        billers.append({
            "id": biller_id, "name": name, "countryIsoCode": country, "type": kind, "serviceType": service,
            "localAmountSupported": True, "localTransactionCurrencyCode": currency,
            "minLocalTransactionAmount": whole(low), "maxLocalTransactionAmount": whole(high),
            "localTransactionFee": 0, "localTransactionFeeCurrencyCode": currency,
            "localDiscountPercentage": BILLER_DISCOUNT_PERCENT,
            "internationalAmountSupported": True, "internationalTransactionCurrencyCode": ACCOUNT_CURRENCY,
            "minInternationalTransactionAmount": float((Decimal(low) / rate).quantize(Decimal("0.01"))),
            "maxInternationalTransactionAmount": float((Decimal(high) / rate).quantize(Decimal("0.01"))),
            "internationalTransactionFee": 0, "internationalTransactionFeeCurrencyCode": ACCOUNT_CURRENCY,
            "internationalDiscountPercentage": BILLER_DISCOUNT_PERCENT,
            "fx": {"rate": float(rate), "currencyCode": currency},
            "_prepaid_token": prepaid_token,
        })
    return billers
