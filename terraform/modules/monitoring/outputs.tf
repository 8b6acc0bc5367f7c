output "metric_types" {
  description = "Cloud Monitoring metric type of each log-based metric by key (logging.googleapis.com/user/NAME)."
  value       = local.metric_types
}

output "alert_policy_ids" {
  description = "Resource names of the alert policies by key (task_failures, dq_gate_failures, spark_application_failures, freshness)."
  value       = merge({ for k, p in google_monitoring_alert_policy.failures : k => p.name }, { freshness = google_monitoring_alert_policy.freshness.name })
}

output "notification_channels" {
  description = "Notification channels every CAEC alert policy notifies (the given ones plus the email channels created here)."
  value       = local.channels
}
