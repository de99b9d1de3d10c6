# Continuous delivery: blue-green deploys of the web service (CodeDeploy with ECS) that roll back by
# themselves on the alarms that matter, and the role the GitHub Actions pipeline deploys with
# (.github/workflows/deploy.yml, docs/operations.md "Deploy").
#
#   1. The pipeline registers the image's task definitions (terraform apply -target), runs the
#      migrate task once, then asks CodeDeploy for a blue-green deployment of web.
#   2. CodeDeploy starts the new task set behind the idle target group, shifts 10 % of production
#      traffic to it, waits 5 minutes, then shifts the rest (CodeDeployDefault.ECSCanary10Percent5Minutes).
#   3. If the API 5xx-rate, p95-latency or failed-purchases alarm goes off at any point (including the
#      bake time after the shift), CodeDeploy puts all traffic back on the old task set.
#   4. The old task set is kept for `termination_wait_minutes` (a fast manual rollback), then stopped.

data "aws_iam_policy_document" "codedeploy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  name               = "${var.name}-codedeploy"
  assume_role_policy = data.aws_iam_policy_document.codedeploy_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "codedeploy" {
  role       = aws_iam_role.codedeploy.name
  policy_arn = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
}

resource "aws_codedeploy_app" "web" {
  name             = "${var.name}-web"
  compute_platform = "ECS"
  tags             = var.tags
}

resource "aws_codedeploy_deployment_group" "web" {
  app_name               = aws_codedeploy_app.web.name
  deployment_group_name  = "web"
  service_role_arn       = aws_iam_role.codedeploy.arn
  deployment_config_name = var.deployment_config_name

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  blue_green_deployment_config {
    deployment_ready_option {
      action_on_timeout = "CONTINUE_DEPLOYMENT"
    }
    terminate_blue_instances_on_deployment_success {
      action                           = "TERMINATE"
      termination_wait_time_in_minutes = var.termination_wait_minutes
    }
  }

  # Automatic rollback: a failed deployment, or any of these alarms while it runs.
  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  alarm_configuration {
    enabled                   = true
    ignore_poll_alarm_failure = false
    alarms                    = var.rollback_alarm_names
  }

  ecs_service {
    cluster_name = var.cluster_name
    service_name = var.web_service_name
  }

  load_balancer_info {
    target_group_pair_info {
      prod_traffic_route {
        listener_arns = [var.https_listener_arn]
      }
      target_group {
        name = var.target_group_names["blue"]
      }
      target_group {
        name = var.target_group_names["green"]
      }
    }
  }
  tags = var.tags
}

# --- the pipeline's role (GitHub Actions OIDC: no long-lived AWS keys in GitHub) ---------------
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

resource "aws_iam_openid_connect_provider" "github" {
  count           = var.create_github_oidc_provider ? 1 : 0
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
  tags            = var.tags
}

locals {
  github_oidc_arn = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com"
}

data "aws_iam_policy_document" "deployer_assume" {
  #checkov:skip=CKV_AWS_358:The sub claim is an exact StringEquals on repo:<owner>/<repo>:environment:<protected environment>; checkov misreads the interpolated value.
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    # Only workflow runs of this repository in this region's GitHub environment (protected: reviewers).
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.github_repository}:environment:${var.github_environment}"]
    }
  }
}

resource "aws_iam_role" "deployer" {
  name                 = "${var.name}-github-deployer"
  assume_role_policy   = data.aws_iam_policy_document.deployer_assume.json
  max_session_duration = 3600
  tags                 = var.tags
}

# Terraform plans need to read what they manage; the writes are only the ones below.
resource "aws_iam_role_policy_attachment" "deployer_read" {
  role       = aws_iam_role.deployer.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "deployer" {
  statement {
    sid       = "PushImages"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart", "ecr:BatchGetImage"]
    resources = [var.ecr_repository_arn]
  }
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "TaskDefinitions"
    actions   = ["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:TagResource"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [data.aws_region.current.name]
    }
  }
  statement {
    sid       = "RunMigrateAndRollWorkers"
    actions   = ["ecs:RunTask", "ecs:UpdateService", "ecs:DescribeTasks", "ecs:DescribeServices"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = var.task_role_arns
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
  statement {
    sid       = "BlueGreen"
    actions   = ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:GetDeploymentConfig", "codedeploy:RegisterApplicationRevision", "codedeploy:GetApplicationRevision", "codedeploy:StopDeployment"]
    resources = [aws_codedeploy_app.web.arn, "arn:aws:codedeploy:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:deploymentgroup:${aws_codedeploy_app.web.name}/*", "arn:aws:codedeploy:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:deploymentconfig:*"]
  }
  statement {
    sid       = "TerraformState"
    actions   = ["s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    resources = var.terraform_state_arns
  }
}

resource "aws_iam_role_policy" "deployer" {
  #checkov:skip=CKV_AWS_290:ecr:GetAuthorizationToken and task-definition registration have no resource-level permissions (region-limited).
  #checkov:skip=CKV_AWS_355:Same: these actions only accept "*" as resource.
  name   = "deploy"
  role   = aws_iam_role.deployer.id
  policy = data.aws_iam_policy_document.deployer.json
}
