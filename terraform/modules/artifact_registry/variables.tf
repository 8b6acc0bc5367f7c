variable "project_id" {
  description = "GCP project of the repository."
  type        = string
}

variable "region" {
  description = "Region of the repository (the cluster's region: pulls stay regional)."
  type        = string
}

variable "repository_id" {
  description = "Repository id (modules/names output artifact_repository_id); images live at REGION-docker.pkg.dev/PROJECT/REPOSITORY_ID/IMAGE."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.repository_id))
    error_message = "repository_id must be lowercase letters, digits and hyphens, starting with a letter, at most 63 characters."
  }
}

variable "keep_recent_versions" {
  description = "Number of most recent versions of each image that cleanup never deletes (rollback targets)."
  type        = number
  default     = 20

  validation {
    condition     = var.keep_recent_versions >= 1
    error_message = "keep_recent_versions must be at least 1."
  }
}

variable "untagged_retention_days" {
  description = "Untagged image versions older than this many days are deleted (leftover layers of re-pushed builds)."
  type        = number
  default     = 14

  validation {
    condition     = var.untagged_retention_days >= 1
    error_message = "untagged_retention_days must be at least 1."
  }
}

variable "kms_key_name" {
  description = "Optional Cloud KMS key for CMEK encryption of the repository; null uses Google-managed keys."
  type        = string
  default     = null
}

variable "labels" {
  description = "Labels on the repository."
  type        = map(string)
  default     = {}
}
