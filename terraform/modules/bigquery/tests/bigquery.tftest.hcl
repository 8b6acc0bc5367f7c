# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
mock_provider "google" {}

variables {
  project_id      = "my-project"
  location        = "EU"
  dataset_ids     = { staging = "caec_dev_staging", marts = "caec_dev_marts", audit = "caec_dev_audit" }
  taxonomy_name   = "caec-dev-pii"
  pii_policy_tags = { pseudonymous_id = "visitor keys", raw_record = "raw text" }
}

run "datasets_and_taxonomy" {
  command = plan

  assert {
    condition     = google_bigquery_dataset.this["staging"].default_partition_expiration_ms == 400 * 86400000 && google_bigquery_dataset.this["audit"].default_partition_expiration_ms == 400 * 86400000
    error_message = "staging and audit partitions expire after 400 days by default."
  }

  assert {
    condition     = alltrue([for d in values(google_bigquery_dataset.this) : d.location == "EU"])
    error_message = "Every dataset lives in the configured location."
  }

  assert {
    condition     = google_data_catalog_taxonomy.pii.region == "eu" && contains(google_data_catalog_taxonomy.pii.activated_policy_types, "FINE_GRAINED_ACCESS_CONTROL")
    error_message = "The PII taxonomy must enforce fine-grained access in the datasets' location."
  }

  assert {
    condition     = length(google_data_catalog_policy_tag.pii) == 2
    error_message = "One policy tag per PII class."
  }
}
