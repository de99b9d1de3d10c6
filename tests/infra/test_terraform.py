"""Security properties of infra/terraform, checked by parsing every file (no cloud access)."""

from __future__ import annotations

import re

import pytest

from shared_apps.core import metrics
from tests.infra.terraform import (
    ENVIRONMENTS,
    MODULES,
    TERRAFORM,
    all_blocks,
    effective,
    environment_dirs,
    first_block,
    module_calls,
    one,
    parse,
    resources,
    tf_files,
    tfvars,
    variables,
)

EXPECTED_MODULES = {"network", "database", "cache", "compute", "storage", "secrets", "edge", "monitoring", "delivery"}
ENVS = environment_dirs()


def test_every_file_parses_and_the_layout_is_complete():
    files = tf_files()
    assert len(files) >= 30
    for path in files:
        assert isinstance(parse(path), dict), path
    assert {path.name for path in MODULES.iterdir()} == EXPECTED_MODULES
    assert {env.name for env in ENVS} >= {"af-south-1", "eu-west-1"}


@pytest.mark.parametrize("env", ENVS, ids=lambda env: env.name)
def test_each_region_wires_every_module_in_its_own_region(env):
    calls = module_calls(env)
    assert {args["source"].rsplit("/", 1)[-1] for args in calls.values()} == EXPECTED_MODULES
    values = tfvars(env)
    assert values["region"] == env.name
    assert all(zone.startswith(env.name) for zone in values["availability_zones"])
    assert len(values["availability_zones"]) >= 2
    # State is encrypted; nothing account-specific in the backend block.
    backend = parse(env / "versions.tf")["terraform"][0]["backend"][0]["s3"]
    assert backend["encrypt"] is True and "bucket" not in backend


def test_lagos_local_zone_is_configured_for_af_south_1():
    assert tfvars(ENVIRONMENTS / "af-south-1")["local_zone"] == "af-south-1-los-1a"
    subnet = one("aws_subnet", "local_zone")
    assert subnet.body["availability_zone"] == "${var.local_zone}"


def test_every_variable_is_documented():
    for path in TERRAFORM.rglob("variables.tf"):
        for name, spec in variables(path).items():
            assert len(spec.get("description", "")) > 10, f"{path}: variable {name} has no description"
            assert "type" in spec, f"{path}: variable {name} has no type"


SECRET_PATTERNS = [
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    # An attribute such as password/secret_string/auth_token/api_key set to a literal string.
    re.compile(r'^\s*\w*(password|secret_string|token|api_key)\s*=\s*"[^"$]{6,}"', re.IGNORECASE | re.MULTILINE),
]


def test_no_secret_values_in_code():
    for path in [*TERRAFORM.rglob("*.tf"), *TERRAFORM.rglob("*.tfvars")]:
        text = path.read_text()
        for pattern in SECRET_PATTERNS:
            assert not pattern.search(text), f"{path}: looks like a secret: {pattern.pattern}"
    for version in resources("aws_secretsmanager_secret_version"):
        # Only generated values (random_password) ever reach a secret version.
        assert "random_password." in version.body["secret_string"], version.address
    for secret in resources("aws_secretsmanager_secret"):
        assert secret.body.get("kms_key_id"), f"{secret.address} is not encrypted with the CMK"
    primary = one("aws_db_instance", "primary").body
    assert "password" not in primary and primary["manage_master_user_password"] is True


def test_platform_keys_live_in_secrets_manager_one_per_purpose():
    secrets = parse(MODULES / "secrets" / "main.tf")["locals"][0]["platform_secrets"]
    assert {"django-secret-key", "jwt-signing-key", "kyc-encryption-keys", "provider-credentials-keys",
            "reseller-secret-keys", "sms-gateway-api-key", "kyc-verifier-api-key"} <= set(secrets)
    platform = one("aws_secretsmanager_secret", "platform")
    assert "platform/" in platform.body["name"]
    # Provider credentials are in the provider registry (encrypted with PROVIDER_CREDENTIALS_KEYS), not here.
    assert not [item for item in resources("aws_secretsmanager_secret") if "providers/" in str(item.body["name"])]


@pytest.mark.parametrize("env", ENVS, ids=lambda env: env.name)
def test_postgres_is_multi_az_encrypted_backed_up_and_protected(env):
    primary = one("aws_db_instance", "primary")
    body = primary.body
    assert body["engine"] == "postgres"
    assert body["multi_az"] is True
    assert body["storage_encrypted"] is True and body["kms_key_id"]
    assert effective(primary, body["backup_retention_period"], env) >= 14
    assert body["deletion_protection"] is True
    assert body["skip_final_snapshot"] is False
    assert body["publicly_accessible"] is False
    assert body["performance_insights_kms_key_id"]
    params = {p["name"]: p["value"] for p in all_blocks(one("aws_db_parameter_group", "postgres").body, "parameter")}
    assert params["rds.force_ssl"] == "1"

    replica = one("aws_db_instance", "replica")
    assert replica.body["replicate_source_db"] == "${aws_db_instance.primary.identifier}"
    assert replica.body["storage_encrypted"] is True
    assert replica.body["publicly_accessible"] is False
    assert effective(replica, replica.body["count"], env) >= 1


def test_backup_retention_cannot_be_lowered_below_14_days():
    spec = variables(MODULES / "database" / "variables.tf")["backup_retention_days"]
    assert spec["default"] >= 14
    assert ">= 14" in str(spec["validation"])


def test_proxy_multiplexes_transactions_because_the_app_never_sets_a_session_search_path():
    """Without session pinning the proxy is a transaction pooler: the app must run in transaction pool mode."""
    from tests.infra.config import _compute_locals

    proxy = one("aws_db_proxy", "main").body
    assert proxy["require_tls"] is True and proxy["engine_family"] == "POSTGRESQL"
    pool = first_block(one("aws_db_proxy_default_target_group", "main").body, "connection_pool_config")
    assert pool["session_pinning_filters"] == ["EXCLUDE_VARIABLE_SETS"]
    environment = {item["name"]: item["value"] for item in _compute_locals()["common_environment"]}
    assert environment["DATABASE_POOL_MODE"] == "transaction"
    # The tasks authenticate with the secret's password, so the proxy must accept it.
    assert first_block(proxy, "auth")["iam_auth"] == "DISABLED"
    params = {p["name"]: p["value"] for p in all_blocks(one("aws_db_parameter_group", "postgres").body, "parameter")}
    assert params["timezone"] == "UTC"  # no session SET TIME ZONE needed


def test_redis_is_encrypted_at_rest_and_in_transit_with_failover():
    redis = one("aws_elasticache_replication_group", "main").body
    assert redis["at_rest_encryption_enabled"] is True and redis["kms_key_id"]
    assert redis["transit_encryption_enabled"] is True and redis["auth_token"]
    assert redis["automatic_failover_enabled"] is True and redis["multi_az_enabled"] is True


def test_no_bucket_is_public_and_every_bucket_is_encrypted_and_versioned():
    buckets = {bucket.name for bucket in resources("aws_s3_bucket")}
    assert "kyc" in buckets
    blocks = {item.body["bucket"]: item.body for item in resources("aws_s3_bucket_public_access_block")}
    encryption = {item.body["bucket"]: item.body for item in
                  resources("aws_s3_bucket_server_side_encryption_configuration")}
    versioning = {item.body["bucket"]: item.body for item in resources("aws_s3_bucket_versioning")}
    for name in buckets:
        ref = f"${{aws_s3_bucket.{name}.id}}"
        block = blocks[ref]
        assert all(block[key] is True for key in
                   ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
        assert first_block(encryption[ref], "rule")
        assert first_block(versioning[ref], "versioning_configuration")["status"] == "Enabled"
    for bucket in resources("aws_s3_bucket"):
        assert "public" not in str(bucket.body.get("acl", "")), bucket.address
    for acl in resources("aws_s3_bucket_acl"):
        assert "public" not in str(acl.body.get("acl", "")), acl.address
    kyc_rule = first_block(encryption["${aws_s3_bucket.kyc.id}"], "rule")
    kyc_default = first_block(kyc_rule, "apply_server_side_encryption_by_default")
    assert kyc_default["sse_algorithm"] == "aws:kms" and kyc_default["kms_master_key_id"]


def test_kyc_bucket_is_tls_only_and_tenant_prefixed():
    policy = one("aws_iam_policy_document", "kyc", kind="data").body
    sids = {statement["sid"]: statement for statement in all_blocks(policy, "statement")}
    assert sids["DenyInsecureTransport"]["effect"] == "Deny"
    assert sids["DenyKeysOutsideTenantPrefix"]["not_resources"] == ["${aws_s3_bucket.kyc.arn}/tenants/*"]
    task = one("aws_iam_policy_document", "task", kind="data").body
    kyc = next(s for s in all_blocks(task, "statement") if s["sid"] == "KycDocumentsTenantPrefixOnly")
    assert kyc["resources"] == ["${var.kyc_bucket_arn}/tenants/*"]
    assert "tenants/<schema_name>/kyc/" in (MODULES / "storage" / "main.tf").read_text()


def test_logs_are_encrypted_and_retained():
    groups = resources("aws_cloudwatch_log_group")
    assert len(groups) >= 3
    for group in groups:
        assert group.body.get("kms_key_id"), group.address
        assert group.body.get("retention_in_days"), group.address
    for key in resources("aws_kms_key"):
        assert key.body["enable_key_rotation"] is True, key.address


def test_ecs_runs_web_worker_dispatcher_beat_and_migrate_privately_and_read_only():
    processes = parse(MODULES / "compute" / "main.tf")["locals"][0]["processes"]
    assert set(processes) == {"web", "worker", "dispatcher", "beat", "migrate"}
    assert "run_dispatcher" in str(processes["dispatcher"]["command"])
    assert "--executor=multiprocessing" in str(processes["migrate"]["command"])
    container = one("aws_ecs_task_definition", "process").body["container_definitions"]
    assert "readonlyRootFilesystem = true" in container and 'user = "10001"' in container
    assert "privileged = false" in container
    for service in ("web", "worker", "dispatcher", "beat"):
        body = one("aws_ecs_service", service).body
        assert first_block(body, "network_configuration")["assign_public_ip"] is False
    assert one("aws_ecs_service", "beat").body["desired_count"] == 1
    assert one("aws_ecs_service", "beat").body["deployment_maximum_percent"] == 100


def test_autoscaling_on_cpu_and_on_queue_depth():
    for name in ("web_cpu", "worker_cpu"):
        policy = one("aws_appautoscaling_policy", name).body
        config = first_block(policy, "target_tracking_scaling_policy_configuration")
        assert first_block(config, "predefined_metric_specification")["predefined_metric_type"] == (
            "ECSServiceAverageCPUUtilization")
    queue = one("aws_appautoscaling_policy", "worker_queue_depth").body
    assert queue["resource_id"] == "${aws_appautoscaling_target.worker.resource_id}"
    spec = first_block(first_block(queue, "target_tracking_scaling_policy_configuration"),
                       "customized_metric_specification")
    metric_names = {first_block(first_block(m, "metric_stat"), "metric")["metric_name"]
                    for m in all_blocks(spec, "metrics") if "metric_stat" in m}
    assert "nexustop_celery_queue_depth" in metric_names


def test_alb_is_https_only_and_reachable_only_from_cloudfront():
    listener = one("aws_lb_listener", "https").body
    assert listener["protocol"] == "HTTPS" and "TLS13" in listener["ssl_policy"]
    assert [item for item in resources("aws_lb_listener") if item.body.get("protocol") == "HTTP"] == []
    ingress = one("aws_vpc_security_group_ingress_rule", "alb_from_cloudfront").body
    assert "cloudfront" in ingress["prefix_list_id"] and "cidr_ipv4" not in ingress
    assert one("aws_lb", "web").body["drop_invalid_header_fields"] is True
    hide = one("aws_lb_listener_rule", "hide_metrics").body
    assert "/metrics" in first_block(first_block(hide, "condition"), "path_pattern")["values"]


def test_waf_with_owasp_managed_rules_is_attached_to_cloudfront():
    acl = one("aws_wafv2_web_acl", "main").body
    assert acl["scope"] == "CLOUDFRONT"
    managed = {
        first_block(first_block(rule, "statement"), "managed_rule_group_statement")["name"]
        for rule in all_blocks(acl, "rule")
        if "managed_rule_group_statement" in first_block(rule, "statement")
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesSQLiRuleSet"} <= managed
    distribution = one("aws_cloudfront_distribution", "main").body
    assert distribution["web_acl_id"] == "${aws_wafv2_web_acl.main.arn}"
    assert first_block(distribution, "default_cache_behavior")["viewer_protocol_policy"] == "redirect-to-https"
    assert first_block(distribution, "viewer_certificate")["minimum_protocol_version"].startswith("TLSv1.2")
    assert first_block(first_block(distribution, "origin"), "custom_origin_config")["origin_protocol_policy"] == (
        "https-only")
    for env in ENVS:
        assert "${aws.us_east_1}" in module_calls(env)["edge"]["providers"]


def _alarm(name: str):
    return one("aws_cloudwatch_metric_alarm", name)


@pytest.mark.parametrize("env", ENVS, ids=lambda env: env.name)
def test_alarms_exist_with_the_agreed_thresholds(env):
    error_rate = _alarm("api_error_rate")
    assert effective(error_rate, error_rate.body["threshold"], env) == 1
    expression = error_rate.body["metric_query"][0]["expression"]
    assert "100 *" in expression and "errors" in expression and "requests" in expression
    assert {q["metric"][0]["metric_name"] for q in error_rate.body["metric_query"] if "metric" in q} == {
        "HTTPCode_Target_5XX_Count", "RequestCount"}

    latency = _alarm("api_p95_latency")
    assert latency.body["extended_statistic"] == "p95"
    assert effective(latency, latency.body["threshold"], env) == 0.5
    assert latency.body["metric_name"] == "TargetResponseTime"

    failed = _alarm("failed_purchases")
    assert effective(failed, failed.body["threshold"], env) == 5
    statuses = {q["metric"][0]["dimensions"]["status"] for q in failed.body["metric_query"] if "metric" in q}
    assert statuses == {"failed", "succeeded"}

    queue = _alarm("queue_depth")
    assert queue.body["metric_name"] == "nexustop_celery_queue_depth"
    assert effective(queue, queue.body["threshold"], env) > 0

    for alarm in resources("aws_cloudwatch_metric_alarm"):
        assert alarm.body["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"], alarm.address


def test_alarms_read_the_metrics_the_app_exports():
    """The names CloudWatch alarms and autoscaling read are the app's real Prometheus metrics."""
    from prometheus_client import REGISTRY

    exported = {name for family in REGISTRY.collect() for sample in family.samples for name in [sample.name]}
    exported |= {family.name for family in REGISTRY.collect()}
    assert metrics.PURCHASES._name + "_total" == "nexustop_purchases_total"
    assert {"nexustop_celery_queue_depth", "nexustop_purchases", "nexustop_provider_request_seconds",
            "nexustop_ledger_postings"} <= exported
    text = (MODULES / "monitoring" / "main.tf").read_text() + (MODULES / "compute" / "main.tf").read_text()
    for name in ("nexustop_purchases_total", "nexustop_celery_queue_depth", "nexustop_provider_request_seconds"):
        assert name in text
    assert set(metrics.PURCHASE_STATUSES) >= {"failed", "succeeded"}
