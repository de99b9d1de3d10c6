output "distribution_domain_name" {
  description = "Point each tenant domain (CNAME/alias) here."
  value       = aws_cloudfront_distribution.main.domain_name
}

output "distribution_id" {
  description = "For cache invalidations and alarms."
  value       = aws_cloudfront_distribution.main.id
}

output "web_acl_arn" {
  description = "The WAF web ACL attached to the distribution."
  value       = aws_wafv2_web_acl.main.arn
}
