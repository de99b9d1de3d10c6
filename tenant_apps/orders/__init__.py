"""Purchases: order state machine, outbox, submit/requery tasks, provider webhooks."""
