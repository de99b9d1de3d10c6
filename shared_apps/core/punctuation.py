"""Punctuation that depends on the language: the one rule for "label: value" (templates use it through the
``{% colon %}`` tag of shared_apps/core/templatetags/ui.py, Python through :func:`labelled`)."""

from __future__ import annotations

from django.utils import translation


def colon() -> str:
    """The colon after a translated label, as the active language sets it: French puts a no-break space before
    it (``Frais :``), English and Portuguese do not (``Fee:``)."""
    return "\u00a0:" if (translation.get_language() or "en")[:2] == "fr" else ":"


def labelled(label: str, value: str) -> str:
    """``label: value`` in the active language (``Airtime\u00a0: 12`` in French)."""
    return f"{label}{colon()} {value}"
