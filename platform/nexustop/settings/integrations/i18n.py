"""Internationalisation: languages, locale selection, modeltranslation."""

from __future__ import annotations
