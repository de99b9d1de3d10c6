variable "name" {
  description = "Prefix for secret names: <name>/<kind>/<key>."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key encrypting every secret."
  type        = string
}

variable "provider_credentials" {
  description = "Provider plugins whose credentials this region holds (e.g. vtpass, reloadly, mtn, paystack, flutterwave, orange_money). One secret each; values are put in out of band (docs/operations.md), never here."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
