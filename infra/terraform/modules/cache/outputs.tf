output "primary_endpoint" {
  description = "Host for REDIS_URL (rediss://, TLS)."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "auth_token_secret_arn" {
  description = "Secrets Manager secret holding the AUTH token."
  value       = aws_secretsmanager_secret.redis_auth.arn
}

output "replication_group_id" {
  description = "For alarms."
  value       = aws_elasticache_replication_group.main.id
}

output "redis_url_secret_arn" {
  description = "Secrets Manager secret holding the full REDIS_URL."
  value       = aws_secretsmanager_secret.redis_url.arn
}
