"""The simulators' kit: real HTTP servers on 127.0.0.1 with fault modes, for tests and ``make run``.

``local_server`` (the threaded server every simulator shares), ``simulator`` (telecom/aggregator
simulators: routes, deliveries, suffix faults), ``gateway_sim`` (payment gateways: fault plans, webhook
delivery, a webhook sink). Only a plugin's simulator (its ``simulator.py`` or ``simulator/`` package) imports
this package, never its connectors, and the contracts in ``provider_plugins.interfaces`` never do
(tests/foundation/test_dependency_direction.py).
"""
