# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
mock_provider "google" {}

variables {
  project_id       = "my-project"
  sink_name        = "caec-dev-audit"
  audit_dataset_id = "caec_dev_audit"
}

run "audit_logs_go_to_the_audit_dataset" {
  command = plan

  assert {
    condition     = google_logging_project_sink.audit.destination == "bigquery.googleapis.com/projects/my-project/datasets/caec_dev_audit"
    error_message = "The sink must write into the audit dataset."
  }

  assert {
    condition     = strcontains(google_logging_project_sink.audit.filter, "cloudaudit.googleapis.com") && strcontains(google_logging_project_sink.audit.filter, "protoPayload.serviceName=\"storage.googleapis.com\"")
    error_message = "The sink must route Cloud Audit Logs, Cloud Storage included."
  }

  assert {
    condition     = length(google_project_iam_audit_config.storage) == 1
    error_message = "Cloud Storage data-access logs are on by default."
  }
}
