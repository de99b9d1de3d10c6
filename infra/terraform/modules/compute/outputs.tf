output "alb_dns_name" {
  description = "CloudFront origin."
  value       = aws_lb.web.dns_name
}

output "alb_arn_suffix" {
  description = "For ALB CloudWatch metrics (error rate, latency alarms)."
  value       = aws_lb.web.arn_suffix
}

output "target_group_arn_suffix" {
  description = "For target-group CloudWatch metrics."
  value       = aws_lb_target_group.web.arn_suffix
}

output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.main.name
}

output "ecr_repository_url" {
  description = "Push images here (tag = git SHA)."
  value       = aws_ecr_repository.app.repository_url
}

output "migrate_task_definition_arn" {
  description = "Run before each deploy: aws ecs run-task --task-definition <this> (docs/operations.md)."
  value       = aws_ecs_task_definition.process["migrate"].arn
}
