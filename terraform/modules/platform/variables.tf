variable "project_id" {
  description = "GCP project of this environment; every physical name derives from it (modules/names)."
  type        = string
}

variable "region" {
  description = "GCP region of the cluster, subnet, buckets and Artifact Registry."
  type        = string
  default     = "europe-west1"
}

variable "env" {
  description = "Environment name; part of every physical name (dev, prod)."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod (the roots under terraform/envs)."
  }
}

variable "bigquery_location" {
  description = "BigQuery location of the datasets and the PII taxonomy (EU, US or a region)."
  type        = string
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
  default     = []
}

variable "master_authorized_networks" {
  description = "CIDR blocks allowed to reach the GKE control plane (office, VPN, CI egress)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  default = []
}

variable "enable_private_endpoint" {
  description = "Expose only the control plane's private endpoint (then CI needs a path into the VPC)."
  type        = bool
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

variable "bucket_retention" {
  description = "Retention per bucket (see modules/storage variable retention; null: the module's defaults)."
  type = map(object({
    locked_days         = number
    delete_after_days   = number
    coldline_after_days = number
  }))
  default = null
}

variable "partition_expiration_days" {
  description = "BigQuery default partition expiration per dataset (staging, marts, audit; 0 = never; null: the module's defaults)."
  type        = map(number)
  default     = null
}

variable "deletion_protection" {
  description = "Protect the cluster and non-empty buckets/datasets against terraform destroy."
  type        = bool
  default     = true
}

variable "notification_channels" {
  description = "Existing Cloud Monitoring notification channels (projects/P/notificationChannels/N) every CAEC alert notifies (modules/monitoring validates them)."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "E-mail addresses (on-call lists) that get an email notification channel and every CAEC alert."
  type        = list(string)
  default     = []
}

variable "freshness_deadline_hour_utc" {
  description = "Hour (UTC, 1-23) by which the previous day must be published, else the freshness alert fires."
  type        = number
  default     = 6
}
