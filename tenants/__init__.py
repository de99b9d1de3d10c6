"""Tenants (country operations and reseller brands), their domains and lifecycle."""
