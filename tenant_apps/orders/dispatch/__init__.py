"""The dispatcher: held orders settled in batches (issue 18). The only path from a held order to its provider.

``manage.py run_dispatcher`` (a supervised long-running process: Procfile ``dispatcher``, ``make run``, the
tests' stacks) loops over three steps per tenant schema with work:

1. **Claim** (:mod:`.claims`, one transaction): up to ``ORDERS_DISPATCH_BATCH`` outbox rows with their
   orders, row-locked without waiting (SKIP LOCKED) from the partial index of ready rows, leased for
   ``ORDERS_DISPATCH_LEASE_SECONDS``; each order gets its attempt as ``order_submit`` always did: routing and
   the circuit breaker pick the provider, the request id is made once (a retry reuses it), an order no
   provider can take is refunded. Committed before any provider call.
2. **Call** (:mod:`.calls`): every claimed order's provider call at once from one asyncio loop
   (``submit_async`` on the connector, keep-alive pools and a concurrency limit per provider,
   :mod:`.transport`), answers mapped to outcomes exactly as before.
3. **Settle** (:mod:`.settle`): the batch's clear successes in ONE transaction (each order's balanced
   settlement entry, tax lines, reseller hooks, transitions: ``order_apply_outcome``); everything else one
   by one through ``order_apply_provider_result`` as before (pending -> requery task, definite failure ->
   fail-over or refund). The exchanges go to the provider archive in one INSERT. Locks: every order of the
   batch first (ascending id), then per order its hold and the ledger accounts; a later order's hold after
   an earlier order's accounts cannot deadlock, because a hold is only ever locked under its order's row,
   which the batch holds (``shared_apps.core.locks``).

Work discovery: inserting a ready outbox row NOTIFYs ``orders_outbox`` with its schema (trigger, migration
0006), the dispatcher LISTENs (:mod:`.runner`); a scan of every tenant every ``ORDERS_DISPATCH_SCAN_SECONDS``
is the safety net (lost notifications, expired leases). Claims and settlements of several batches run
one after another on one database thread while other batches' calls are in flight.

Crash safety: a dispatcher killed at any point leaves leased outbox rows whose attempts were committed
with their request ids; after the lease another dispatcher (or the restarted one) claims them and sends
the SAME request id (the provider deduplicates: one delivery), and a settlement that never committed is
simply redone. Two dispatchers never hold the same row (SKIP LOCKED + the lease).

``order_submit(order_id=...)`` (tests, tools) runs the same three steps in-process for one order
(:func:`.batch.dispatch_orders`).
"""
