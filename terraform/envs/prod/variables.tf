# Only what terraform.tfvars sets (plus optional labels): types here, validations and defaults in
# modules/platform, which every value is passed to.
variable "project_id" {
  description = "GCP project of this environment (see modules/platform)."
  type        = string
}

variable "region" {
  description = "GCP region of this environment (see modules/platform)."
  type        = string
}

variable "bigquery_location" {
  description = "BigQuery location of this environment (see modules/platform)."
  type        = string
}

variable "persona_groups" {
  description = "Google group of each persona (see modules/platform)."
  type        = map(string)
}

variable "github_repository" {
  description = "GitHub repository OWNER/NAME whose workflows may deploy (see modules/platform)."
  type        = string
}

variable "master_authorized_networks" {
  description = "CIDR blocks allowed to reach the GKE control plane (see modules/platform)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
}

variable "labels" {
  description = "Extra labels on every resource that takes labels (cost attribution)."
  type        = map(string)
  default     = {}
}

variable "notification_channels" {
  description = "Existing Cloud Monitoring notification channels (projects/P/notificationChannels/N) CAEC alerts notify."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "On-call e-mail addresses that get every CAEC alert (an email channel each)."
  type        = list(string)
  default     = []
}
