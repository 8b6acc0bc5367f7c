variable "project_id" {
  description = "GCP project whose audit logs are routed (and that holds the audit dataset)."
  type        = string
}

variable "sink_name" {
  description = "Name of the project log sink (modules/names output audit_sink)."
  type        = string
}

variable "audit_dataset_id" {
  description = "Dataset id that receives the audit logs (modules/bigquery output dataset_ids[\"audit\"])."
  type        = string
}

variable "services" {
  description = "Services whose Cloud Audit Logs go to the audit dataset: the data stores and the identity plane CAEC uses."
  type        = list(string)
  default     = ["bigquery.googleapis.com", "storage.googleapis.com", "iam.googleapis.com", "datacatalog.googleapis.com", "container.googleapis.com"]

  validation {
    condition     = length(var.services) > 0 && alltrue([for s in var.services : endswith(s, ".googleapis.com")])
    error_message = "services must be a non-empty list of API service names such as storage.googleapis.com."
  }
}

variable "enable_storage_data_access_logs" {
  description = "Turn on Data Access audit logs (reads and writes of objects) for Cloud Storage, which GCP leaves off by default; BigQuery's are always on. Needed to see who read raw or quarantine files."
  type        = bool
  default     = true
}
