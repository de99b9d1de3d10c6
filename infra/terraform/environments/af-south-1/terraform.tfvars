# af-south-1 (Cape Town): the nearest AWS region to West Africa, with the Lagos
# Local Zone (af-south-1-los-1a) for lower latency to Nigerian users.
# Non-secret values only: secret values live in Secrets Manager.
region             = "af-south-1"
countries          = ["NG", "GH", "LR", "SL", "GM"]
vpc_cidr           = "10.10.0.0/16"
availability_zones = ["af-south-1a", "af-south-1b", "af-south-1c"]
local_zone         = "af-south-1-los-1a"
image_tag          = "set-by-pipeline"
public_domain      = "admin.nexustop.africa"
edge_aliases       = ["*.nexustop.ng", "*.nexustop.com.gh", "*.nexustop.africa"]
cors_allowed_origins = [
  "https://app.nexustop.ng",
  "https://app.nexustop.com.gh",
]
# Provider credentials live in the provider registry (head-office console), not here.
sms_gateway_url         = "https://api.ng.termii.com"
kyc_verifier_url        = "https://api.smileidentity.com/v1"
kyc_verifier_partner_id = "set-per-account"
alarm_emails         = ["oncall@nexustop.africa"]
# Certificates are issued out of band (DNS validation) and referenced by ARN.
alb_certificate_arn        = "arn:aws:acm:af-south-1:000000000000:certificate/set-per-account"
cloudfront_certificate_arn = "arn:aws:acm:us-east-1:000000000000:certificate/set-per-account"
create_github_oidc_provider = true # one GitHub OIDC provider per AWS account (created with af-south-1)
terraform_state_bucket      = "nexustop-terraform-state-af-south-1"
