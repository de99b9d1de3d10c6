"""Orders tests use the purchase stacks of tests/fixtures/purchase.py: ``stack`` (simulators + ONE real Celery
worker, module-scoped) and ``inproc_stack`` (no worker); helpers in tests/orders/helpers.py."""
