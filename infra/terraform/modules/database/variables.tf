variable "name" {
  description = "Prefix for every resource name."
  type        = string
}

variable "vpc_id" {
  description = "VPC holding the database."
  type        = string
}

variable "data_subnet_ids" {
  description = "Isolated subnets (one per AZ) for the primary, its standby and the replica."
  type        = list(string)
}

variable "app_security_group_ids" {
  description = "Security groups of the ECS tasks allowed to reach the proxy and the replica."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for storage, Performance Insights, logs and the master secret."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL major.minor (15 matches development and CI)."
  type        = string
  default     = "15.8"
}

variable "instance_class" {
  description = "Primary and replica instance class."
  type        = string
  default     = "db.r6g.large"
}

variable "allocated_storage_gb" {
  description = "Initial storage (gp3); grows automatically up to max_allocated_storage_gb."
  type        = number
  default     = 100
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling."
  type        = number
  default     = 1000
}

variable "backup_retention_days" {
  description = "Automated backup (point-in-time recovery) window in days. At least 14: a ledger mistake is often found at month end."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 14 && var.backup_retention_days <= 35
    error_message = "Keep 14 to 35 days of automated backups."
  }
}

variable "replica_count" {
  description = "Read replicas (reporting, analytics and reconciliation reads)."
  type        = number
  default     = 1
}

variable "proxy_max_connections_percent" {
  description = "Share of the primary's max_connections the RDS Proxy may open."
  type        = number
  default     = 80
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
