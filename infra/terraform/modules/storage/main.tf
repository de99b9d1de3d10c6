# KYC documents. Private, SSE-KMS encrypted, versioned, public access blocked at
# the bucket, TLS-only. Keys are tenant-prefixed so a tenant's documents can be
# exported, erased or audited as one prefix, and IAM can be narrowed per tenant:
#
#   tenants/<schema_name>/kyc/<user_id>/<document_uuid>.<ext>
#
# (django-storages writes with that prefix; the schema name comes from the
# request's tenant, never from user input.) The bucket is regional: a country's
# documents stay in the region of its environment folder, and there is no
# cross-region replication by design (data localisation).

data "aws_caller_identity" "current" {}

data "aws_elb_service_account" "current" {}

locals {
  kyc_bucket  = "${var.name}-kyc-${data.aws_caller_identity.current.account_id}"
  logs_bucket = "${var.name}-s3-access-logs-${data.aws_caller_identity.current.account_id}"
}

# --- access-log bucket ------------------------------------------------------
resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_145:S3 server access log delivery only supports SSE-S3 targets, not SSE-KMS.
  #checkov:skip=CKV_AWS_18:This is the access-log target itself; logging it into itself would loop.
  #checkov:skip=CKV_AWS_144:Data localisation: logs stay in the region, no cross-region replication.
  #checkov:skip=CKV2_AWS_62:No consumer for object events on access logs.
  bucket        = local.logs_bucket
  force_destroy = false
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# CloudFront standard logs are written with an ACL (awslogsdelivery), which
# BucketOwnerEnforced would reject; BucketOwnerPreferred still makes us own every object.
resource "aws_s3_bucket_ownership_controls" "access_logs" {
  #checkov:skip=CKV2_AWS_65:CloudFront standard logging writes with the awslogsdelivery ACL; no public ACL can be set (public access block).
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

# S3 server access logging only delivers to SSE-S3 buckets, not SSE-KMS.
resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  # S3 server access log delivery does not support SSE-KMS targets: SSE-S3 (AES256).
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.access_log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
  statement {
    sid       = "AlbAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/alb/*"]
    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }
  statement {
    sid       = "AlbAccessLogsDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/alb/*"]
    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json
}

# --- KYC bucket -------------------------------------------------------------
resource "aws_s3_bucket" "kyc" {
  #checkov:skip=CKV_AWS_144:Data localisation: KYC documents must not be replicated outside the region.
  #checkov:skip=CKV2_AWS_62:Uploads are registered by the app in the same request; no S3 event consumer.
  bucket        = local.kyc_bucket
  force_destroy = false
  tags          = merge(var.tags, { DataClass = "kyc-pii" })
}

resource "aws_s3_bucket_public_access_block" "kyc" {
  bucket                  = aws_s3_bucket.kyc.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "kyc" {
  bucket = aws_s3_bucket.kyc.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "kyc" {
  bucket = aws_s3_bucket.kyc.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "kyc" {
  bucket = aws_s3_bucket.kyc.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "kyc" {
  bucket        = aws_s3_bucket.kyc.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "kyc/"
}

resource "aws_s3_bucket_lifecycle_configuration" "kyc" {
  bucket = aws_s3_bucket.kyc.id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "kyc" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.kyc.arn, "${aws_s3_bucket.kyc.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
  statement {
    sid       = "DenyUnencryptedUploads"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.kyc.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }
  statement {
    sid       = "DenyKeysOutsideTenantPrefix"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    not_resources = ["${aws_s3_bucket.kyc.arn}/tenants/*"]
  }
}

resource "aws_s3_bucket_policy" "kyc" {
  bucket = aws_s3_bucket.kyc.id
  policy = data.aws_iam_policy_document.kyc.json
}
