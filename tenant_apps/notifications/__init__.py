"""Outgoing SMS/email notifications and their delivery log."""
