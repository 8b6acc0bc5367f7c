# The Docker repository of our three images (caec-spark, caec-dbt, caec-airflow). Tags are immutable:
# CI tags every image with the git sha, so a tag always means one build and a rollback is a re-deploy
# of an older sha. Cleanup keeps the recent versions and removes old untagged leftovers.
resource "google_artifact_registry_repository" "this" {
  #checkov:skip=CKV_GCP_84:CMEK is optional (var.kms_key_name); the key's lifecycle belongs to the organisation's security project, so Google-managed encryption is the default.
  project       = var.project_id
  location      = var.region
  repository_id = var.repository_id
  format        = "DOCKER"
  description   = "CAEC images (caec-spark, caec-dbt, caec-airflow), tagged with the git sha."
  kms_key_name  = var.kms_key_name
  labels        = var.labels

  docker_config {
    immutable_tags = true
  }

  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "keep-recent-versions"
    action = "KEEP"

    most_recent_versions {
      keep_count = var.keep_recent_versions
    }
  }

  cleanup_policies {
    id     = "delete-old-untagged"
    action = "DELETE"

    condition {
      tag_state  = "UNTAGGED"
      older_than = "${var.untagged_retention_days * 86400}s"
    }
  }
}
