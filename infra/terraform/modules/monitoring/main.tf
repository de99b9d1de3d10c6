# CloudWatch alarms on the numbers that matter to users and to money:
#   API error rate > 1 %, p95 latency > 500 ms (ALB metrics),
#   failed purchases > 5 %, a provider circuit open and Celery queue depth (NexusTop business metrics,
#   published from /metrics by the CloudWatch agent sidecar, see the compute module),
#   plus database health. Every alarm notifies the on-call SNS topic. The first three also roll a
#   blue-green web deploy back (modules/delivery). The same rules for Prometheus: infra/monitoring.

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "api_error_rate" {
  alarm_name          = "${var.name}-api-error-rate"
  alarm_description   = "More than ${var.api_error_rate_percent} % of API requests answered 5xx. Runbook: docs/operations.md"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_error_rate_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "error_rate"
    expression  = "100 * FILL(errors, 0) / IF(requests > 0, requests, 1)"
    label       = "5xx share of requests (%)"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }
  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "api_p95_latency" {
  alarm_name          = "${var.name}-api-p95-latency"
  alarm_description   = "p95 API latency above ${var.api_p95_latency_seconds * 1000} ms."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_p95_latency_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "failed_purchases" {
  alarm_name          = "${var.name}-failed-purchases"
  alarm_description   = "More than ${var.failed_purchase_percent} % of finished purchases failed (provider outage?). Runbook: docs/operations.md#provider-outage"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.failed_purchase_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "failed_share"
    expression  = "100 * FILL(failed, 0) / IF(FILL(failed, 0) + FILL(succeeded, 0) > 0, FILL(failed, 0) + FILL(succeeded, 0), 1)"
    label       = "failed share of finished purchases (%)"
    return_data = true
  }
  metric_query {
    id = "failed"
    metric {
      namespace   = "NexusTop"
      metric_name = "nexustop_purchases_total"
      dimensions  = { Environment = var.name, status = "failed" }
      period      = 300
      stat        = "Sum"
    }
  }
  metric_query {
    id = "succeeded"
    metric {
      namespace   = "NexusTop"
      metric_name = "nexustop_purchases_total"
      dimensions  = { Environment = var.name, status = "succeeded" }
      period      = 300
      stat        = "Sum"
    }
  }
  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "queue_depth" {
  alarm_name          = "${var.name}-celery-queue-depth"
  alarm_description   = "Celery queue above ${var.queue_depth_threshold} messages for 10 minutes. Runbook: docs/operations.md#stuck-queue"
  namespace           = "NexusTop"
  metric_name         = "nexustop_celery_queue_depth"
  dimensions          = { Environment = var.name, queue = "nexustop" }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 10
  datapoints_to_alarm = 10
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.queue_depth_threshold
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "provider_circuit_open" {
  alarm_name          = "${var.name}-provider-circuit-open"
  alarm_description   = "A provider's circuit breaker is open: its purchases go to the next provider. Runbook: docs/operations.md#provider-outage"
  namespace           = "NexusTop"
  metric_name         = "nexustop_provider_circuit_open"
  dimensions          = { Environment = var.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "database_cpu" {
  alarm_name          = "${var.name}-postgres-cpu"
  alarm_description   = "PostgreSQL primary CPU above 80 % for 15 minutes: scale the instance or move reads to the replica."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "database_storage" {
  alarm_name          = "${var.name}-postgres-free-storage"
  alarm_description   = "Less than 20 GiB free on the PostgreSQL primary."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 21474836480
  alarm_actions       = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}
