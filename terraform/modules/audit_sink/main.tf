# Audit trail for data stewards: Cloud Audit Logs (admin activity, data access, policy denials) of the
# services CAEC uses are routed into the audit dataset as date-partitioned tables, where stewards query
# who read or changed which bucket, table or IAM policy (docs/governance.md). The sink's own writer
# identity gets dataEditor on that one dataset only.
locals {
  service_filter = join(" OR ", [for s in var.services : "protoPayload.serviceName=\"${s}\""])
  filter         = "logName:\"cloudaudit.googleapis.com\" AND (${local.service_filter})"
}

resource "google_logging_project_sink" "audit" {
  project                = var.project_id
  name                   = var.sink_name
  destination            = "bigquery.googleapis.com/projects/${var.project_id}/datasets/${var.audit_dataset_id}"
  filter                 = local.filter
  unique_writer_identity = true
  description            = "Cloud Audit Logs of ${join(", ", var.services)} for CAEC data stewards."

  bigquery_options {
    use_partitioned_tables = true
  }
}

resource "google_bigquery_dataset_iam_member" "sink_writer" {
  project    = var.project_id
  dataset_id = var.audit_dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_logging_project_sink.audit.writer_identity
}

# Data Access logs of Cloud Storage are off by default; without them nobody could tell who read the
# raw or quarantine files. (Authoritative for storage.googleapis.com only.)
resource "google_project_iam_audit_config" "storage" {
  count = var.enable_storage_data_access_logs ? 1 : 0

  project = var.project_id
  service = "storage.googleapis.com"

  audit_log_config {
    log_type = "ADMIN_READ"
  }

  audit_log_config {
    log_type = "DATA_READ"
  }

  audit_log_config {
    log_type = "DATA_WRITE"
  }
}
