variable "project_id" {
  description = "GCP project of the buckets."
  type        = string
}

variable "location" {
  description = "Bucket location: the cluster's region keeps Spark I/O regional and egress-free."
  type        = string
}

variable "bucket_names" {
  description = "Bucket names by logical key (modules/names output buckets): raw, staging, quarantine, logs."
  type        = map(string)

  validation {
    condition     = toset(keys(var.bucket_names)) == toset(["raw", "staging", "quarantine", "logs"])
    error_message = "bucket_names must have exactly the keys raw, staging, quarantine and logs."
  }
}

variable "retention" {
  description = <<-EOT
    Retention per data bucket (raw, staging, quarantine) and for logs, in days:
    locked_days = retention policy (objects cannot be deleted or replaced before that age; 0 = none),
    delete_after_days = lifecycle deletion (0 = keep), coldline_after_days = move to COLDLINE (0 = never).
  EOT
  nullable    = false
  type = map(object({
    locked_days         = number
    delete_after_days   = number
    coldline_after_days = number
  }))
  default = {
    raw        = { locked_days = 0, delete_after_days = 400, coldline_after_days = 90 }
    staging    = { locked_days = 0, delete_after_days = 400, coldline_after_days = 0 }
    quarantine = { locked_days = 0, delete_after_days = 90, coldline_after_days = 0 }
    logs       = { locked_days = 30, delete_after_days = 365, coldline_after_days = 30 }
  }

  validation {
    condition     = toset(keys(var.retention)) == toset(["raw", "staging", "quarantine", "logs"])
    error_message = "retention must have exactly the keys raw, staging, quarantine and logs."
  }

  validation {
    condition     = alltrue([for k, r in var.retention : r.locked_days >= 0 && r.delete_after_days >= 0 && r.coldline_after_days >= 0 && (r.delete_after_days == 0 || r.delete_after_days >= r.locked_days)])
    error_message = "retention days must be >= 0, and delete_after_days (when set) must not be shorter than locked_days."
  }

  validation {
    condition     = var.retention["raw"].locked_days == 0 && var.retention["quarantine"].locked_days == 0 && var.retention["staging"].locked_days == 0
    error_message = "Only the logs bucket takes a retention lock: raw and quarantine are versioned (GCS does not allow a retention policy together with Object Versioning) and staging is overwritten by partition every run."
  }
}

variable "noncurrent_versions_days" {
  description = "Days a replaced or deleted object version stays recoverable in the versioned buckets (raw, quarantine)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_versions_days >= 1
    error_message = "noncurrent_versions_days must be at least 1."
  }
}

variable "kms_key_name" {
  description = "Optional Cloud KMS key (projects/.../cryptoKeys/...) for CMEK default encryption; null uses Google-managed keys."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete non-empty buckets (only for throwaway environments)."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels on every bucket."
  type        = map(string)
  default     = {}
}
