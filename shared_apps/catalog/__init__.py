"""Catalog: products sold by every tenant (public schema)."""
