variable "project_id" {
  description = "GCP project that hosts the environment; every bucket name and service-account email derives from it."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "GCP region of the regional resources (GKE, subnet, buckets, Artifact Registry), e.g. europe-west1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a GCP region name such as europe-west1 (a zone like europe-west1-b is not a region)."
  }
}

variable "env" {
  description = "Environment name (dev, prod, ...). It is part of every physical name, so keep it short: service-account ids are limited to 30 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.env))
    error_message = "env must be 2-8 lowercase letters or digits starting with a letter (it goes into service-account ids, which allow 30 characters)."
  }
}

variable "bigquery_location" {
  description = "BigQuery (and policy-tag taxonomy) location of the datasets: a multi-region (EU, US) or a region."
  type        = string
  default     = "EU"

  validation {
    condition     = can(regex("^(EU|US|[a-z]+-[a-z]+[0-9])$", var.bigquery_location))
    error_message = "bigquery_location must be EU, US or a region name such as europe-west1."
  }
}

variable "persona_groups" {
  description = "Google group of each persona (keys: platform_engineer, data_engineer, analyst, data_steward), e.g. group:caec-analysts@example.com. Access is granted to groups, never to individual users."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.persona_groups : contains(["platform_engineer", "data_engineer", "analyst", "data_steward"], k) && startswith(v, "group:")])
    error_message = "persona_groups keys must be platform_engineer, data_engineer, analyst or data_steward, and every value must be a group (group:name@domain)."
  }
}

variable "retention_days" {
  description = "Days kept per data layer (raw, staging, quarantine, marts, audit; 0 = keep), carried into the platform object (retentionDays -> CAEC_RETENTION_DAYS). Stated and validated once, as modules/platform's retention_days; no default here, so nothing restates the numbers. null only where names are evaluated without an environment (governance doc, naming tests)."
  type = object({
    raw        = number
    staging    = number
    quarantine = number
    marts      = number
    audit      = number
  })
}
