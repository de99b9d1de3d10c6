"""The risk rule sets the benches switch on (``bench_risk``, ``bench_purchases --risk-rules``): one of every type."""

from __future__ import annotations

EVERY_RULE: list[dict] = [
    dict(rule_type="velocity_count", scope="user", window_seconds=600, threshold_count=10_000, action="block"),
    dict(rule_type="velocity_count", scope="recipient", window_seconds=600, threshold_count=10_000,
         action="block"),
    dict(rule_type="velocity_amount", scope="device", window_seconds=600, threshold_amount="9000000",
         action="hold"),
    dict(rule_type="velocity_count", scope="ip", window_seconds=600, threshold_count=100_000, action="block"),
    dict(rule_type="velocity_count", scope="product", window_seconds=600, threshold_count=100_000,
         action="block"),
    dict(rule_type="velocity_count", scope="user", window_seconds=600, threshold_count=10_000,
         new_recipients_only=True, flows=["purchase"], product_type="airtime", action="block"),
    dict(rule_type="after_funding", flows=["bank_payout", "purchase"], window_seconds=3600,
         threshold_amount="9000000", action="hold"),
    dict(rule_type="new_recipient", threshold_amount="9000000", action="block"),
    dict(rule_type="new_device", flows=["bank_payout"], action="step_up_otp"),
]
RULE_SETS: dict[str, list[dict]] = {"none": [], "one": EVERY_RULE[:1], "all": EVERY_RULE}
