# Secrets Manager: one secret per provider plugin plus the platform's own keys.
# Terraform creates the containers only; values are written with
# `aws secretsmanager put-secret-value` by an operator or by a rotation job, so no
# secret value is ever in code or in Terraform state.

locals {
  platform_secrets = {
    django-secret-key       = "DJANGO_SECRET_KEY: signs sessions, CSRF tokens and password-reset links."
    field-encryption-key    = "Key encrypting KYC numbers and provider credentials at rest in PostgreSQL."
    jwt-signing-key         = "Signs JWT access and refresh tokens."
    metrics-bearer-token    = "METRICS_BEARER_TOKEN: the Prometheus scraper's token for /metrics."
    sentry-dsn              = "SENTRY_DSN (not a secret key, but it lets anyone post events)."
    webhook-signing-secrets = "JSON map provider -> webhook signature secret."
  }
}

resource "aws_secretsmanager_secret" "platform" {
  #checkov:skip=CKV2_AWS_57:Rotation is an app-level procedure (dual keys accepted during the switch), see docs/operations.md "Rotate secrets".
  for_each                = local.platform_secrets
  name                    = "${var.name}/platform/${each.key}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
  tags                    = var.tags
}

resource "aws_secretsmanager_secret" "provider" {
  #checkov:skip=CKV2_AWS_57:Provider API keys are issued by third parties and rotated with them by hand (docs/operations.md); no Lambda can mint them.
  for_each                = toset(var.provider_credentials)
  name                    = "${var.name}/providers/${each.key}"
  description             = "Credentials of the ${each.key} provider plugin (JSON: keys as the plugin's ProviderConfig expects)."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
  tags                    = merge(var.tags, { Provider = each.key })
}
