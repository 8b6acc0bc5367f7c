# The inputs of modules/platform (validated and documented there) plus the provider's labels, each set by
# envs/<env>/terraform.tfvars. Optional ones default to null = modules/platform's default, so a default
# is stated once, in the module; structured ones are typed there too (`any` here).
variable "env" {
  description = "Environment name: dev or prod, the envs/<env> folder whose tfvars set it and whose backend prefix is caec/<env>."
  type        = string
}

variable "project_id" {
  description = "GCP project of this environment (see modules/platform)."
  type        = string
}

variable "region" {
  description = "GCP region of this environment and of the provider (see modules/platform)."
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

variable "github_allowed_refs" {
  description = "Git refs allowed to authenticate from GitHub Actions (null: modules/platform's default, every ref)."
  type        = list(string)
  default     = null
}

variable "enable_private_endpoint" {
  description = "Control plane only on its private endpoint (null: modules/platform's default, false)."
  type        = bool
  default     = null
}

variable "system_pool" {
  description = "GKE system pool sizing (null: the gke module's defaults; typed in modules/platform)."
  type        = any
  default     = null
}

variable "spark_pool" {
  description = "GKE Spark pool sizing and Spot use (null: the gke module's defaults; typed in modules/platform)."
  type        = any
  default     = null
}

variable "retention_days" {
  description = "Days kept per data layer (null: modules/platform's default; typed and validated there)."
  type        = any
  default     = null
}

variable "bucket_lifecycle" {
  description = "Retention lock and COLDLINE move per bucket (null: modules/platform's default; typed there)."
  type        = any
  default     = null
}

variable "logs_retention_days" {
  description = "Days the logs bucket keeps task and access logs (null: modules/platform's default)."
  type        = number
  default     = null
}

variable "deletion_protection" {
  description = "Protect the cluster and non-empty buckets/datasets against destroy (null: modules/platform's default, true)."
  type        = bool
  default     = null
}

variable "notification_channels" {
  description = "Existing Cloud Monitoring notification channels CAEC alerts notify (null: none)."
  type        = list(string)
  default     = null
}

variable "alert_emails" {
  description = "On-call e-mail addresses that get every CAEC alert (null: none)."
  type        = list(string)
  default     = null
}

variable "freshness_deadline_hour_utc" {
  description = "Hour (UTC) by which yesterday must be published (null: modules/platform's default)."
  type        = number
  default     = null
}
