variable "name" {
  description = "Prefix for every resource name."
  type        = string
}

variable "origin_domain_name" {
  description = "The ALB's DNS name (compute module)."
  type        = string
}

variable "aliases" {
  description = "Tenant domains served by this distribution (wildcards allowed, e.g. *.nexustop.ng)."
  type        = list(string)
}

variable "certificate_arn_us_east_1" {
  description = "ACM certificate in us-east-1 covering the aliases (CloudFront requires us-east-1)."
  type        = string
}

variable "logs_bucket_domain_name" {
  description = "Bucket for CloudFront standard logs."
  type        = string
}

variable "kms_key_arn_us_east_1" {
  description = "KMS key in us-east-1 for the WAF log group."
  type        = string
}

variable "rate_limit_per_5min" {
  description = "Requests per 5 minutes per client IP before WAF blocks it."
  type        = number
  default     = 2000
}

variable "price_class" {
  description = "CloudFront price class. PriceClass_All includes the African edge locations (Lagos, Johannesburg, ...)."
  type        = string
  default     = "PriceClass_All"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
