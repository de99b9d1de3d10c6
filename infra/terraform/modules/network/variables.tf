variable "name" {
  description = "Prefix for every resource name, e.g. nexustop-af-south-1."
  type        = string
}

variable "cidr_block" {
  description = "VPC CIDR. Each region gets its own non-overlapping /16 so regions can be peered later."
  type        = string
}

variable "availability_zones" {
  description = "Three AZs of the region: RDS Multi-AZ, ElastiCache failover and ECS spread across them."
  type        = list(string)
}

variable "local_zone" {
  description = "Optional AWS Local Zone (e.g. af-south-1-los-1a, Lagos) for an extra private subnet close to Nigerian users. Empty: none. Fargate, RDS and ElastiCache are not offered in Local Zones; the subnet is for EC2-backed edge capacity only."
  type        = string
  default     = ""
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key encrypting the VPC flow-log group."
  type        = string
}

variable "flow_log_retention_days" {
  description = "How long VPC flow logs are kept (days)."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
