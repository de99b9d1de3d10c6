"""Append-only audit trail of a tenant."""
