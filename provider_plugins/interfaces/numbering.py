"""West Africa's mobile numbering, as the provider simulators need it (no project imports).

Real aggregators detect a number's operator from the regulators' numbering plans;
our simulators do the same from this table. It is a copy of the prefixes in
``countries/data/networks/<CC>.json`` (the platform's source of truth) restricted to
the operators the aggregators sell; ``tests/providers/test_west_africa_catalogues.py``
fails when the two drift apart. Prefixes are of the national significant number
(after the calling code); the longest matching prefix wins.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COUNTRIES", "CountryNumbering", "detect_network", "national_number"]


@dataclass(frozen=True)
class CountryNumbering:
    code: str  # ISO 3166-1 alpha-2
    alpha3: str  # ISO 3166-1 alpha-3 (DT One names countries by it)
    name: str
    calling_code: str
    currency: str
    networks: dict[str, tuple[str, ...]]  # network key -> prefixes


def _c(code, alpha3, name, calling, currency, **networks) -> CountryNumbering:
    return CountryNumbering(code, alpha3, name, calling, currency, {k: tuple(v) for k, v in networks.items()})


COUNTRIES: dict[str, CountryNumbering] = {c.code: c for c in (
    _c("BJ", "BEN", "Benin", "229", "XOF",
       mtn=["0142", "0146", "015", "0161", "0162", "0166", "0167", "0169", "0190", "0191", "0196", "0197"],
       moov=["0145", "0155", "0158", "0160", "0163", "0164", "0165", "0168", "0194", "0195", "0198", "0199"],
       celtiis=["0128", "014", "0192", "0193"]),
    _c("BF", "BFA", "Burkina Faso", "226", "XOF",
       orange=["04", "05", "06", "07", "4", "54", "55", "56", "57", "64", "65", "66", "67", "74", "75", "76", "77"],
       moov=["01", "02", "03", "50", "51", "52", "53", "60", "61", "62", "63", "70", "71", "72", "73"],
       telecel=["58", "68", "69", "78", "79"]),
    _c("CV", "CPV", "Cabo Verde", "238", "CVE",
       cvmovel=["36", "57", "58", "59", "95", "97", "98", "99"], unitel=["51", "52", "53", "91", "92", "93"]),
    _c("CI", "CIV", "Côte d'Ivoire", "225", "XOF", orange=["07"], mtn=["05"], moov=["01"]),
    _c("GM", "GMB", "Gambia", "220", "GMD",
       africell=["2", "40", "41", "45", "7", "872", "8740", "8741", "8745", "877"],
       qcell=["3", "50", "51", "52", "53", "54", "556", "58", "59", "833", "835"],
       comium=["6", "84", "85", "86", "87"], gamcel=["899", "9"]),
    _c("GH", "GHA", "Ghana", "233", "GHS",
       mtn=["24", "25", "53", "54", "55", "59"], telecel=["20", "50"], at=["23", "26", "27", "56", "57"]),
    _c("GN", "GIN", "Guinea", "224", "GNF", orange=["61", "62"], mtn=["66"], cellcom=["65"]),
    _c("GW", "GNB", "Guinea-Bissau", "245", "XOF", orange=["95"], mtn=["96"]),
    _c("LR", "LBR", "Liberia", "231", "LRD", lonestar=["555", "6", "8"], orange=["7"]),
    _c("ML", "MLI", "Mali", "223", "XOF",
       orange=["200", "7", "82", "83", "84", "85", "90", "91", "92", "93", "94"],
       moov=["2079", "217", "6", "89", "95", "96", "97", "98", "99"], telecel=["5"]),
    _c("MR", "MRT", "Mauritania", "222", "MRU",
       mauritel=["40", "41", "42", "43", "44", "46", "47", "48", "49"],
       chinguitel=["20", "21", "22", "23", "24", "26", "27", "28", "29"],
       mattel=["30", "31", "32", "33", "34", "36", "37", "38", "39"]),
    _c("NE", "NER", "Niger", "227", "XOF",
       airtel=["77", "86", "87", "88", "89", "96", "97", "98", "99"], moov=["74", "84", "85", "94", "95"],
       zamani=["23", "70", "80", "81", "82", "90", "91", "92"]),
    _c("NG", "NGA", "Nigeria", "234", "NGN",
       mtn=["7025", "7026", "703", "704", "706", "707", "803", "806", "810", "813", "814", "816", "903", "906",
            "910", "913", "916"],
       airtel=["701", "708", "802", "808", "812", "901", "902", "904", "907", "911", "912"],
       glo=["705", "805", "807", "811", "815", "905", "915"], **{"9mobile": ["809", "817", "818", "908", "909"]}),
    _c("SN", "SEN", "Senegal", "221", "XOF", orange=["71", "77", "78"], free=["76"], expresso=["70"]),
    _c("SL", "SLE", "Sierra Leone", "232", "SLE",
       africell=["30", "33", "70", "77", "8", "9"], orange=["7"], qcell=["31", "32", "34", "35"]),
    _c("TG", "TGO", "Togo", "228", "XOF",
       togocel=["70", "71", "72", "73", "90", "91", "92", "93"], moov=["78", "79", "96", "97", "98", "99"]),
)}

ALPHA3_TO_ALPHA2 = {c.alpha3: c.code for c in COUNTRIES.values()}


def national_number(phone: str, country: str) -> str:
    """``+22507…``/``22507…``/``07…`` -> the national significant number (``07…`` in CI, ``0803…`` -> ``803…``)."""
    numbering = COUNTRIES[country]
    digits = "".join(ch for ch in str(phone) if ch.isdigit())
    if digits.startswith("00" + numbering.calling_code):
        digits = digits[2:]
    if digits.startswith(numbering.calling_code) and len(digits) > len(numbering.calling_code) + 6:
        return digits[len(numbering.calling_code):]
    # Trunk prefix "0" (NG, GH, SL, ...); CI and BJ keep their leading 0 in the national number.
    if digits.startswith("0") and not any(p.startswith("0") for ps in numbering.networks.values() for p in ps):
        return digits[1:]
    return digits


def detect_network(phone: str, country: str) -> str:
    """The network key whose longest prefix matches the number, or ``""``."""
    if country not in COUNTRIES:
        return ""
    national = national_number(phone, country)
    best, best_len = "", 0
    for network, prefixes in COUNTRIES[country].networks.items():
        for prefix in prefixes:
            if national.startswith(prefix) and len(prefix) > best_len:
                best, best_len = network, len(prefix)
    return best


# Brand words as aggregators spell them -> network keys (first match wins; country overrides first).
_BRAND_OVERRIDES = {("GW", "telecel"): "mtn", ("SN", "yas"): "free", ("SN", "free"): "free",
                    ("TG", "yas"): "togocel", ("TG", "togocom"): "togocel", ("TG", "togocel"): "togocel",
                    ("LR", "mtn"): "lonestar", ("LR", "lonestar"): "lonestar", ("GH", "airteltigo"): "at",
                    ("GH", "vodafone"): "telecel", ("NG", "etisalat"): "9mobile", ("ML", "malitel"): "moov",
                    ("ML", "sotelma"): "moov", ("NE", "orange"): "zamani"}
_BRAND_WORDS = ("lonestar", "yas", "togocom", "togocel", "airteltigo", "vodafone", "etisalat", "malitel", "sotelma",
                "mtn", "orange", "moov", "telecel", "celtiis", "cvmovel", "unitel", "africell", "qcell", "gamcel",
                "comium", "cellcom", "mauritel", "chinguitel", "mattel", "zamani", "airtel", "glo", "9mobile",
                "free", "expresso", "at")


def network_for_brand(country: str, brand: str) -> str:
    """``("TG", "Yas Togo (Togocom)")`` -> ``"togocel"``: an aggregator's operator name -> our network key."""
    words = "".join(ch if ch.isalnum() else " " for ch in brand.lower().replace("cv móvel", "cvmovel")
                    .replace("cv movel", "cvmovel")).split()
    for word in _BRAND_WORDS:
        if word in words:
            key = _BRAND_OVERRIDES.get((country, word), word)
            if country not in COUNTRIES or key in COUNTRIES[country].networks:
                return key
    return ""
