# ECS Fargate: one image, five process types (see Procfile / docs/operations.md):
#   web      gunicorn behind the ALB, scales on CPU
#   worker   Celery workers, scale on CPU and on queue backlog per task
#   dispatcher held orders to their providers in batches (run_dispatcher), a fixed count
#   beat     Celery beat, exactly one task (a second beat would double every schedule)
#   migrate  one-off task run by the pipeline before services roll:
#            migrate_schemas --executor=multiprocessing, then sync_template_schema

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  image = "${aws_ecr_repository.app.repository_url}:${var.image_tag}"

  # Every name below is one the application reads (.env.example lists them all, with their
  # meaning); tests/infra/test_config_parity.py fails on any name injected here that the code
  # ignores, and on any variable production requires that is not injected here.
  common_environment = [
    { name = "DJANGO_SETTINGS_MODULE", value = "nexustop.settings.prod" },
    { name = "DATABASE_URL", value = "postgres://nexustop_admin@${var.database_host}:5432/nexustop?sslmode=require" },
    # RDS Proxy multiplexes transactions (no session pinning): the app sends the tenant
    # search_path inside each transaction (tenants/postgresql_backend).
    { name = "DATABASE_POOL_MODE", value = "transaction" },
    { name = "DATABASE_REPLICA_URL", value = var.database_replica_host == "" ? "" : "postgres://nexustop_admin@${var.database_replica_host}:5432/nexustop?sslmode=require" },
    { name = "DATABASE_CLUSTERS", value = join(",", [for alias, host in var.database_cluster_hosts : "${alias}=postgres://nexustop_admin@${host}:5432/nexustop?sslmode=require"]) },
    { name = "NEXUSTOP_PUBLIC_DOMAIN", value = var.public_domain },
    { name = "CORS_ALLOWED_ORIGINS", value = join(",", var.cors_allowed_origins) },
    { name = "KYC_DOCUMENTS_BUCKET", value = var.kyc_bucket_name },
    { name = "AWS_REGION", value = data.aws_region.current.name },
    { name = "SMS_GATEWAY_URL", value = var.sms_gateway_url },
    { name = "KYC_VERIFIER_URL", value = var.kyc_verifier_url },
    { name = "KYC_VERIFIER_PARTNER_ID", value = var.kyc_verifier_partner_id },
    { name = "METRICS_ALLOWED_IPS", value = "127.0.0.1" },
    { name = "PROMETHEUS_MULTIPROC_DIR", value = "/tmp/prometheus" },
    { name = "SENTRY_ENVIRONMENT", value = var.environment },
    { name = "APP_VERSION", value = var.image_tag },
  ]

  # Secrets Manager -> environment at task start (the execution role may read exactly these).
  common_secrets = [
    { name = "DATABASE_PASSWORD", valueFrom = "${var.database_secret_arn}:password::" },
    { name = "REDIS_URL", valueFrom = var.redis_url_secret_arn },
    { name = "DJANGO_SECRET_KEY", valueFrom = var.platform_secret_arns["django-secret-key"] },
    { name = "JWT_SIGNING_KEY", valueFrom = var.platform_secret_arns["jwt-signing-key"] },
    { name = "KYC_ENCRYPTION_KEYS", valueFrom = var.platform_secret_arns["kyc-encryption-keys"] },
    { name = "PROVIDER_CREDENTIALS_KEYS", valueFrom = var.platform_secret_arns["provider-credentials-keys"] },
    { name = "RESELLER_SECRET_KEYS", valueFrom = var.platform_secret_arns["reseller-secret-keys"] },
    { name = "SMS_GATEWAY_API_KEY", valueFrom = var.platform_secret_arns["sms-gateway-api-key"] },
    { name = "KYC_VERIFIER_API_KEY", valueFrom = var.platform_secret_arns["kyc-verifier-api-key"] },
    { name = "METRICS_BEARER_TOKEN", valueFrom = var.platform_secret_arns["metrics-bearer-token"] },
    { name = "SENTRY_DSN", valueFrom = var.platform_secret_arns["sentry-dsn"] },
  ]

  # Scratch space: the root filesystem is read-only.
  tmp_mount = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]

  # CloudWatch agent sidecar (web and worker tasks): scrapes the app's Prometheus
  # endpoint over localhost (web: /metrics on gunicorn, allow-listed IP 127.0.0.1;
  # worker: the exporter on 127.0.0.1:9100) and publishes the business metrics as
  # CloudWatch metrics (EMF), which the alarms and the queue-depth autoscaling read.
  scrape_targets = { web = "127.0.0.1:8000", worker = "127.0.0.1:9100" }

  metric_declaration = [
    { source_labels = ["job"], label_matcher = "^nexustop$", dimensions = [["Environment", "status"]], metric_selectors = ["^nexustop_purchases_total$"] },
    { source_labels = ["job"], label_matcher = "^nexustop$", dimensions = [["Environment", "queue"]], metric_selectors = ["^nexustop_celery_queue_depth$"] },
    { source_labels = ["job"], label_matcher = "^nexustop$", dimensions = [["Environment", "provider"]], metric_selectors = ["^nexustop_provider_request_seconds_(sum|count)$"] },
    { source_labels = ["job"], label_matcher = "^nexustop$", dimensions = [["Environment"]], metric_selectors = ["^nexustop_ledger_postings_total$"] },
    { source_labels = ["job"], label_matcher = "^nexustop$", dimensions = [["Environment"], ["Environment", "provider"]], metric_selectors = ["^nexustop_provider_circuit_open$"] },
    { source_labels = ["job"], label_matcher = "^nexustop$", dimensions = [["Environment", "provider", "outcome"]], metric_selectors = ["^nexustop_provider_requests_total$"] },
    { source_labels = ["job"], label_matcher = "^nexustop$", dimensions = [["Environment", "source", "outcome"]], metric_selectors = ["^nexustop_webhook_requests_total$"] },
    { source_labels = ["job"], label_matcher = "^nexustop$", dimensions = [["Environment", "check"]], metric_selectors = ["^nexustop_reconciliation_discrepancies$"] },
  ]

  metrics_sidecars = { for process, target in local.scrape_targets : process => {
    name                   = "metrics"
    image                  = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300049.1"
    essential              = false
    readonlyRootFilesystem = false
    user                   = "10001"
    environment = [
      {
        name = "PROMETHEUS_CONFIG_CONTENT"
        value = yamlencode({
          global = { scrape_interval = "30s", scrape_timeout = "10s" }
          scrape_configs = [{
            job_name        = "nexustop"
            metrics_path    = "/metrics"
            static_configs  = [{ targets = [target] }]
            relabel_configs = [{ target_label = "Environment", replacement = var.name }]
          }]
        })
      },
      {
        name = "CW_CONFIG_CONTENT"
        value = jsonencode({
          logs = {
            metrics_collected = {
              prometheus = {
                log_group_name = aws_cloudwatch_log_group.app["metrics"].name
                emf_processor  = { metric_namespace = "NexusTop", metric_declaration = local.metric_declaration }
              }
            }
          }
        })
      },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app["metrics"].name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = process
      }
    }
  } }

  processes = {
    web = {
      command = ["gunicorn", "nexustop.wsgi:application"]
      cpu     = var.web.cpu
      memory  = var.web.memory
      port    = 8000
      extra   = []
    }
    worker = {
      command = ["celery", "-A", "nexustop", "worker", "--loglevel=INFO", "--concurrency=${var.worker.concurrency_per_task}", "--without-gossip", "--without-mingle"]
      cpu     = var.worker.cpu
      memory  = var.worker.memory
      port    = 0
      extra   = [{ name = "METRICS_EXPORT_PORT", value = "9100" }]
    }
    # Held orders to their providers in batches (tenant_apps/orders/dispatch); several run side by side.
    dispatcher = {
      command = ["python", "manage.py", "run_dispatcher"]
      cpu     = var.dispatcher.cpu
      memory  = var.dispatcher.memory
      port    = 0
      extra   = []
    }
    beat = {
      command = ["celery", "-A", "nexustop", "beat", "--loglevel=INFO", "--schedule=/tmp/celerybeat-schedule"]
      cpu     = 256
      memory  = 512
      port    = 0
      extra   = []
    }
    migrate = {
      command = ["sh", "-c", "python manage.py migrate_schemas --shared --noinput && python manage.py migrate_clusters && python manage.py migrate_schemas --tenant --executor=multiprocessing --skip-checks --noinput && python manage.py sync_template_schema && python manage.py ensure_public_tenant"]
      cpu     = 2048
      memory  = 4096
      port    = 0
      extra   = [{ name = "TENANT_MULTIPROCESSING_MAX_PROCESSES", value = tostring(var.migrate_processes) }]
    }
  }
}

# --- image registry -----------------------------------------------------------
resource "aws_ecr_repository" "app" {
  name                 = "${var.name}/app"
  image_tag_mutability = "IMMUTABLE"
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
  image_scanning_configuration {
    scan_on_push = true
  }
  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 100 images (rollback window)"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 100 }
      action       = { type = "expire" }
    }]
  })
}

# --- logs ---------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "app" {
  for_each          = toset(["web", "worker", "dispatcher", "beat", "migrate", "metrics", "exec"])
  name              = "/nexustop/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# --- cluster --------------------------------------------------------------------
resource "aws_ecs_cluster" "main" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
  configuration {
    execute_command_configuration {
      kms_key_id = var.kms_key_arn
      logging    = "OVERRIDE"
      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.app["exec"].name
      }
    }
  }
  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
    base              = 1
  }
}

# --- IAM ----------------------------------------------------------------------
data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# Execution role: pulls the image, writes logs, injects secrets at start.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([var.database_secret_arn, var.redis_url_secret_arn], values(var.platform_secret_arns))
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "inject-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

# Task role: what the application itself may do.
resource "aws_iam_role" "task" {
  name               = "${var.name}-ecs-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "KycDocumentsTenantPrefixOnly"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion"]
    resources = ["${var.kyc_bucket_arn}/tenants/*"]
  }
  statement {
    sid       = "KycList"
    actions   = ["s3:ListBucket"]
    resources = [var.kyc_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["tenants/*"]
    }
  }
  statement {
    sid       = "Kms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "MetricsSidecar"
    actions   = ["cloudwatch:PutMetricData", "logs:PutLogEvents", "logs:CreateLogStream", "logs:DescribeLogStreams"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [data.aws_region.current.name]
    }
  }
  statement {
    sid       = "EcsExec"
    actions   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "task" {
  #checkov:skip=CKV_AWS_290:PutMetricData and ssmmessages have no resource-level permissions; limited by region condition.
  #checkov:skip=CKV_AWS_355:Same: these actions only accept "*" as resource.
  name   = "app"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- task definitions ------------------------------------------------------------
resource "aws_ecs_task_definition" "process" {
  for_each                 = local.processes
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode(concat([{
    name                   = each.key
    image                  = local.image
    command                = each.value.command
    essential              = true
    readonlyRootFilesystem = true
    user                   = "10001"
    privileged             = false
    environment            = concat(local.common_environment, each.value.extra)
    secrets                = local.common_secrets
    mountPoints            = local.tmp_mount
    portMappings           = each.value.port == 0 ? [] : [{ containerPort = each.value.port, protocol = "tcp" }]
    linuxParameters        = { initProcessEnabled = true }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app[each.key].name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = each.key
      }
    }
  }], contains(keys(local.metrics_sidecars), each.key) ? [local.metrics_sidecars[each.key]] : []))

  tags = var.tags
}

# --- load balancer ------------------------------------------------------------------
data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "ALB: HTTPS from CloudFront origin-facing addresses only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_cloudfront" {
  security_group_id = aws_security_group.alb.id
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "HTTPS from CloudFront"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  security_group_id            = aws_security_group.alb.id
  referenced_security_group_id = var.app_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  description                  = "To gunicorn"
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = var.app_security_group_id
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  description                  = "gunicorn from the ALB"
}

resource "aws_lb" "web" {
  #checkov:skip=CKV2_AWS_28:Only CloudFront can reach this ALB (origin-facing prefix list); the WAF web ACL is attached to the CloudFront distribution (edge module).
  name                       = substr("${var.name}-web", 0, 32)
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = true
  idle_timeout               = 60

  access_logs {
    bucket  = var.access_logs_bucket
    prefix  = "alb"
    enabled = true
  }
  tags = var.tags
}

# Blue-green: CodeDeploy moves production traffic between these two target groups (modules/delivery);
# which one is live changes with every deploy, so Terraform ignores the listener's forward target.
resource "aws_lb_target_group" "web" {
  #checkov:skip=CKV_AWS_378:TLS terminates at the ALB; ALB to task traffic stays inside the VPC's private subnets.
  for_each    = toset(["blue", "green"])
  name        = substr("${var.name}-web-${each.key}", 0, 32)
  port        = 8000
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  deregistration_delay = 30
  health_check {
    path                = "/health"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
  tags = var.tags
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.web.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web["blue"].arn
  }

  lifecycle {
    ignore_changes = [default_action] # CodeDeploy switches it between blue and green
  }
}

# /metrics is for the in-task sidecar only: never served through the load balancer.
resource "aws_lb_listener_rule" "hide_metrics" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 1
  action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      message_body = "{\"error\": {\"code\": \"not_found\", \"message\": \"Not found.\", \"fields\": {}}}"
      status_code  = "404"
    }
  }
  condition {
    path_pattern {
      values = ["/metrics", "/metrics/*"]
    }
  }
}

# --- services -----------------------------------------------------------------------
# The web service is deployed blue-green by CodeDeploy (modules/delivery): a new task set behind the idle
# target group takes 10 % of the traffic, then all of it, and is rolled back automatically when the API
# error-rate, p95 latency or failed-purchases alarm fires. Terraform registers the task definition; the
# pipeline hands it to CodeDeploy (docs/operations.md "Deploy").
resource "aws_ecs_service" "web" {
  name                              = "web"
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.process["web"].arn
  desired_count                     = var.web.min
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  enable_execute_command            = true
  propagate_tags                    = "SERVICE"
  health_check_grace_period_seconds = 60

  deployment_controller {
    type = "CODE_DEPLOY"
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.app_security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.web["blue"].arn
    container_name   = "web"
    container_port   = 8000
  }

  lifecycle {
    # CodeDeploy owns the running task definition and the live target group after the first deploy.
    ignore_changes = [desired_count, task_definition, load_balancer]
  }
  tags = var.tags
}

resource "aws_ecs_service" "worker" {
  name                               = "worker"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.process["worker"].arn
  desired_count                      = var.worker.min
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  enable_execute_command             = true
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.app_security_group_id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
  tags = var.tags
}

# The order dispatchers: any number may run (they claim with SKIP LOCKED and leases), so a deploy starts the
# new ones before stopping the old; a stopped one finishes and settles its batches in flight (SIGTERM).
resource "aws_ecs_service" "dispatcher" {
  name                               = "dispatcher"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.process["dispatcher"].arn
  desired_count                      = var.dispatcher.count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  enable_execute_command             = true
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.app_security_group_id]
    assign_public_ip = false
  }
  tags = var.tags
}

# Exactly one beat: stop the old task before starting the new one.
resource "aws_ecs_service" "beat" {
  name                               = "beat"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.process["beat"].arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.app_security_group_id]
    assign_public_ip = false
  }
  tags = var.tags
}

# --- autoscaling ------------------------------------------------------------------
resource "aws_appautoscaling_target" "web" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.web.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.web.min
  max_capacity       = var.web.max
}

resource "aws_appautoscaling_policy" "web_cpu" {
  name               = "${var.name}-web-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.web.cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker.min
  max_capacity       = var.worker.max
}

resource "aws_appautoscaling_policy" "worker_cpu" {
  name               = "${var.name}-worker-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.worker.cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Backlog per worker task = queue depth / running workers; keep it at backlog_per_task.
resource "aws_appautoscaling_policy" "worker_queue_depth" {
  name               = "${var.name}-worker-queue-depth"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.worker.backlog_per_task
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    customized_metric_specification {
      metrics {
        id          = "depth"
        return_data = false
        metric_stat {
          stat = "Maximum"
          metric {
            namespace   = "NexusTop"
            metric_name = "nexustop_celery_queue_depth"
            dimensions {
              name  = "Environment"
              value = var.name
            }
            dimensions {
              name  = "queue"
              value = "nexustop"
            }
          }
        }
      }
      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.main.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.worker.name
            }
          }
        }
      }
      metrics {
        id          = "backlog_per_task"
        expression  = "depth / IF(tasks > 0, tasks, 1)"
        label       = "Celery backlog per worker task"
        return_data = true
      }
    }
  }
}
