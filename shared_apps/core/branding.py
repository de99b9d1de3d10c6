"""What a page needs to look like its tenant: name, logo, colours (with readable text), support.

Computed per request from the tenant row (``request.tenant``); the head office
(public schema) gets the platform's own look. Colours become CSS variables in
``ui/base.html``; the text colour on top of each brand colour is chosen for
contrast (WCAG), so any brand colour stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

PLATFORM_NAME = "NexusTop"
DEFAULT_PRIMARY = "#0B5FFF"
DEFAULT_ACCENT = "#FFB400"
DARK_TEXT = "#111827"
LIGHT_TEXT = "#FFFFFF"


def _luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG 2.x) of ``#RRGGBB``."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background: str) -> str:
    """White or near-black, whichever reads better on ``background``."""
    return LIGHT_TEXT if contrast_ratio(background, LIGHT_TEXT) >= contrast_ratio(background, DARK_TEXT) else DARK_TEXT


def ink(colour: str) -> str:
    """The brand colour for text/links on white when it is readable (4.5:1), else near-black."""
    return colour if contrast_ratio(colour, LIGHT_TEXT) >= 4.5 else DARK_TEXT


def _valid(colour: str, default: str) -> str:
    colour = (colour or "").strip()
    if len(colour) == 7 and colour.startswith("#"):
        try:
            int(colour[1:], 16)
            return colour
        except ValueError:
            pass
    return default


@dataclass(frozen=True)
class Brand:
    name: str
    logo_url: str
    primary: str
    accent: str
    support_email: str
    support_phone: str
    language: str
    is_head_office: bool

    @property
    def on_primary(self) -> str:
        return text_on(self.primary)

    @property
    def on_accent(self) -> str:
        return text_on(self.accent)

    @property
    def primary_ink(self) -> str:
        return ink(self.primary)

    @property
    def initial(self) -> str:
        return (self.name[:1] or "N").upper()

    @property
    def favicon(self) -> str:
        """The logo when there is one, else an SVG of the initial on the brand colour (data URI)."""
        if self.logo_url:
            return self.logo_url
        svg = (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='6' "
               f"fill='{self.primary}'/><text x='16' y='22' font-size='18' font-family='sans-serif' "
               f"text-anchor='middle' fill='{self.on_primary}'>{self.initial}</text></svg>")
        return "data:image/svg+xml," + quote(svg)


def brand_for(tenant) -> Brand:
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
        name = getattr(tenant, "brand_name", "") or f"{PLATFORM_NAME} Head Office"
        return Brand(name=name, logo_url="", primary="#1E293B", accent=DEFAULT_ACCENT, support_email="",
                     support_phone="", language="en", is_head_office=True)
    return Brand(
        name=tenant.brand_name, logo_url=tenant.logo_url or "",
        primary=_valid(tenant.primary_colour, DEFAULT_PRIMARY), accent=_valid(tenant.accent_colour, DEFAULT_ACCENT),
        support_email=tenant.support_email or "", support_phone=tenant.support_phone or "",
        language=tenant.default_language or "en", is_head_office=False)
