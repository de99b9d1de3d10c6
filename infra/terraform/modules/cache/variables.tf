variable "name" {
  description = "Prefix for every resource name."
  type        = string
}

variable "vpc_id" {
  description = "VPC holding the cache."
  type        = string
}

variable "data_subnet_ids" {
  description = "Isolated subnets (one per AZ)."
  type        = list(string)
}

variable "app_security_group_ids" {
  description = "Security groups allowed to reach Redis."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for at-rest encryption and the auth-token secret."
  type        = string
}

variable "node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.r7g.large"
}

variable "replicas_per_shard" {
  description = "Replicas next to the primary (automatic failover needs at least 1)."
  type        = number
  default     = 1
}

variable "snapshot_retention_days" {
  description = "Daily snapshots kept (Celery broker and cache; the ledger never lives here)."
  type        = number
  default     = 7
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
