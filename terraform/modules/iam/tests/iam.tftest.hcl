# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
mock_provider "google" {}

variables {
  project_id = "my-project"
  service_accounts = {
    airflow = { account_id = "caec-airflow-dev", description = "Airflow" }
    spark   = { account_id = "caec-spark-dev", description = "Spark" }
  }
  workload_identity = {
    airflow = { namespace = "caec-airflow", ksa = "caec-airflow" }
    spark   = { namespace = "caec-jobs", ksa = "caec-spark" }
  }
  workload_identity_pool = "my-project.svc.id.goog"
  access_bindings = [
    { key = "spark/bucket/raw/roles/storage.objectViewer", principal = "spark", principal_kind = "service_account", member = "serviceAccount:caec-spark-dev@my-project.iam.gserviceaccount.com", resource_type = "bucket", resource = "raw", resource_name = "my-project-caec-dev-raw", role = "roles/storage.objectViewer", why = "reads raw" },
    { key = "analyst/dataset/marts/roles/bigquery.dataViewer", principal = "analyst", principal_kind = "persona", member = "group:analysts@example.com", resource_type = "dataset", resource = "marts", resource_name = "caec_dev_marts", role = "roles/bigquery.dataViewer", why = "queries marts" },
    { key = "data_steward/dataset/audit/roles/bigquery.dataViewer", principal = "data_steward", principal_kind = "persona", member = null, resource_type = "dataset", resource = "audit", resource_name = "caec_dev_audit", role = "roles/bigquery.dataViewer", why = "audits" },
  ]
  buckets        = { raw = "my-project-caec-dev-raw" }
  datasets       = { marts = "caec_dev_marts", audit = "caec_dev_audit" }
  repository     = { location = "europe-west1", repository_id = "caec-dev" }
  taxonomy_id    = "projects/my-project/locations/eu/taxonomies/1"
  policy_tag_ids = {}
}

run "one_workload_identity_binding_per_ksa" {
  command = plan

  assert {
    condition     = length(google_service_account_iam_member.workload_identity) == 2
    error_message = "Exactly one Workload Identity binding per workload."
  }

  assert {
    condition     = google_service_account_iam_member.workload_identity["spark"].member == "serviceAccount:my-project.svc.id.goog[caec-jobs/caec-spark]"
    error_message = "The Spark GSA must be impersonable by caec-jobs/caec-spark only."
  }

  assert {
    condition     = alltrue([for b in values(google_service_account_iam_member.workload_identity) : b.role == "roles/iam.workloadIdentityUser"])
    error_message = "Workload Identity bindings use roles/iam.workloadIdentityUser."
  }
}

run "grants_land_on_the_named_resource" {
  command = plan

  assert {
    condition     = google_storage_bucket_iam_member.grant["spark/bucket/raw/roles/storage.objectViewer"].bucket == "my-project-caec-dev-raw"
    error_message = "A bucket grant must be on the bucket it names."
  }

  assert {
    condition     = google_bigquery_dataset_iam_member.grant["analyst/dataset/marts/roles/bigquery.dataViewer"].member == "group:analysts@example.com"
    error_message = "A persona grant must go to the persona's group."
  }

  assert {
    condition     = !contains(keys(google_bigquery_dataset_iam_member.grant), "data_steward/dataset/audit/roles/bigquery.dataViewer")
    error_message = "A persona without a group gets no grant."
  }
}

run "primitive_roles_are_rejected" {
  command = plan

  variables {
    access_bindings = [
      { key = "analyst/project/project/roles/editor", principal = "analyst", principal_kind = "persona", member = "group:analysts@example.com", resource_type = "project", resource = "project", resource_name = "my-project", role = "roles/editor", why = "no" },
    ]
  }

  expect_failures = [var.access_bindings]
}
