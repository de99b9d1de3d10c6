"""The tenant's price list, reseller cost and agent commission tiers."""
