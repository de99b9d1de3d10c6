variable "name" {
  description = "Prefix for every resource name."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster of the web service."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster ARN (the pipeline may run tasks and update services there only)."
  type        = string
}

variable "web_service_name" {
  description = "The ECS service deployed blue-green (deployment controller CODE_DEPLOY)."
  type        = string
}

variable "https_listener_arn" {
  description = "Production listener whose traffic CodeDeploy shifts."
  type        = string
}

variable "target_group_names" {
  description = "The blue and green target groups (keys: blue, green)."
  type        = map(string)
}

variable "rollback_alarm_names" {
  description = "CloudWatch alarms that stop and roll back a deployment (API 5xx rate, p95 latency, failed purchases)."
  type        = list(string)

  validation {
    condition     = length(var.rollback_alarm_names) >= 3
    error_message = "Roll back on at least the API error-rate, latency and failed-purchases alarms."
  }
}

variable "deployment_config_name" {
  description = "How traffic shifts to the new task set (canary 10 % for 5 minutes, then all)."
  type        = string
  default     = "CodeDeployDefault.ECSCanary10Percent5Minutes"
}

variable "termination_wait_minutes" {
  description = "Minutes the old task set keeps running after a successful deploy (instant manual rollback window)."
  type        = number
  default     = 15
}

variable "ecr_repository_arn" {
  description = "The image repository the pipeline pushes to."
  type        = string
}

variable "task_role_arns" {
  description = "Execution and task roles the pipeline passes to ECS (migrate task, task definitions)."
  type        = list(string)
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflow deploys (OIDC trust)."
  type        = string
}

variable "github_environment" {
  description = "GitHub environment of this region's deploy job (protect it with required reviewers)."
  type        = string
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (only once per account: false in the second region)."
  type        = bool
  default     = true
}

variable "terraform_state_arns" {
  description = "Terraform state bucket objects and lock table the pipeline's targeted applies use."
  type        = list(string)
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
