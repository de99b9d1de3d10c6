"""Wallets: funding through gateways, P2P transfers, payouts, statements, reconciliation."""
