"""KYC submissions, tiers and the limits service."""
