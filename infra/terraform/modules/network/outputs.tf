output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.main.id
}

output "vpc_cidr" {
  description = "The VPC CIDR (security groups allow traffic from inside it only)."
  value       = aws_vpc.main.cidr_block
}

output "public_subnet_ids" {
  description = "Subnets for the load balancer and NAT gateways only."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Subnets for ECS tasks (egress through NAT)."
  value       = aws_subnet.private[*].id
}

output "data_subnet_ids" {
  description = "Isolated subnets for RDS and ElastiCache (no internet route)."
  value       = aws_subnet.data[*].id
}

output "local_zone_subnet_ids" {
  description = "The Local Zone subnet, when one is configured."
  value       = aws_subnet.local_zone[*].id
}

output "app_security_group_id" {
  description = "Security group of every ECS task."
  value       = aws_security_group.app.id
}
