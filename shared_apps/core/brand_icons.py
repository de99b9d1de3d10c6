"""A tenant's icon as PNG at any size (PWA icons, receipts), drawn from its branding.

With a logo (``Tenant.logo_url``, https): the logo, fetched once through ``outbound.fetch_public`` (checked
against SSRF, no redirect, at most ``BRAND_LOGO_MAX_BYTES``, an image type only), decoded by Pillow with a
pixel bound, fitted on the brand colour. Without one, or when the logo cannot be used: the brand's
initial on its primary colour in the text colour ``branding`` picked for contrast. ``maskable`` keeps the
drawing inside the 80 % safe zone launchers may crop to. Results are cached per tenant (cache keys carry
the schema) under a key made of everything that shapes them, so a branding change shows at once.
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

from .branding import Brand

logger = logging.getLogger(__name__)

FONTS = Path(__file__).resolve().parent / "fonts"
BOLD_FONT = FONTS / "DejaVuSans-Bold.ttf"
REGULAR_FONT = FONTS / "DejaVuSans.ttf"
MAX_LOGO_PIXELS = 4096 * 4096
LOGO_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
ICON_SIZES = (48, 72, 96, 144, 180, 192, 256, 384, 512)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _logo_bytes(url: str) -> bytes:
    """The logo's bytes (cached, also when it could not be fetched: b"" for a while, never a retry storm)."""
    if not url:
        return b""
    key = "brand-logo:" + hashlib.sha256(url.encode()).hexdigest()[:32]
    cached = cache.get(key)
    if cached is not None:
        return cached
    from .outbound import fetch_public

    fetched = fetch_public(url, max_bytes=settings.BRAND_LOGO_MAX_BYTES, accept=LOGO_TYPES,
                           timeout=settings.BRAND_LOGO_TIMEOUT_SECONDS)
    body = fetched.body if fetched.ok else b""
    if not fetched.ok:
        logger.warning("brand logo not usable", extra={"error": fetched.error, "status": fetched.status})
    cache.set(key, body, settings.BRAND_LOGO_CACHE_SECONDS if body else 600)
    return body


def _logo_image(data: bytes):
    from PIL import Image

    if not data:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ("PNG", "JPEG", "WEBP", "GIF") or image.width * image.height > MAX_LOGO_PIXELS:
            return None
        image.load()
        return image.convert("RGBA")
    except Exception:  # any undecodable image: the initial instead
        logger.warning("brand logo could not be decoded")
        return None


def _draw(brand: Brand, size: int, maskable: bool, logo) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    scale = 4 if size <= 256 else 2  # drawn larger, then reduced: smooth edges without antialiasing support
    big = size * scale
    background = _rgb(brand.primary)
    canvas = Image.new("RGBA", (big, big), (*background, 255) if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    if not maskable:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(big * 0.18), fill=(*background, 255))
    inner = int(big * (0.62 if maskable else 0.74))
    if logo is not None:
        plate = int(inner * 1.02)
        offset = (big - plate) // 2
        draw.rounded_rectangle((offset, offset, offset + plate, offset + plate), radius=int(plate * 0.16),
                               fill=(255, 255, 255, 255))
        fitted = logo.copy()
        fitted.thumbnail((int(plate * 0.86), int(plate * 0.86)), Image.Resampling.LANCZOS)
        canvas.alpha_composite(fitted, ((big - fitted.width) // 2, (big - fitted.height) // 2))
    else:
        font = ImageFont.truetype(str(BOLD_FONT), int(inner * 0.78))
        text = brand.initial
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        draw.text(((big - (right - left)) / 2 - left, (big - (bottom - top)) / 2 - top), text, font=font,
                  fill=(*_rgb(brand.on_primary), 255))
    icon = canvas.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    icon.save(out, format="PNG", optimize=True)
    return out.getvalue()


def brand_icon_png(brand: Brand, *, size: int, maskable: bool = False) -> bytes:
    """The tenant's icon, ``size`` pixels square, as PNG bytes (cached per tenant and branding)."""
    if size not in ICON_SIZES:
        raise ValueError(f"icon size {size} is not one of {ICON_SIZES}")
    fingerprint = hashlib.sha256(
        f"{brand.name}|{brand.primary}|{brand.on_primary}|{brand.logo_url}|{size}|{maskable}|2".encode()).hexdigest()
    key = f"brand-icon:{fingerprint[:32]}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    png = _draw(brand, size, maskable, _logo_image(_logo_bytes(brand.logo_url)))
    cache.set(key, png, settings.BRAND_LOGO_CACHE_SECONDS)
    return png
