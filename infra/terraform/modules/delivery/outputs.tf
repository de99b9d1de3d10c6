output "codedeploy_app_name" {
  description = "aws deploy create-deployment --application-name (the pipeline)."
  value       = aws_codedeploy_app.web.name
}

output "codedeploy_deployment_group_name" {
  description = "aws deploy create-deployment --deployment-group-name (the pipeline)."
  value       = aws_codedeploy_deployment_group.web.deployment_group_name
}

output "deployer_role_arn" {
  description = "Role the GitHub workflow assumes (secret AWS_DEPLOY_ROLE_ARN of the region's environment)."
  value       = aws_iam_role.deployer.arn
}
