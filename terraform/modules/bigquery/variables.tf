variable "project_id" {
  description = "GCP project of the datasets and the policy-tag taxonomy."
  type        = string
}

variable "location" {
  description = "BigQuery location of every dataset and of the taxonomy (EU, US or a region)."
  type        = string
}

variable "dataset_ids" {
  description = "Dataset ids by logical key (modules/names output datasets): staging, marts, audit."
  type        = map(string)

  validation {
    condition     = toset(keys(var.dataset_ids)) == toset(["staging", "marts", "audit"])
    error_message = "dataset_ids must have exactly the keys staging, marts and audit."
  }
}

variable "partition_expiration_days" {
  description = "Default partition expiration per dataset in days (0 = partitions never expire). staging holds visitor-level rows rebuilt from GCS; marts keep history; audit keeps audit logs as long as the stewards' policy says."
  type        = map(number)
  nullable    = false
  default = {
    staging = 400
    marts   = 0
    audit   = 400
  }

  validation {
    condition     = toset(keys(var.partition_expiration_days)) == toset(["staging", "marts", "audit"]) && alltrue([for d in values(var.partition_expiration_days) : d >= 0])
    error_message = "partition_expiration_days needs the keys staging, marts and audit with values >= 0."
  }
}

variable "taxonomy_name" {
  description = "Display name of the PII policy-tag taxonomy (modules/names output pii_taxonomy)."
  type        = string
}

variable "pii_policy_tags" {
  description = "PII policy tags to create in the taxonomy: key (display name) => description (modules/names output pii_policy_tags)."
  type        = map(string)

  validation {
    condition     = length(var.pii_policy_tags) > 0 && alltrue([for k, _ in var.pii_policy_tags : can(regex("^[a-z][a-z0-9_]{0,199}$", k))])
    error_message = "pii_policy_tags needs at least one tag; keys are lowercase snake_case display names."
  }
}

variable "kms_key_name" {
  description = "Optional Cloud KMS key for CMEK default encryption of new tables; null uses Google-managed keys."
  type        = string
  default     = null
}

variable "delete_contents_on_destroy" {
  description = "Let terraform destroy drop datasets that still hold tables (only for throwaway environments)."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels on every dataset."
  type        = map(string)
  default     = {}
}
