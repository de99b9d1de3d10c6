# Secrets Manager: the platform's own keys. Provider credentials are not here: they live
# in the provider registry (PostgreSQL, encrypted with PROVIDER_CREDENTIALS_KEYS) and are
# managed from the head-office console. Terraform creates the containers only; values are written with
# `aws secretsmanager put-secret-value` by an operator or by a rotation job, so no
# secret value is ever in code or in Terraform state.

locals {
  # One secret per key, one key per purpose (a leak of one opens nothing else). Each is injected
  # into the tasks under the variable name in its description (modules/compute, .env.example).
  platform_secrets = {
    django-secret-key         = "DJANGO_SECRET_KEY: signs sessions, CSRF tokens and password-reset links."
    jwt-signing-key           = "JWT_SIGNING_KEY: signs JWT access and refresh tokens."
    kyc-encryption-keys       = "KYC_ENCRYPTION_KEYS: Fernet keys (comma-separated, first encrypts) for KYC numbers at rest."
    provider-credentials-keys = "PROVIDER_CREDENTIALS_KEYS: Fernet keys for provider credentials in the registry."
    reseller-secret-keys      = "RESELLER_SECRET_KEYS: Fernet keys for reseller API-key and webhook secrets."
    sms-gateway-api-key       = "SMS_GATEWAY_API_KEY: the SMS provider's API key."
    kyc-verifier-api-key      = "KYC_VERIFIER_API_KEY: the identity verifier's API key."
    metrics-bearer-token      = "METRICS_BEARER_TOKEN: the Prometheus scraper's token for /metrics."
    sentry-dsn                = "SENTRY_DSN (not a secret key, but it lets anyone post events)."
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
