# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
mock_provider "google" {}

variables {
  project_id        = "my-project"
  env               = "dev"
  airflow_namespace = "caec-airflow"
  jobs_namespace    = "caec-jobs"
  alert_emails      = ["caec-oncall@example.com"]
  metric_names = {
    task_failures              = "caec_dev_task_failures"
    dq_gate_failures           = "caec_dev_dq_gate_failures"
    spark_application_failures = "caec_dev_spark_application_failures"
    days_published             = "caec_dev_days_published"
  }
}

run "failures_and_freshness_alert_a_person" {
  command = plan

  assert {
    condition     = strcontains(google_logging_metric.this["dq_gate_failures"].filter, "jsonPayload.caec_alert=\"dq_gate_failed\"") && strcontains(google_logging_metric.this["dq_gate_failures"].filter, "resource.labels.namespace_name=\"caec-airflow\"")
    error_message = "The DQ-gate metric must count the dq_gate_failed lines of the Airflow pods."
  }

  assert {
    condition     = strcontains(google_logging_metric.this["spark_application_failures"].filter, "jsonPayload.reason=\"SparkApplicationFailed\"") && strcontains(google_logging_metric.this["spark_application_failures"].filter, "logs/events")
    error_message = "The Spark metric must count the Spark Operator's SparkApplicationFailed events."
  }

  assert {
    condition     = length(google_monitoring_alert_policy.failures) == 3 && alltrue([for p in google_monitoring_alert_policy.failures : p.conditions[0].condition_threshold[0].threshold_value == 0])
    error_message = "Each failure metric needs its policy, firing on the first count."
  }

  assert {
    condition     = strcontains(google_monitoring_alert_policy.freshness.conditions[0].condition_prometheus_query_language[0].query, "hour() >= 6") && strcontains(google_monitoring_alert_policy.freshness.conditions[0].condition_prometheus_query_language[0].query, "logging_googleapis_com:user_caec_dev_days_published")
    error_message = "The freshness policy must compare the hour with the deadline and count the published metric."
  }
}

run "a_deadline_outside_the_day_is_rejected" {
  command = plan

  variables {
    freshness_deadline_hour_utc = 24
  }

  expect_failures = [var.freshness_deadline_hour_utc]
}

run "a_channel_must_be_a_resource_name" {
  command = plan

  variables {
    notification_channels = ["#caec-alerts"]
  }

  expect_failures = [var.notification_channels]
}
