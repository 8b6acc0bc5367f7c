# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
mock_provider "google" {}

variables {
  project_id = "my-project"
  location   = "europe-west1"
  bucket_names = {
    raw        = "my-project-caec-dev-raw"
    staging    = "my-project-caec-dev-staging"
    quarantine = "my-project-caec-dev-quarantine"
    logs       = "my-project-caec-dev-logs"
  }
}

run "buckets_are_private_and_uniform" {
  command = plan

  assert {
    condition     = alltrue([for b in values(google_storage_bucket.data) : b.public_access_prevention == "enforced" && b.uniform_bucket_level_access])
    error_message = "Data buckets must enforce public access prevention and uniform bucket-level access."
  }

  assert {
    condition     = google_storage_bucket.logs.public_access_prevention == "enforced" && google_storage_bucket.logs.uniform_bucket_level_access
    error_message = "The logs bucket must enforce public access prevention and uniform bucket-level access."
  }

  assert {
    condition     = google_storage_bucket.data["raw"].versioning[0].enabled && google_storage_bucket.data["quarantine"].versioning[0].enabled && !google_storage_bucket.data["staging"].versioning[0].enabled
    error_message = "raw and quarantine are versioned, staging (derived, overwritten by partition) is not."
  }

  assert {
    condition     = alltrue([for b in values(google_storage_bucket.data) : b.logging[0].log_bucket == "my-project-caec-dev-logs"])
    error_message = "Data buckets must write access logs into the logs bucket."
  }

  assert {
    condition     = google_storage_bucket.logs.retention_policy[0].retention_period == tostring(30 * 86400)
    error_message = "The logs bucket keeps a 30-day retention lock by default."
  }
}

run "versioned_buckets_cannot_take_a_retention_lock" {
  command = plan

  variables {
    retention = {
      raw        = { locked_days = 7, delete_after_days = 400, coldline_after_days = 0 }
      staging    = { locked_days = 0, delete_after_days = 400, coldline_after_days = 0 }
      quarantine = { locked_days = 0, delete_after_days = 90, coldline_after_days = 0 }
      logs       = { locked_days = 30, delete_after_days = 365, coldline_after_days = 30 }
    }
  }

  expect_failures = [var.retention]
}
