"""Draw an EMVCo payload as a QR code (inline SVG, no image files) for the merchant's dashboard and print-out."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(payload: str, *, scale: int = 5, title: str = "QR code") -> SafeString:
    """Error correction M (what EMVCo recommends at least) in byte mode; segno escapes the title itself."""
    code = segno.make_qr(payload, error="m", boost_error=False)
    return mark_safe(code.svg_inline(scale=scale, title=title, border=4, dark="#000000", light="#ffffff",  # noqa: S308
                                     svgclass="qr-code", lineclass=None))
