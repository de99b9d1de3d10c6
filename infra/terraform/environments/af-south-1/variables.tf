variable "region" {
  description = "AWS region of this environment. Tenants whose data must stay in this region are served only from here."
  type        = string
}

variable "environment" {
  description = "Environment name (production, staging)."
  type        = string
  default     = "production"
}

variable "countries" {
  description = "ISO country codes whose tenants live in this region (informational tag; routing is by tenant domain)."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "VPC CIDR, unique per region."
  type        = string
}

variable "availability_zones" {
  description = "Three AZs of the region."
  type        = list(string)
}

variable "local_zone" {
  description = "Optional Local Zone for an extra subnet (e.g. af-south-1-los-1a for Lagos). Empty for none."
  type        = string
  default     = ""
}

variable "image_tag" {
  description = "Image tag (git SHA) to run; set by the deploy pipeline."
  type        = string
}

variable "public_domain" {
  description = "Head-office domain (public schema)."
  type        = string
}

variable "edge_aliases" {
  description = "Tenant domains served through CloudFront in this region."
  type        = list(string)
}

variable "alb_certificate_arn" {
  description = "ACM certificate in this region for the ALB."
  type        = string
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate in us-east-1 for CloudFront."
  type        = string
}

variable "cors_allowed_origins" {
  description = "Exact web origins allowed by CORS."
  type        = list(string)
  default     = []
}

variable "sms_gateway_url" {
  description = "The SMS provider's API base URL for this region (https)."
  type        = string
}

variable "kyc_verifier_url" {
  description = "The identity verifier's API base URL for this region (https)."
  type        = string
}

variable "kyc_verifier_partner_id" {
  description = "Our partner id with the identity verifier."
  type        = string
}

variable "alarm_emails" {
  description = "On-call e-mail addresses for alarms."
  type        = list(string)
  default     = []
}

variable "db_instance_class" {
  description = "RDS instance class (primary and replica)."
  type        = string
  default     = "db.r6g.large"
}

variable "db_replica_count" {
  description = "Read replicas."
  type        = number
  default     = 1
}

variable "backup_retention_days" {
  description = "RDS automated backup retention (days, >= 14)."
  type        = number
  default     = 14
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose Actions workflow deploys this region (OIDC trust)."
  type        = string
  default     = "nexustop/nexustop"
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC identity provider here (once per AWS account)."
  type        = bool
  default     = true
}

variable "terraform_state_bucket" {
  description = "The state bucket of backend.hcl (the pipeline's targeted applies read and write the state)."
  type        = string
}

variable "terraform_lock_table" {
  description = "The lock table of backend.hcl."
  type        = string
  default     = "nexustop-terraform-locks"
}
