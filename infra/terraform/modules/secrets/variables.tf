variable "name" {
  description = "Prefix for secret names: <name>/<kind>/<key>."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key encrypting every secret."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
