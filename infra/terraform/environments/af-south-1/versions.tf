terraform {
  required_version = ">= 1.6"
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.70" }
    random = { source = "hashicorp/random", version = "~> 3.6" }
  }

  # State in an encrypted, versioned S3 bucket of this region; the bucket and the
  # lock table are passed at init (nothing account-specific in code):
  #   terraform init -backend-config=backend.hcl
  backend "s3" {
    key     = "nexustop/terraform.tfstate"
    encrypt = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

# CloudFront certificates, the CloudFront-scoped WAF and its logs live in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = local.tags
  }
}
