"""Everything country-specific: one adapter module per country plus a registry.

This package imports no other project package.
"""
