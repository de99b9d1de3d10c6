"""The installable app (PWA): a manifest per tenant, icons drawn from its branding, a service worker, an
offline page.

* ``/manifest.webmanifest``: the tenant's name, language, colours and icons (``/pwa/icon-<size>.png``,
  ``/pwa/maskable-<size>.png``, drawn by ``shared_apps.core.brand_icons`` from the logo or the initial).
* ``/sw.js`` (served from the root so its scope is the whole site): it caches the shell only (the CSS, the
  scripts, the icons, ``/pwa/brand.css`` and ``/offline``) and answers a page request the network cannot
  reach with the offline page. Pages themselves, the API and webhooks are never cached: nothing a customer
  sees behind their login stays on the device. Its cache name changes with the shell and the branding, so
  an update replaces the old cache.
* ``/offline``: branded, no personal data, no form (it is stored by the service worker).
* ``/pwa/brand.css``: the brand colours as CSS variables, for pages (the offline page) that have no inline
  style: the Content-Security-Policy holds everywhere (no inline script, no style attribute).
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shared_apps.core.brand_icons import ICON_SIZES, brand_icon_png
from shared_apps.core.branding import brand_for

SW_VERSION = "1"  # bump when sw.js's code changes
MANIFEST_ICON_SIZES = (192, 512)
WORKER_POLICY = ("default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
                 "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def _brand(request):
    return brand_for(getattr(request, "tenant", None))


def _shell(brand) -> list[str]:
    return [static("ui/app.css"), static("ui/pwa.js"), static("django_htmx/htmx-2.min.js"), "/pwa/brand.css",
            "/pwa/icon-192.png", "/offline"]


def shell_version(brand) -> str:
    """Changes with the shell's files, the branding and the worker's code: a new cache, the old one deleted."""
    parts = [SW_VERSION, brand.name, brand.primary, brand.accent, brand.logo_url, *_shell(brand)]
    try:
        from django.contrib.staticfiles import finders

        for name in ("ui/app.css", "ui/pwa.js"):
            path = finders.find(name)
            if path:
                with open(path, "rb") as handle:
                    parts.append(hashlib.sha256(handle.read()).hexdigest())
    except OSError:
        pass
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


@require_GET
def manifest(request):
    brand = _brand(request)
    icons = [{"src": f"/pwa/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
             for size in MANIFEST_ICON_SIZES]
    icons += [{"src": f"/pwa/maskable-{size}.png", "sizes": f"{size}x{size}", "type": "image/png",
               "purpose": "maskable"} for size in MANIFEST_ICON_SIZES]
    body = {
        "id": "/", "name": brand.name, "short_name": brand.name[:12], "lang": brand.language,
        "description": _("Airtime, data and bills, paid from your wallet."),
        "start_url": "/?source=app", "scope": "/", "display": "standalone", "orientation": "portrait",
        "background_color": "#ffffff", "theme_color": brand.primary, "icons": icons,
        "categories": ["finance", "shopping", "utilities"],
        "shortcuts": [{"name": _("Buy airtime"), "url": "/buy/airtime"}, {"name": _("Buy data"), "url": "/buy/data"},
                      {"name": _("Wallet"), "url": "/wallet"}],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "public, max-age=300"
    return response


def _icon(request, size: int, maskable: bool) -> HttpResponse:
    if size not in ICON_SIZES:
        raise Http404
    response = HttpResponse(brand_icon_png(_brand(request), size=size, maskable=maskable), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def icon(request, size: int):
    return _icon(request, size, maskable=False)


@require_GET
def maskable_icon(request, size: int):
    return _icon(request, size, maskable=True)


@require_GET
def brand_css(request):
    brand = _brand(request)
    css = (f":root{{--brand-primary:{brand.primary};--brand-on-primary:{brand.on_primary};"
           f"--brand-accent:{brand.accent};--brand-on-accent:{brand.on_accent};--brand-ink:{brand.primary_ink}}}\n")
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def service_worker(request):
    brand = _brand(request)
    script = render(request, "portal/pwa/sw.js", {
        "cache_name": f"nexustop-shell-{shell_version(brand)}", "shell": json.dumps(_shell(brand)),
    }, content_type="text/javascript; charset=utf-8")
    script["Service-Worker-Allowed"] = "/"
    script["Cache-Control"] = "no-cache"
    script["Content-Security-Policy"] = WORKER_POLICY  # the worker's own policy (it fetches this origin only)
    return script


@require_GET
def offline(request):
    response = render(request, "portal/pwa/offline.html", {"debug": settings.DEBUG})
    response["Cache-Control"] = "no-cache"
    return response
