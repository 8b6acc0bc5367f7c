# Alerts that reach a person when the pipeline breaks, independent of Airflow being up to send them.
#
# Signals (log-based counter metrics):
#   task_failures / dq_gate_failures  the JSON lines caec_airflow.alerts writes to the Airflow pods' stdout
#                                     (CAEC_ALERT_LOG_FILE=/proc/1/fd/1): {"caec_alert": "task_failed" |
#                                     "dq_gate_failed", "task_id": ...}; Cloud Logging parses them into jsonPayload
#   spark_application_failures        the Kubernetes event the Spark Operator records on a failed
#                                     SparkApplication (reason SparkApplicationFailed), exported by GKE to
#                                     the project's "events" log: catches Spark failures even when the
#                                     Airflow task that submitted the application was not the one to notice
#   days_published                    the {"caec_alert": "published"} line of the publish task
# Policies: one per failure metric (any count > 0 in 5 minutes), and a freshness policy (PromQL) that
# fires from the deadline hour until midnight UTC when no day was published in the last 24 hours.
locals {
  airflow_lines = join(" AND ", [
    "resource.type=\"k8s_container\"",
    "resource.labels.namespace_name=\"${var.airflow_namespace}\"",
    "jsonPayload.dag_id=\"${var.dag_id}\"",
  ])

  metrics = {
    task_failures = {
      title       = "Airflow task failed"
      description = "CAEC ${var.env}: final failures (after retries) of ${var.dag_id} tasks, other than the data-quality gate."
      filter      = "${local.airflow_lines} AND jsonPayload.caec_alert=\"task_failed\""
      task_label  = true
    }
    dq_gate_failures = {
      title       = "Data-quality gate failed"
      description = "CAEC ${var.env}: the DQ gate of ${var.dag_id} refused a day (failing checks in the log line)."
      filter      = "${local.airflow_lines} AND jsonPayload.caec_alert=\"dq_gate_failed\""
      task_label  = true
    }
    spark_application_failures = {
      title       = "SparkApplication failed"
      description = "CAEC ${var.env}: SparkApplications in ${var.jobs_namespace} that ended failed (Spark Operator event)."
      filter = join(" AND ", [
        "logName=\"projects/${var.project_id}/logs/events\"",
        "jsonPayload.reason=\"SparkApplicationFailed\"",
        "jsonPayload.involvedObject.kind=\"SparkApplication\"",
        "jsonPayload.involvedObject.namespace=\"${var.jobs_namespace}\"",
      ])
      task_label = false
    }
    days_published = {
      title       = "Day published"
      description = "CAEC ${var.env}: publish runs of ${var.dag_id} (one line per successful publish task); the freshness alert counts them."
      filter      = "${local.airflow_lines} AND jsonPayload.caec_alert=\"published\""
      task_label  = false
    }
  }

  metric_types = { for k, m in google_logging_metric.this : k => "logging.googleapis.com/user/${m.name}" }
  failure_keys = toset(["task_failures", "dq_gate_failures", "spark_application_failures"])
  channels     = concat(var.notification_channels, [for c in google_monitoring_notification_channel.email : c.name])

  # PromQL name of a log-based metric: logging.googleapis.com/user/NAME -> logging_googleapis_com:user_NAME.
  published_promql = "logging_googleapis_com:user_${google_logging_metric.this["days_published"].name}{monitored_resource=\"k8s_container\"}"
  runbook          = "Runbook: docs/monitoring.md in the CAEC repository (what each alert means, where to look, how to re-run a day)."
}

resource "google_logging_metric" "this" {
  for_each = local.metrics

  project     = var.project_id
  name        = var.metric_names[each.key]
  description = each.value.description
  filter      = each.value.filter

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "CAEC ${var.env}: ${each.value.title}"

    dynamic "labels" {
      for_each = each.value.task_label ? ["task_id"] : []
      content {
        key         = labels.value
        value_type  = "STRING"
        description = "Airflow task id of the failed task."
      }
    }
  }

  label_extractors = each.value.task_label ? { task_id = "EXTRACT(jsonPayload.task_id)" } : {}
}

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alert_emails)

  project      = var.project_id
  display_name = "CAEC ${var.env} alerts: ${each.value}"
  type         = "email"
  labels       = { email_address = each.value }
  user_labels  = var.labels
}

resource "google_monitoring_alert_policy" "failures" {
  for_each = local.failure_keys

  project               = var.project_id
  display_name          = "CAEC ${var.env}: ${local.metrics[each.key].title}"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "${local.metrics[each.key].title} (any in 5 minutes)"

    condition_threshold {
      filter          = "metric.type=\"${local.metric_types[each.key]}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = local.metrics[each.key].task_label ? ["metric.label.task_id"] : []
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    # A failure is an event, not a state: close the incident after a day if nothing new happened.
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "CAEC ${var.env}: ${local.metrics[each.key].title}"
    content   = "${local.metrics[each.key].description} The Airflow webhook alert carries the run, try, error and failing checks. ${local.runbook}"
  }
}

# Freshness: "yesterday is published by HH:00 UTC". A metric-absence condition cannot express a clock
# hour (it fires a fixed duration after the last point, whenever that was), so the condition is PromQL,
# which has hour(): from the deadline hour until midnight, true while no publish line was counted in
# the last 24 hours. The daily run starts at 00:00 UTC, so before the deadline today's publish is the
# only one that can be in the window once yesterday's on-time publish has aged out; a late publish the
# day before (after HH:00) still counts and delays this alert by as many hours as it was late.
resource "google_monitoring_alert_policy" "freshness" {
  project               = var.project_id
  display_name          = "CAEC ${var.env}: no day published by ${format("%02d", var.freshness_deadline_hour_utc)}:00 UTC"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "no publish line in 24 h after ${format("%02d", var.freshness_deadline_hour_utc)}:00 UTC"

    condition_prometheus_query_language {
      query               = "(hour() >= ${var.freshness_deadline_hour_utc}) unless on() (sum(increase(${local.published_promql}[24h])) > 0)"
      duration            = "0s"
      evaluation_interval = "300s"
      alert_rule          = "CaecDayNotPublished"
      rule_group          = "caec-${var.env}-freshness"
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "CAEC ${var.env}: no day published by ${format("%02d", var.freshness_deadline_hour_utc)}:00 UTC"
    content   = "No publish of ${var.dag_id} in the last 24 hours: the run is late, failed (see the failure alerts) or Airflow is down. ${local.runbook}"
  }
}

# Warn (plan/apply warning, not an error) when the alerts would reach nobody.
check "alerts_reach_a_person" {
  assert {
    condition     = length(var.notification_channels) + length(var.alert_emails) > 0
    error_message = "No notification channel: CAEC ${var.env} alert policies are created but notify nobody. Set notification_channels or alert_emails."
  }
}
