output "platform_secret_arns" {
  description = "Platform secrets by short name (django-secret-key, metrics-bearer-token, ...)."
  value       = { for key, secret in aws_secretsmanager_secret.platform : key => secret.arn }
}

output "provider_secret_arns" {
  description = "Provider credential secrets by plugin name."
  value       = { for key, secret in aws_secretsmanager_secret.provider : key => secret.arn }
}

output "all_secret_arns" {
  description = "Every secret the tasks may read (for the execution role policy)."
  value       = concat(values(aws_secretsmanager_secret.platform)[*].arn, values(aws_secretsmanager_secret.provider)[*].arn)
}
