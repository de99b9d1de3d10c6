output "platform_secret_arns" {
  description = "Platform secrets by short name (django-secret-key, jwt-signing-key, kyc-encryption-keys, ...)."
  value       = { for key, secret in aws_secretsmanager_secret.platform : key => secret.arn }
}
