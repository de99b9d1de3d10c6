"""Regenerate ``data/networks/*.json`` from libphonenumber's carrier prefixes (shipped in ``phonenumbers``).

    PYTHONPATH=. python -m countries.data.networks_from_libphonenumber

libphonenumber compiles its carrier files from the regulators' numbering plans;
this maps its carrier names to our stable, lowercase operator keys and current
brands. Review the diff against the regulator's plan before committing.
"""

from __future__ import annotations

import json
from pathlib import Path

import phonenumbers
from phonenumbers.carrierdata import CARRIER_DATA

OUT = Path(__file__).resolve().parent / "networks"
SKIP = {"National Security"}

# libphonenumber carrier name -> (operator key, display name), per country.
OPERATORS: dict[str, dict[str, tuple[str, str]]] = {
    "BJ": {"Celtiis": ("celtiis", "Celtiis"), "MTN": ("mtn", "MTN Bénin"), "Moov": ("moov", "Moov Africa Bénin")},
    "BF": {"Moov Africa": ("moov", "Moov Africa Burkina"), "Orange": ("orange", "Orange Burkina Faso"),
           "Telecel Faso": ("telecel", "Telecel Faso")},
    "CV": {"CVMOVEL": ("cvmovel", "CV Móvel"), "T+": ("unitel", "Unitel T+")},
    "CI": {"Moov": ("moov", "Moov Africa Côte d'Ivoire"), "MTN": ("mtn", "MTN Côte d'Ivoire"),
           "Orange": ("orange", "Orange Côte d'Ivoire")},
    "GM": {"Africell": ("africell", "Africell"), "QCell": ("qcell", "QCell"), "Comium": ("comium", "Comium"),
           "Gamcel": ("gamcel", "Gamcel")},
    "GH": {"Telecel": ("telecel", "Telecel Ghana"), "at": ("at", "AT (AirtelTigo)"), "MTN": ("mtn", "MTN Ghana"),
           "Expresso": ("expresso", "Expresso Ghana")},
    "GN": {"Sotelgui": ("sotelgui", "Sotelgui"), "Orange": ("orange", "Orange Guinée"),
           "Intercel": ("intercel", "Intercel"), "Cellcom": ("cellcom", "Cellcom Guinée"),
           "Areeba": ("mtn", "MTN Guinée (Areeba)")},
    "GW": {"Orange": ("orange", "Orange Bissau"), "Spacetel": ("mtn", "Telecel Guiné-Bissau (ex-MTN, Spacetel)"),
           "Guinetel": ("guinetel", "Guinetel")},
    "LR": {"Liberia Telecom": ("libtelco", "LIBTELCO"), "West Africa Telecom": ("watel", "West Africa Telecom"),
           "Connect": ("connect", "Connect"), "Lonestar Cell": ("lonestar", "Lonestar Cell MTN"),
           "Orange": ("orange", "Orange Liberia")},
    "ML": {"Orange": ("orange", "Orange Mali"), "Sotelma": ("moov", "Moov Africa Malitel (Sotelma)"),
           "Atel": ("telecel", "Telecel Mali (ex-Atel)")},
    "MR": {"Chinguitel": ("chinguitel", "Chinguitel"), "Mattel": ("mattel", "Mattel"),
           "Mauritel": ("mauritel", "Mauritel")},
    "NE": {"Orange": ("zamani", "Zamani Com (ex-Orange Niger)"), "Moov": ("moov", "Moov Africa Niger"),
           "Airtel": ("airtel", "Airtel Niger"), "Niger Telecoms": ("niger_telecoms", "Niger Telecoms")},
    "NG": {"Airtel": ("airtel", "Airtel Nigeria"), "Smile": ("smile", "Smile"), "Ntel": ("ntel", "ntel"),
           "Prestel": ("prestel", "Prestel"), "MTN": ("mtn", "MTN Nigeria"),
           "Multilinks": ("multilinks", "Multi-Links"), "Starcomms": ("starcomms", "Starcomms"),
           "Glo": ("glo", "Globacom (Glo)"), "Lebara": ("lebara", "Lebara"),
           "MAFAB": ("mafab", "MAFAB Communications"), "9mobile": ("9mobile", "9mobile")},
    "SN": {"Expresso": ("expresso", "Expresso Sénégal"), "Orange": ("orange", "Orange Sénégal"),
           "HAYO": ("hayo", "Hayo"), "Promobile": ("promobile", "Promobile"),
           "Yas": ("free", "Yas (ex-Free Sénégal)"), "ADIE": ("adie", "ADIE")},
    "SL": {"Sierratel": ("sierratel", "Sierratel"), "Africell": ("africell", "Africell"),
           "QCELL": ("qcell", "QCell"), "Onlime": ("onlime", "Onlime"), "Orange": ("orange", "Orange Sierra Leone")},
    "TG": {"Togo Telecom": ("togocel", "Togocel (Yas Togo)"), "Moov": ("moov", "Moov Africa Togo")},
}


def build(country: str) -> dict:
    calling_code = phonenumbers.country_code_for_region(country)
    prefix = str(calling_code)
    networks: dict[str, dict] = {}
    for key, names in sorted(CARRIER_DATA.items()):
        carrier = names.get("en") or ""
        if not key.startswith(prefix) or carrier in SKIP:
            continue
        operator, display = OPERATORS[country][carrier]  # KeyError = a new carrier: map it first
        networks.setdefault(operator, {"name": display, "prefixes": []})["prefixes"].append(key[len(prefix):])
    for network in networks.values():
        network["prefixes"].sort()
    return {
        "country": country,
        "calling_code": calling_code,
        "note": f"Prefixes of the national significant number (after +{calling_code}), allocation-time operator; "
                "mobile number portability can move a number to another operator.",
        "source": f"libphonenumber carrier data (resources/carrier/en/{calling_code}.txt), itself compiled from the "
                  "regulator's national numbering plan; see docs/countries.md",
        "networks": networks,
    }


def main() -> None:
    for country in OPERATORS:
        (OUT / f"{country}.json").write_text(json.dumps(build(country), ensure_ascii=False, indent=1),
                                             encoding="utf-8")


if __name__ == "__main__":
    main()
