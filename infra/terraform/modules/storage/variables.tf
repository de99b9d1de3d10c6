variable "name" {
  description = "Prefix for bucket names (globally unique with the account id appended)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key encrypting every object (SSE-KMS)."
  type        = string
}

variable "noncurrent_version_retention_days" {
  description = "How long replaced or deleted KYC document versions are kept before expiry."
  type        = number
  default     = 365
}

variable "access_log_retention_days" {
  description = "How long S3 server access logs are kept."
  type        = number
  default     = 400
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
