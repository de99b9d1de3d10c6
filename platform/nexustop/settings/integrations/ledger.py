"""Ledger and wallets: currencies, hold expiry, reconciliation schedule."""

from __future__ import annotations
