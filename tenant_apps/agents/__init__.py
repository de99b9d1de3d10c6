"""Reseller onboarding, agent trees, commissions, reseller API keys."""
