variable "name" {
  description = "Prefix for alarm names; also the Environment dimension of the NexusTop metrics."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the alarm SNS topic."
  type        = string
}

variable "alarm_emails" {
  description = "On-call addresses subscribed to the alarm topic (also wire PagerDuty/Opsgenie to the topic)."
  type        = list(string)
  default     = []
}

variable "alb_arn_suffix" {
  description = "ALB for the API error-rate and latency alarms."
  type        = string
}

variable "db_instance_identifier" {
  description = "RDS primary for the database alarms."
  type        = string
}

variable "api_error_rate_percent" {
  description = "Alarm when 5xx responses exceed this share of API requests (percent)."
  type        = number
  default     = 1
}

variable "api_p95_latency_seconds" {
  description = "Alarm when the p95 target response time exceeds this (seconds)."
  type        = number
  default     = 0.5
}

variable "failed_purchase_percent" {
  description = "Alarm when failed purchases exceed this share of finished purchases (percent)."
  type        = number
  default     = 5
}

variable "queue_depth_threshold" {
  description = "Alarm when the Celery queue holds more messages than this for 10 minutes (workers are not keeping up or are stuck)."
  type        = number
  default     = 1000
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
