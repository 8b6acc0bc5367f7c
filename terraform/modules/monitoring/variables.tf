variable "project_id" {
  description = "GCP project of the log-based metrics, notification channels and alert policies."
  type        = string
}

variable "env" {
  description = "Environment name, shown in every alert policy's name (dev, prod)."
  type        = string
}

variable "metric_names" {
  description = "Log-based metric names by key (modules/names output log_metrics): task_failures, dq_gate_failures, spark_application_failures, days_published."
  type        = map(string)

  validation {
    condition     = toset(keys(var.metric_names)) == toset(["task_failures", "dq_gate_failures", "spark_application_failures", "days_published"])
    error_message = "metric_names needs exactly the keys task_failures, dq_gate_failures, spark_application_failures and days_published."
  }
}

variable "airflow_namespace" {
  description = "Kubernetes namespace of the Airflow pods whose stdout carries the caec_alert JSON lines (modules/names namespaces.airflow)."
  type        = string
}

variable "jobs_namespace" {
  description = "Kubernetes namespace of the SparkApplications (modules/names namespaces.jobs)."
  type        = string
}

variable "dag_id" {
  description = "Airflow DAG whose alerts are counted (caec_airflow.DAG_ID)."
  type        = string
  default     = "clickstream_daily"
}

variable "notification_channels" {
  description = "Existing Cloud Monitoring notification channels (projects/PROJECT/notificationChannels/ID) every CAEC alert policy notifies: Slack, PagerDuty, webhooks are created in the console because they need tokens Terraform should not hold."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", c))])
    error_message = "notification_channels entries must be notification channel resource names: projects/PROJECT/notificationChannels/NUMBER."
  }
}

variable "alert_emails" {
  description = "E-mail addresses (an on-call list, not a person's inbox) that get an email notification channel created here and every CAEC alert."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails entries must be e-mail addresses (name@domain.tld)."
  }
}

variable "freshness_deadline_hour_utc" {
  description = "Hour of the day (UTC, 1-23) by which the previous day must be published; from then until midnight the freshness alert fires while no day was published in the last 24 hours."
  type        = number
  default     = 6
  nullable    = false

  validation {
    condition     = var.freshness_deadline_hour_utc >= 1 && var.freshness_deadline_hour_utc <= 23 && floor(var.freshness_deadline_hour_utc) == var.freshness_deadline_hour_utc
    error_message = "freshness_deadline_hour_utc must be a whole hour from 1 to 23 (the daily run starts at 00:00 UTC)."
  }
}

variable "labels" {
  description = "User labels on every alert policy and notification channel."
  type        = map(string)
  default     = {}
}
