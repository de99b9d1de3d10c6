output "cloudfront_domain_name" {
  description = "Alias target for this region's tenant domains."
  value       = module.edge.distribution_domain_name
}

output "ecr_repository_url" {
  description = "Where the pipeline pushes the image."
  value       = module.compute.ecr_repository_url
}

output "migrate_task_definition_arn" {
  description = "One-off migrate task run before each deploy."
  value       = module.compute.migrate_task_definition_arn
}

output "kyc_bucket_name" {
  description = "KYC documents bucket of this region."
  value       = module.storage.kyc_bucket_name
}

output "alarm_topic_arn" {
  description = "Subscribe on-call tooling here."
  value       = module.monitoring.alarm_topic_arn
}

output "cluster_name" {
  description = "ECS cluster (the pipeline's run-task and wait commands)."
  value       = module.compute.cluster_name
}

output "task_definition_arns" {
  description = "Task definitions of the applied image tag, by process."
  value       = module.compute.task_definition_arns
}

output "migrate_network" {
  description = "awsvpcConfiguration of the one-off migrate task."
  value       = { subnets = module.compute.private_subnet_ids, securityGroups = [module.compute.app_security_group_id] }
}

output "codedeploy_app_name" {
  description = "CodeDeploy application of the web service."
  value       = module.delivery.codedeploy_app_name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group of the web service."
  value       = module.delivery.codedeploy_deployment_group_name
}

output "deployer_role_arn" {
  description = "Role the GitHub workflow assumes for this region (environment secret AWS_DEPLOY_ROLE_ARN)."
  value       = module.delivery.deployer_role_arn
}
