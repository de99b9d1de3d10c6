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
