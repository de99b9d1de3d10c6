output "proxy_endpoint" {
  description = "Host for DATABASE_URL (writes and tenant-routed reads) through RDS Proxy."
  value       = aws_db_proxy.main.endpoint
}

output "replica_endpoints" {
  description = "Hosts for DATABASE_REPLICA_URL (reporting reads)."
  value       = aws_db_instance.replica[*].address
}

output "primary_identifier" {
  description = "RDS identifier of the primary (alarms, snapshots)."
  value       = aws_db_instance.primary.identifier
}

output "master_secret_arn" {
  description = "Secrets Manager secret holding the RDS-managed master password."
  value       = aws_db_instance.primary.master_user_secret[0].secret_arn
}

output "proxy_security_group_id" {
  description = "Security group of the proxy."
  value       = aws_security_group.proxy.id
}
