output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "rollback_alarm_names" {
  description = "Alarms that roll a blue-green deploy back (API 5xx rate, p95 latency, failed purchases)."
  value = [
    aws_cloudwatch_metric_alarm.api_error_rate.alarm_name,
    aws_cloudwatch_metric_alarm.api_p95_latency.alarm_name,
    aws_cloudwatch_metric_alarm.failed_purchases.alarm_name,
  ]
}
