"""The 16 West African countries NexusTop can serve (ISO 3166-1 alpha-2)."""

from __future__ import annotations

WEST_AFRICA: dict[str, str] = {
    "BJ": "Benin",
    "BF": "Burkina Faso",
    "CV": "Cabo Verde",
    "CI": "Côte d'Ivoire",
    "GM": "Gambia",
    "GH": "Ghana",
    "GN": "Guinea",
    "GW": "Guinea-Bissau",
    "LR": "Liberia",
    "ML": "Mali",
    "MR": "Mauritania",
    "NE": "Niger",
    "NG": "Nigeria",
    "SN": "Senegal",
    "SL": "Sierra Leone",
    "TG": "Togo",
}


def is_west_african(code: str) -> bool:
    return code.upper() in WEST_AFRICA
