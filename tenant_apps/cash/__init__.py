"""Agent cash-in and cash-out: the rail that works in every country, even where no provider has an API."""
