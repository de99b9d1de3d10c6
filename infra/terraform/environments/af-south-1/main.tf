# One region, one self-contained NexusTop deployment. A country's tenants (and
# so its users' personal data) live in exactly one environment folder.

locals {
  name = "nexustop-${var.region}"
  tags = {
    Project     = "nexustop"
    Environment = var.environment
    Region      = var.region
    Countries   = join(" ", var.countries)
    ManagedBy   = "terraform"
  }
}

data "aws_caller_identity" "current" {}

# The standard key policy: in a key policy, "*" as resource means "this key".
data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:Key policy: the account root administers its own key (AWS default key policy); IAM policies then grant use.
  #checkov:skip=CKV_AWS_111:Key policy resource "*" is this key only.
  #checkov:skip=CKV_AWS_356:Key policy resource "*" is this key only.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogsEncrypt"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com", "logs.us-east-1.amazonaws.com"]
    }
  }
}

# One customer-managed key per region for everything at rest (RDS, Redis, S3, logs, secrets, ECR).
resource "aws_kms_key" "main" {
  description             = "${local.name}: data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.main.key_id
}

resource "aws_kms_key" "us_east_1" {
  provider                = aws.us_east_1
  description             = "${local.name}: WAF logs (us-east-1)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

module "network" {
  source             = "../../modules/network"
  name               = local.name
  cidr_block         = var.vpc_cidr
  availability_zones = var.availability_zones
  local_zone         = var.local_zone
  kms_key_arn        = aws_kms_key.main.arn
  tags               = local.tags
}

module "database" {
  source                 = "../../modules/database"
  name                   = local.name
  vpc_id                 = module.network.vpc_id
  data_subnet_ids        = module.network.data_subnet_ids
  app_security_group_ids = [module.network.app_security_group_id]
  kms_key_arn            = aws_kms_key.main.arn
  instance_class         = var.db_instance_class
  replica_count          = var.db_replica_count
  backup_retention_days  = var.backup_retention_days
  tags                   = local.tags
}

module "cache" {
  source                 = "../../modules/cache"
  name                   = local.name
  vpc_id                 = module.network.vpc_id
  data_subnet_ids        = module.network.data_subnet_ids
  app_security_group_ids = [module.network.app_security_group_id]
  kms_key_arn            = aws_kms_key.main.arn
  tags                   = local.tags
}

module "storage" {
  source      = "../../modules/storage"
  name        = local.name
  kms_key_arn = aws_kms_key.main.arn
  tags        = local.tags
}

module "secrets" {
  source      = "../../modules/secrets"
  name        = local.name
  kms_key_arn = aws_kms_key.main.arn
  tags        = local.tags
}

module "compute" {
  source                = "../../modules/compute"
  name                  = local.name
  vpc_id                = module.network.vpc_id
  public_subnet_ids     = module.network.public_subnet_ids
  private_subnet_ids    = module.network.private_subnet_ids
  app_security_group_id = module.network.app_security_group_id
  kms_key_arn           = aws_kms_key.main.arn
  certificate_arn       = var.alb_certificate_arn
  access_logs_bucket    = module.storage.access_logs_bucket_name
  image_tag             = var.image_tag
  database_host         = module.database.proxy_endpoint
  database_replica_host = length(module.database.replica_endpoints) > 0 ? module.database.replica_endpoints[0] : ""
  database_secret_arn   = module.database.master_secret_arn
  redis_url_secret_arn  = module.cache.redis_url_secret_arn
  platform_secret_arns  = module.secrets.platform_secret_arns
  kyc_bucket_name       = module.storage.kyc_bucket_name
  kyc_bucket_arn        = module.storage.kyc_bucket_arn
  public_domain         = var.public_domain
  cors_allowed_origins  = var.cors_allowed_origins
  environment           = var.environment
  sms_gateway_url       = var.sms_gateway_url
  kyc_verifier_url      = var.kyc_verifier_url
  kyc_verifier_partner_id = var.kyc_verifier_partner_id
  tags                  = local.tags
}

module "edge" {
  source = "../../modules/edge"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
  name                      = local.name
  origin_domain_name        = module.compute.alb_dns_name
  aliases                   = var.edge_aliases
  certificate_arn_us_east_1 = var.cloudfront_certificate_arn
  logs_bucket_domain_name   = module.storage.access_logs_bucket_domain_name
  kms_key_arn_us_east_1     = aws_kms_key.us_east_1.arn
  tags                      = local.tags
}

module "monitoring" {
  source                 = "../../modules/monitoring"
  name                   = local.name
  kms_key_arn            = aws_kms_key.main.arn
  alarm_emails           = var.alarm_emails
  alb_arn_suffix         = module.compute.alb_arn_suffix
  db_instance_identifier = module.database.primary_identifier
  tags                   = local.tags
}

module "delivery" {
  source                      = "../../modules/delivery"
  name                        = local.name
  cluster_name                = module.compute.cluster_name
  cluster_arn                 = module.compute.cluster_arn
  web_service_name            = module.compute.web_service_name
  https_listener_arn          = module.compute.https_listener_arn
  target_group_names          = module.compute.target_group_names
  rollback_alarm_names        = module.monitoring.rollback_alarm_names
  ecr_repository_arn          = module.compute.ecr_repository_arn
  task_role_arns              = module.compute.task_role_arns
  github_repository           = var.github_repository
  github_environment          = "production-${var.region}"
  create_github_oidc_provider = var.create_github_oidc_provider
  terraform_state_arns = [
    "arn:aws:s3:::${var.terraform_state_bucket}/nexustop/terraform.tfstate",
    "arn:aws:s3:::${var.terraform_state_bucket}/nexustop/terraform.tfstate.tflock",
    "arn:aws:dynamodb:${var.region}:${data.aws_caller_identity.current.account_id}:table/${var.terraform_lock_table}",
  ]
  tags = local.tags
}
