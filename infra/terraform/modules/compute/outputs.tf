output "alb_dns_name" {
  description = "CloudFront origin."
  value       = aws_lb.web.dns_name
}

output "alb_arn_suffix" {
  description = "For ALB CloudWatch metrics (error rate, latency alarms)."
  value       = aws_lb.web.arn_suffix
}

output "target_group_arn_suffixes" {
  description = "For target-group CloudWatch metrics (blue and green)."
  value       = { for color, group in aws_lb_target_group.web : color => group.arn_suffix }
}

output "target_group_names" {
  description = "The blue and green target groups CodeDeploy switches between."
  value       = { for color, group in aws_lb_target_group.web : color => group.name }
}

output "https_listener_arn" {
  description = "Production listener (CodeDeploy moves its traffic)."
  value       = aws_lb_listener.https.arn
}

output "web_service_name" {
  description = "The blue-green web service."
  value       = aws_ecs_service.web.name
}

output "task_definition_arns" {
  description = "Task definitions of this image tag, by process (web goes to CodeDeploy; migrate is run once)."
  value       = { for process, definition in aws_ecs_task_definition.process : process => definition.arn }
}

output "task_role_arns" {
  description = "Roles the task definitions use (the pipeline may pass them to ECS)."
  value       = [aws_iam_role.execution.arn, aws_iam_role.task.arn]
}

output "private_subnet_ids" {
  description = "Subnets for the one-off migrate task."
  value       = var.private_subnet_ids
}

output "app_security_group_id" {
  description = "Security group for the one-off migrate task."
  value       = var.app_security_group_id
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

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.main.arn
}

output "ecr_repository_arn" {
  description = "The image repository (the pipeline pushes here)."
  value       = aws_ecr_repository.app.arn
}
