"""Recurring purchases."""
