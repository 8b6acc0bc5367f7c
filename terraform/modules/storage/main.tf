# The four CAEC buckets. All: uniform bucket-level access (IAM only, no ACLs), public access prevention
# enforced, soft delete, retention and lifecycle per bucket (var.retention). Data buckets write their
# access logs into the logs bucket.
#   raw        source of truth: versioned (an overwritten or deleted file stays recoverable)
#   staging    derived Parquet, rebuilt from raw as new versions behind a pointer: no object versioning (it would keep
#              every garbage-collected version) -- losing it costs a re-run, not data
#   quarantine rejected records (may hold personal data): versioned, short life (90 days by default)
#   logs       Airflow task logs and bucket access logs: retention lock, then coldline, then deletion
locals {
  versioned = { raw = true, staging = false, quarantine = true }
}

resource "google_storage_bucket" "logs" {
  #checkov:skip=CKV_GCP_62:This is the access-log bucket itself; logging it into itself would loop.
  #checkov:skip=CKV_GCP_78:Logs are append-only (new object per task try) and protected by the retention lock instead of versioning.
  project                     = var.project_id
  name                        = var.bucket_names["logs"]
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = merge(var.labels, { bucket = "logs" })

  versioning {
    enabled = false
  }

  dynamic "retention_policy" {
    for_each = var.retention["logs"].locked_days > 0 ? [var.retention["logs"].locked_days] : []
    content {
      retention_period = tostring(retention_policy.value * 86400) # a string since google provider 7
      is_locked        = false
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.retention["logs"].coldline_after_days > 0 ? [var.retention["logs"].coldline_after_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type          = "SetStorageClass"
        storage_class = "COLDLINE"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.retention["logs"].delete_after_days > 0 ? [var.retention["logs"].delete_after_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  soft_delete_policy {
    retention_duration_seconds = 7 * 86400
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
}

resource "google_storage_bucket" "data" {
  #checkov:skip=CKV_GCP_78:Versioning is per bucket (local.versioned): on for raw and quarantine; off for staging, whose Parquet is derived from raw and overwritten by partition every run.
  for_each = local.versioned

  project                     = var.project_id
  name                        = var.bucket_names[each.key]
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = merge(var.labels, { bucket = each.key })

  versioning {
    enabled = each.value
  }

  logging {
    log_bucket        = google_storage_bucket.logs.name
    log_object_prefix = "access/${each.key}/"
  }

  dynamic "retention_policy" {
    for_each = var.retention[each.key].locked_days > 0 ? [var.retention[each.key].locked_days] : []
    content {
      retention_period = tostring(retention_policy.value * 86400) # a string since google provider 7
      is_locked        = false
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.retention[each.key].coldline_after_days > 0 ? [var.retention[each.key].coldline_after_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type          = "SetStorageClass"
        storage_class = "COLDLINE"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.retention[each.key].delete_after_days > 0 ? [var.retention[each.key].delete_after_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  # Versioned buckets: old versions stay recoverable for a while, then go.
  dynamic "lifecycle_rule" {
    for_each = each.value ? [var.noncurrent_versions_days] : []
    content {
      condition {
        days_since_noncurrent_time = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  soft_delete_policy {
    retention_duration_seconds = 7 * 86400
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
}
