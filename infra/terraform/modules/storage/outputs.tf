output "kyc_bucket_name" {
  description = "AWS_STORAGE_BUCKET_NAME for KYC documents."
  value       = aws_s3_bucket.kyc.bucket
}

output "kyc_bucket_arn" {
  description = "For the task role's tenant-prefixed S3 policy."
  value       = aws_s3_bucket.kyc.arn
}

output "access_logs_bucket_name" {
  description = "Bucket receiving S3 and ALB/CloudFront access logs."
  value       = aws_s3_bucket.access_logs.bucket
}

output "access_logs_bucket_domain_name" {
  description = "For CloudFront standard logging."
  value       = aws_s3_bucket.access_logs.bucket_domain_name
}
