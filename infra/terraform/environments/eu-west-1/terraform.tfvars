# eu-west-1 (Ireland): francophone UEMOA tenants (SN, CI, ML, BF, NE, TG, BJ, GN,
# MR) whose operators contract for EU hosting; no Local Zone applies here.
# Non-secret values only: secret values live in Secrets Manager.
region             = "eu-west-1"
countries          = ["SN", "CI", "ML", "BF", "NE", "TG", "BJ", "GN", "GW", "MR", "CV"]
vpc_cidr           = "10.20.0.0/16"
availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
local_zone         = ""
image_tag          = "set-by-pipeline"
public_domain      = "admin-eu.nexustop.africa"
edge_aliases       = ["*.nexustop.sn", "*.nexustop.ci"]
cors_allowed_origins = [
  "https://app.nexustop.sn",
  "https://app.nexustop.ci",
]
# Provider credentials live in the provider registry (head-office console), not here.
sms_gateway_url         = "https://api.ng.termii.com"
kyc_verifier_url        = "https://api.smileidentity.com/v1"
kyc_verifier_partner_id = "set-per-account"
alarm_emails         = ["oncall@nexustop.africa"]
alb_certificate_arn        = "arn:aws:acm:eu-west-1:000000000000:certificate/set-per-account"
cloudfront_certificate_arn = "arn:aws:acm:us-east-1:000000000000:certificate/set-per-account"
create_github_oidc_provider = false # one GitHub OIDC provider per AWS account (created with af-south-1)
terraform_state_bucket      = "nexustop-terraform-state-eu-west-1"
