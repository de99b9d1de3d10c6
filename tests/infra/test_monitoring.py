"""Dashboards and alert rules as code (infra/monitoring): well formed, the agreed thresholds, and every
metric they use exported by /metrics. ``promtool`` (Debian's prometheus package) checks and unit-tests
the rules in CI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import redis
import yaml
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from shared_apps.core import metrics
from tests.support.pgbouncer import in_ci

MONITORING = Path(settings.PROJECT_ROOT) / "infra" / "monitoring"
RULES = MONITORING / "prometheus" / "alerts.yml"
RULE_TESTS = MONITORING / "prometheus" / "alerts.test.yml"
DASHBOARDS = sorted((MONITORING / "grafana").glob("*.json"))
TOKEN = "monitoring-test-token-" + uuid.uuid4().hex[:8]

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                "offset", "inf", "nan", "e"}


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (label matchers, grouping labels, functions and strings removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)  # grouping labels
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in PROMQL_WORDS:
            continue
        names.add(name)
    return names


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def panels() -> list[tuple[str, dict]]:
    return [(path.name, panel) for path in DASHBOARDS for panel in json.loads(path.read_text())["panels"]]


def expressions() -> dict[str, str]:
    found = {f"rule {rule['alert']}": rule["expr"] for rule in rules()}
    for name, panel in panels():
        for target in panel["targets"]:
            found[f"{name} panel {panel['title']!r} {target['refId']}"] = target["expr"]
    return found


def test_the_expression_reader_finds_metrics_and_nothing_else():
    expr = ('histogram_quantile(0.95, sum by (le, provider) (rate(nexustop_provider_request_seconds_bucket'
            '{provider=~"a|b"}[5m]))) / clamp_min(sum(up offset 5m), 1) > 0.5')
    assert metric_names(expr) == {"nexustop_provider_request_seconds_bucket", "up"}


def test_rules_and_dashboards_are_well_formed():
    alerts = rules()
    assert len({rule["alert"] for rule in alerts}) == len(alerts) >= 8
    for rule in alerts:
        assert rule["labels"]["severity"] in {"page", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert re.fullmatch(r"\d+m", rule["for"]), rule["alert"]
    uids = [json.loads(path.read_text())["uid"] for path in DASHBOARDS]
    assert len(set(uids)) == len(uids) == 2
    for name, panel in panels():
        assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}", (name, panel["title"])
        assert all(target["expr"].strip() for target in panel["targets"]), (name, panel["title"])


def test_alert_rules_carry_the_agreed_thresholds():
    by_name = {rule["alert"]: " ".join(rule["expr"].split()) for rule in rules()}
    assert '{status=~"5.."}' in by_name["ApiErrorRateHigh"] and by_name["ApiErrorRateHigh"].endswith("> 0.01")
    assert by_name["ApiLatencyP95High"].startswith("histogram_quantile(0.95,")
    assert by_name["ApiLatencyP95High"].endswith("> 0.5")
    assert '{status="failed"}' in by_name["FailedPurchasesHigh"] and by_name["FailedPurchasesHigh"].endswith("> 0.05")
    assert by_name["ProviderCircuitOpen"].endswith("(nexustop_provider_circuit_open) == 1")


def test_dashboards_show_business_and_technical_health():
    used = set().union(*(metric_names(target["expr"]) for _name, panel in panels() for target in panel["targets"]))
    assert {"nexustop_purchases_total",  # purchases by status and provider
            "nexustop_provider_request_seconds_bucket",  # provider latency
            "nexustop_provider_requests_total",  # provider error rate
            "nexustop_celery_queue_depth",  # queue depth
            "nexustop_webhook_requests_total",  # webhook failures
            "nexustop_reconciliation_discrepancies",  # ledger reconciliation result
            "nexustop_provider_circuit_open",
            "django_http_responses_total_by_status_total",
            "django_http_requests_latency_including_middlewares_seconds_bucket"} <= used
    titles = " ".join(panel["title"] for _name, panel in panels()).lower()
    for words in ("by status", "by provider", "latency", "error rate", "queue depth", "webhook", "reconciliation"):
        assert words in titles, words


@pytest.mark.django_db
def test_every_metric_a_panel_or_rule_uses_is_exported_by_metrics(settings):
    settings.METRICS_BEARER_TOKEN = TOKEN
    client = Client(HTTP_HOST="ng.localhost")
    client.get("/health")  # one request through django-prometheus' middlewares
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    exported: set[str] = set()
    for family in text_string_to_metric_families(response.content.decode()):
        suffixes = {"counter": ["_total", "_created"], "histogram": ["_bucket", "_sum", "_count", "_created"],
                    "summary": ["_sum", "_count", "_created"]}.get(family.type, [""])
        exported |= {family.name + suffix for suffix in suffixes}
        exported |= {sample.name for sample in family.samples}
    missing = {where: sorted(metric_names(expr) - exported) for where, expr in expressions().items()
               if metric_names(expr) - exported}
    assert missing == {}, missing
    assert len(set().union(*(metric_names(expr) for expr in expressions().values()))) >= 10


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


@pytest.mark.django_db
def test_webhook_outcomes_circuit_states_and_reconciliation_reach_metrics(settings, django_capture_on_commit_callbacks):
    from shared_apps.providers.models import Provider

    settings.METRICS_BEARER_TOKEN = TOKEN
    settings.ORDERS_BREAKER_PREFIX = f"test-breaker-{uuid.uuid4().hex[:6]}"
    client = Client(HTTP_HOST="ng.localhost")

    def scrape():
        return _samples(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode())

    before = scrape()
    refused = client.post("/webhook/paystack", data=b"{}", content_type="application/json",
                          HTTP_X_PAYSTACK_SIGNATURE="0" * 128)
    assert 400 <= refused.status_code < 500
    provider = Provider.objects.create(name="Circuit test", country="NG", plugin_key="dtone",
                                       base_url="https://example.invalid", capabilities=["airtime"])
    redis.Redis.from_url(settings.REDIS_URL).set(f"{settings.ORDERS_BREAKER_PREFIX}:{provider.pk}:open", "1", ex=60)
    metrics.record_reconciliation(check="ledger", discrepancies=2)
    after = scrape()

    key = ("nexustop_webhook_requests_total", (("outcome", "rejected"), ("source", "paystack")))
    assert after[key] == before.get(key, 0) + 1
    assert after[("nexustop_provider_circuit_open", (("country", "NG"), ("provider", "dtone")))] == 1
    assert after[("nexustop_reconciliation_discrepancies", (("check", "ledger"),))] == 2
    metrics.record_reconciliation(check="ledger", discrepancies=0)


# --- promtool --------------------------------------------------------------------------------------

def promtool() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        if in_ci():
            pytest.fail("promtool is not installed and CI=true: apt-get install prometheus (.ci/run does it)")
        pytest.skip("promtool is not installed (apt-get install prometheus); CI runs this")
    return binary


def test_promtool_checks_and_unit_tests_the_rules_and_the_dashboard_queries(tmp_path):
    binary = promtool()
    checked = subprocess.run([binary, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([binary, "test", "rules", RULE_TESTS.name], cwd=RULE_TESTS.parent,
                            capture_output=True, text=True, timeout=60)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # Every dashboard query parses too: check them as recording rules.
    queries = {"groups": [{"name": "dashboards", "rules": [
        {"record": f"dashboard:query_{n}", "expr": expr} for n, expr in enumerate(expressions().values())]}]}
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(queries))
    parsed = subprocess.run([binary, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
