variable "project_id" {
  description = "GCP project of this environment; every physical name derives from it (modules/names)."
  type        = string
}

variable "region" {
  description = "GCP region of the cluster, subnet, buckets and Artifact Registry."
  type        = string
  nullable    = false
  default     = "europe-west1"
}

variable "env" {
  description = "Environment name; part of every physical name (dev, prod)."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod (the environments under terraform/envs)."
  }
}

variable "bigquery_location" {
  description = "BigQuery location of the datasets and the PII taxonomy (EU, US or a region)."
  type        = string
  nullable    = false
  default     = "EU"
}

variable "persona_groups" {
  description = "Google group of each persona: platform_engineer, data_engineer, analyst, data_steward (group:NAME@DOMAIN). Every persona needs one."
  type        = map(string)

  validation {
    condition     = toset(keys(var.persona_groups)) == toset(["platform_engineer", "data_engineer", "analyst", "data_steward"])
    error_message = "persona_groups needs exactly the keys platform_engineer, data_engineer, analyst and data_steward."
  }
}

variable "github_repository" {
  description = "GitHub repository (OWNER/NAME) whose workflows may impersonate the CI service account."
  type        = string
}

variable "github_allowed_refs" {
  description = "Git refs allowed to authenticate from GitHub Actions (empty: every ref of the repository)."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "master_authorized_networks" {
  description = "CIDR blocks allowed to reach the GKE control plane (office, VPN, CI egress)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  nullable = false
  default  = []
}

variable "enable_private_endpoint" {
  description = "Expose only the control plane's private endpoint (then CI needs a path into the VPC)."
  type        = bool
  nullable    = false
  default     = false
}

variable "system_pool" {
  description = "GKE system pool sizing (null: the gke module's defaults)."
  type = object({
    machine_type   = string
    min_node_count = number
    max_node_count = number
    disk_size_gb   = number
  })
  default = null
}

variable "spark_pool" {
  description = "GKE Spark executor pool sizing and Spot use (null: the gke module's defaults)."
  type = object({
    machine_type   = string
    min_node_count = number
    max_node_count = number
    disk_size_gb   = number
    spot           = bool
  })
  default = null
}

variable "retention_days" {
  description = "How long data is kept, per layer, in days (0 = keep): the one retention setting. raw, staging, quarantine: GCS lifecycle deletion by object age in their buckets; staging, marts, audit: default partition expiration of their BigQuery datasets (staging sets both). Local runs apply the same keys to local partitions (CAEC_RETENTION_DAYS, docs/privacy.md)."
  type = object({
    raw        = number
    staging    = number
    quarantine = number
    marts      = number
    audit      = number
  })
  nullable = false
  default = {
    raw        = 400
    staging    = 400
    quarantine = 90
    marts      = 0
    audit      = 400
  }

  validation {
    condition     = alltrue([for d in values(var.retention_days) : d >= 0 && floor(d) == d])
    error_message = "retention_days are whole days >= 0 (0 = keep)."
  }

  validation {
    condition     = var.retention_days.quarantine > 0
    error_message = "Quarantined records may hold personal data (raw text): retention_days.quarantine must be > 0."
  }
}

variable "bucket_lifecycle" {
  description = "Per bucket (raw, staging, quarantine, logs): retention lock (locked_days; only logs may have one, see modules/storage) and move to COLDLINE after coldline_after_days (0 = never). When objects are deleted is retention_days (data buckets) and logs_retention_days."
  type = map(object({
    locked_days         = number
    coldline_after_days = number
  }))
  nullable = false
  default = {
    raw        = { locked_days = 0, coldline_after_days = 90 }
    staging    = { locked_days = 0, coldline_after_days = 0 }
    quarantine = { locked_days = 0, coldline_after_days = 0 }
    logs       = { locked_days = 30, coldline_after_days = 30 }
  }
}

variable "logs_retention_days" {
  description = "Days Airflow task logs and bucket access logs are kept in the logs bucket (0 = keep)."
  type        = number
  nullable    = false
  default     = 365
}

variable "deletion_protection" {
  description = "Protect the cluster and non-empty buckets/datasets against terraform destroy."
  type        = bool
  nullable    = false
  default     = true
}

variable "notification_channels" {
  description = "Existing Cloud Monitoring notification channels (projects/P/notificationChannels/N) every CAEC alert notifies (modules/monitoring validates them)."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "alert_emails" {
  description = "E-mail addresses (on-call lists) that get an email notification channel and every CAEC alert."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "freshness_deadline_hour_utc" {
  description = "Hour (UTC, 1-23) by which the previous day must be published, else the freshness alert fires."
  type        = number
  nullable    = false
  default     = 6
}
