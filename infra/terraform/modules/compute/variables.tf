variable "name" {
  description = "Prefix for every resource name."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the services."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the ECS tasks (no public IPs)."
  type        = list(string)
}

variable "app_security_group_id" {
  description = "Security group of every task (from the network module)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key (logs, ECR)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate (in this region) covering the tenant domains the load balancer answers for."
  type        = string
}

variable "access_logs_bucket" {
  description = "Bucket for ALB access logs (prefix alb/)."
  type        = string
}

variable "image_tag" {
  description = "Immutable image tag to deploy (the git SHA). Set by the pipeline, e.g. -var image_tag=$GITHUB_SHA."
  type        = string
}

variable "database_host" {
  description = "RDS Proxy endpoint."
  type        = string
}

variable "database_replica_host" {
  description = "Read replica endpoint for reporting reads (empty: none)."
  type        = string
  default     = ""
}

variable "database_secret_arn" {
  description = "Secrets Manager secret with the database username/password (JSON)."
  type        = string
}

variable "redis_url_secret_arn" {
  description = "Secrets Manager secret holding the full rediss:// URL."
  type        = string
}

variable "platform_secret_arns" {
  description = "Platform secrets by short name (from the secrets module)."
  type        = map(string)
}

variable "database_cluster_hosts" {
  description = "More PostgreSQL clusters for tenant schemas, alias => host (each behind its own RDS Proxy); empty: every tenant on the primary."
  type        = map(string)
  default     = {}
}

variable "environment" {
  description = "Environment name (production, staging): Sentry's environment."
  type        = string
  default     = "production"
}

variable "sms_gateway_url" {
  description = "The SMS provider's API base URL (https; production refuses loopback or simulator URLs)."
  type        = string

  validation {
    condition     = startswith(var.sms_gateway_url, "https://")
    error_message = "sms_gateway_url must be an https:// URL."
  }
}

variable "kyc_verifier_url" {
  description = "The identity verifier's API base URL (https; production refuses loopback or simulator URLs)."
  type        = string

  validation {
    condition     = startswith(var.kyc_verifier_url, "https://")
    error_message = "kyc_verifier_url must be an https:// URL."
  }
}

variable "kyc_verifier_partner_id" {
  description = "Our partner id with the identity verifier (not a secret; its API key is)."
  type        = string
}

variable "kyc_bucket_name" {
  description = "KYC documents bucket."
  type        = string
}

variable "kyc_bucket_arn" {
  description = "KYC documents bucket ARN (task role gets tenants/* only: the app's keys are tenants/<schema>/...)."
  type        = string
}

variable "public_domain" {
  description = "Head-office domain (public schema), e.g. admin.nexustop.africa."
  type        = string
}

variable "cors_allowed_origins" {
  description = "Exact origins allowed by CORS (the tenants' web front-ends)."
  type        = list(string)
  default     = []
}

variable "web" {
  description = "Web service sizing: cpu/memory units, min/max task count, CPU target (%)."
  type = object({
    cpu        = number
    memory     = number
    min        = number
    max        = number
    cpu_target = number
  })
  default = { cpu = 1024, memory = 2048, min = 3, max = 30, cpu_target = 60 }
}

variable "worker" {
  description = "Celery worker sizing plus the queue backlog per task that triggers scale-out."
  type = object({
    cpu                  = number
    memory               = number
    min                  = number
    max                  = number
    cpu_target           = number
    backlog_per_task     = number
    concurrency_per_task = number
  })
  default = { cpu = 1024, memory = 2048, min = 2, max = 40, cpu_target = 60, backlog_per_task = 50, concurrency_per_task = 8 }
}

variable "dispatcher" {
  description = "Order dispatcher sizing (manage.py run_dispatcher) and how many run."
  type = object({
    cpu    = number
    memory = number
    count  = number
  })
  default = { cpu = 1024, memory = 2048, count = 2 }
}

variable "migrate_processes" {
  description = "Parallel processes for migrate_schemas (TENANT_MULTIPROCESSING_MAX_PROCESSES) in the migrate task."
  type        = number
  default     = 8
}

variable "log_retention_days" {
  description = "Application log retention (days)."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
